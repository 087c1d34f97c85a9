//! BSON as far as the mongodb:// probe needs it: documents of strings,
//! numbers, booleans, binary data and documents written, and any document
//! read (bounded, every length checked), its values kept as far as the
//! probe looks at them.

/// A value written into a document.
pub enum Value<'a> {
    Int(i32),
    Bool(bool),
    Text(&'a str),
    Binary(&'a [u8]),
    Document(Vec<u8>),
}

/// A document of `fields`, in order, as BSON.
pub fn document(fields: &[(&str, Value)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        let (kind, bytes): (u8, Vec<u8>) = match value {
            Value::Int(number) => (0x10, number.to_le_bytes().to_vec()),
            Value::Bool(yes) => (0x08, vec![u8::from(*yes)]),
            Value::Text(text) => {
                let mut bytes = ((text.len() + 1) as i32).to_le_bytes().to_vec();
                bytes.extend_from_slice(text.as_bytes());
                bytes.push(0);
                (0x02, bytes)
            }
            Value::Binary(data) => {
                let mut bytes = (data.len() as i32).to_le_bytes().to_vec();
                bytes.push(0);
                bytes.extend_from_slice(data);
                (0x05, bytes)
            }
            Value::Document(document) => (0x03, document.clone()),
        };
        body.push(kind);
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(&bytes);
    }
    let mut document = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    document.extend_from_slice(&body);
    document.push(0);
    document
}

/// A value read from a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Number(f64),
    Bool(bool),
    Text(String),
    Binary(Vec<u8>),
    Document(Vec<(String, Read)>),
    /// Any other type, kept as its type's number.
    Other(u8),
}

/// The document at the start of `bytes`, and its length; `None` where it
/// is not a well-formed document. Nested documents at most 16 deep.
pub fn read(bytes: &[u8]) -> Option<(Vec<(String, Read)>, usize)> {
    read_nested(bytes, 0)
}

fn read_nested(bytes: &[u8], depth: usize) -> Option<(Vec<(String, Read)>, usize)> {
    if depth > 16 {
        return None;
    }
    let length = usize::try_from(i32::from_le_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    let document = bytes.get(..length)?;
    if length < 5 || document[length - 1] != 0 {
        return None;
    }
    let mut fields = Vec::new();
    let mut at = 4;
    while at < length - 1 {
        let kind = document[at];
        let name_end = at + 1 + document[at + 1..].iter().position(|&b| b == 0)?;
        let name = String::from_utf8_lossy(&document[at + 1..name_end]).into_owned();
        at = name_end + 1;
        let le32 = |at: usize| -> Option<usize> {
            usize::try_from(i32::from_le_bytes(
                document.get(at..at + 4)?.try_into().ok()?,
            ))
            .ok()
        };
        let (value, size) = match kind {
            0x01 => (
                Read::Number(f64::from_le_bytes(
                    document.get(at..at + 8)?.try_into().ok()?,
                )),
                8,
            ),
            0x02 | 0x0d | 0x0e => {
                let size = le32(at)?;
                let text = document.get(at + 4..at + 4 + size.checked_sub(1)?)?;
                (
                    Read::Text(String::from_utf8_lossy(text).into_owned()),
                    4 + size,
                )
            }
            0x03 | 0x04 => {
                let (inner, size) = read_nested(&document[at..], depth + 1)?;
                (Read::Document(inner), size)
            }
            0x05 => {
                let size = le32(at)?;
                let data = document.get(at + 5..at + 5 + size)?;
                (Read::Binary(data.to_vec()), 5 + size)
            }
            0x08 => (Read::Bool(*document.get(at)? != 0), 1),
            0x10 => (
                Read::Number(f64::from(i32::from_le_bytes(
                    document.get(at..at + 4)?.try_into().ok()?,
                ))),
                4,
            ),
            0x12 => (
                Read::Number(i64::from_le_bytes(document.get(at..at + 8)?.try_into().ok()?) as f64),
                8,
            ),
            0x06 | 0x0a | 0x7f | 0xff => (Read::Other(kind), 0),
            0x07 => (Read::Other(kind), 12),
            0x09 | 0x11 => (Read::Other(kind), 8),
            0x13 => (Read::Other(kind), 16),
            0x0b => {
                // A regular expression: two C strings.
                let first = document[at..].iter().position(|&b| b == 0)? + 1;
                let second = document[at + first..].iter().position(|&b| b == 0)? + 1;
                (Read::Other(kind), first + second)
            }
            0x0c => (Read::Other(kind), 4 + le32(at)? + 12),
            0x0f => (Read::Other(kind), le32(at)?),
            _ => return None,
        };
        at = at.checked_add(size)?;
        if at > length - 1 {
            return None;
        }
        fields.push((name, value));
    }
    Some((fields, length))
}

/// The value of `name` among `fields`.
pub fn field<'a>(fields: &'a [(String, Read)], name: &str) -> Option<&'a Read> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value)
}

/// Whether `name` holds true (or a number other than 0, as `ok: 1.0`).
pub fn truthy(fields: &[(String, Read)], name: &str) -> bool {
    match field(fields, name) {
        Some(Read::Bool(yes)) => *yes,
        Some(Read::Number(number)) => *number != 0.0,
        _ => false,
    }
}

pub fn text<'a>(fields: &'a [(String, Read)], name: &str) -> Option<&'a str> {
    match field(fields, name) {
        Some(Read::Text(text)) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_written_reads_back() {
        let inner = document(&[("name", Value::Text("orders"))]);
        let written = document(&[
            ("hello", Value::Int(1)),
            ("ok", Value::Bool(true)),
            ("payload", Value::Binary(b"n,,n=a")),
            ("filter", Value::Document(inner)),
        ]);
        let (fields, length) = read(&written).unwrap();
        assert_eq!(length, written.len());
        assert!(truthy(&fields, "ok") && truthy(&fields, "hello"));
        assert_eq!(
            field(&fields, "payload"),
            Some(&Read::Binary(b"n,,n=a".to_vec()))
        );
        let Some(Read::Document(filter)) = field(&fields, "filter") else {
            panic!("{fields:?}");
        };
        assert_eq!(text(filter, "name"), Some("orders"));
        for cut in 0..written.len() {
            assert!(read(&written[..cut]).is_none(), "{cut}");
        }
    }
}
