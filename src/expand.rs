//! `${VAR}` in TARGETs and in HTTP header and body values, expanded by
//! waitfor itself: an exec-form `ENTRYPOINT` has no shell to do it.
//!
//! `${VAR}` is VAR's value; `${VAR:-default}` the default where VAR is unset
//! or empty; `$$` a literal `$`; a bare `$VAR` is left as it is. Where VAR is
//! unset and `VAR_FILE` names a file, the file's content is used (its
//! trailing newline removed): the Docker-secrets convention. An unset
//! variable with no default and no file is an error that names it.
//!
//! In a TARGET, a value that lands in the user, the password or the fragment
//! (the parts waitfor percent-decodes) is percent-encoded as it is put in,
//! so a password from a secret file is taken as it is, whatever it holds.
//!
//! Every value put in is a secret ([`secret::keep`]), but for one that lands
//! in a TARGET's host or port: that is where waitfor connects, and what its
//! lines must name to say what blocks. A default may itself hold a
//! `${…}` (`${A:-${B}}`). Errors name the variable, never a value.

use crate::local_file;
use crate::secret;
use crate::url::Layout;

/// Where a value is put in: whether it must be percent-encoded, and
/// whether it is a secret.
#[derive(Clone, Copy)]
pub struct Place {
    pub encoded: bool,
    pub secret: bool,
}

/// A place in a header or body value: taken as it is, and secret.
const VALUE: Place = Place {
    encoded: false,
    secret: true,
};

/// Reads the environment: a function, so that tests can give one of their own.
pub type Environment<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A header or body value with its `${…}` and `$$` expanded; every value
/// put in is a secret.
pub fn value_expanded(text: &str, env: Environment) -> Result<String, String> {
    expanded(text, env, |_| VALUE)
}

/// `text` with its `${…}` and `$$` expanded; `place` says, for a byte
/// offset of `text`, how a value put in there is taken.
fn expanded(
    text: &str,
    env: Environment,
    place: impl Fn(usize) -> Place,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let offset = text.len() - rest.len() + at;
        let after = &rest[at + 1..];
        if let Some(after) = after.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(inside) = after.strip_prefix('{') {
            let end = closing(inside).ok_or("a \"${\" is never closed with '}'")?;
            let value = value(&inside[..end], env)?;
            let place = place(offset);
            if place.secret {
                secret::keep(&value);
            }
            match place.encoded {
                true => out.push_str(&encoded(&value)),
                false => out.push_str(&value),
            }
            rest = &inside[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A TARGET as a label shows it: each `${NAME}` as written, but a default
/// as `${NAME:-***}` (often a development password) unless it stands in the
/// host or port, and anything else between `${` and `}` as `${***}` (what
/// is no name may be a value pasted in).
pub fn shown(text: &str) -> String {
    let layout = (!text.starts_with("exec:")).then(|| Layout::of(text));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let offset = text.len() - rest.len() + at;
        let inside = &rest[at + 2..];
        let Some(end) = closing(inside) else {
            out.push_str("${***");
            return out;
        };
        let expression = &inside[..end];
        let name = expression.split(":-").next().unwrap_or_default();
        let in_address = layout.as_ref().is_some_and(|l| l.address_at(offset));
        match (valid_name(name), expression.contains(":-") && !in_address) {
            (false, _) => out.push_str("${***}"),
            (true, false) => out.push_str(&format!("${{{expression}}}")),
            (true, true) => out.push_str(&format!("${{{name}:-***}}")),
        }
        rest = &inside[end + 1..];
    }
    out.push_str(rest);
    out
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Where the `}` that closes a `${` is in `inside` (what follows the `${`),
/// past any `${…}` nested in a default.
fn closing(inside: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = inside.as_bytes();
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if at > 0 && bytes[at - 1] == b'$' => depth += 1,
            b'}' if depth == 0 => return Some(at),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// A TARGET expanded, its values percent-encoded where the URL decodes them
/// (an `exec:` target is no URL: its values go in as they are, all secret).
pub fn target(text: &str, env: Environment) -> Result<String, String> {
    if text.starts_with("exec:") {
        return expanded(text, env, |_| VALUE);
    }
    let layout = Layout::of(text);
    expanded(text, env, |offset| Place {
        encoded: layout.decoded_at(offset),
        secret: !layout.address_at(offset),
    })
}

/// What `NAME` or `NAME:-default` stands for (a default expanded in turn).
fn value(expression: &str, env: Environment) -> Result<String, String> {
    let (name, default) = match expression.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (expression, None),
    };
    if !valid_name(name) {
        // Only a valid name is quoted: what stands there may be a value pasted in.
        return Err("a \"${…}\" holds no valid variable name (letters, digits, _)".into());
    }
    let expanded_default = || expanded(default.unwrap_or_default(), env, |_| VALUE);
    match (env(name), default.is_some()) {
        (Some(value), true) if value.is_empty() => expanded_default(),
        (Some(value), _) => Ok(value),
        (None, true) => expanded_default(),
        (None, false) => match env(&format!("{name}_FILE")) {
            Some(path) => local_file::read(path.as_ref(), local_file::SECRET_AT_MOST)
                .and_then(|bytes| {
                    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_owned())
                })
                .map(|content| {
                    let content = content.strip_suffix('\n').unwrap_or(&content);
                    content.strip_suffix('\r').unwrap_or(content).to_owned()
                })
                .map_err(|error| format!("${{{name}}}: {name}_FILE={error}")),
            None => Err(format!("${{{name}}}: {name} is not set (nor {name}_FILE)")),
        },
    }
}

/// Every byte but the unreserved ones (RFC 3986) as `%XX`.
fn encoded(value: &str) -> String {
    value
        .bytes()
        .map(
            |b| match b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                true => (b as char).to_string(),
                false => format!("%{b:02X}"),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("db".into()),
            "EMPTY" => Some(String::new()),
            "PASSWORD" => Some("p@ss/w#rd:1".into()),
            _ => None,
        }
    }

    #[test]
    fn expands_as_a_shell_would_and_no_further() {
        let as_is = Place {
            encoded: false,
            secret: false,
        };
        let plain = |text: &str| expanded(text, &env, |_| as_is);
        assert_eq!(plain("${HOST}:5432").unwrap(), "db:5432");
        assert_eq!(
            plain("${NOPE:-x}/${EMPTY:-y}/${HOST:-z}").unwrap(),
            "x/y/db"
        );
        assert_eq!(plain("$$HOST $HOST ${HOST}$").unwrap(), "$HOST $HOST db$");
        assert!(
            plain("${NOPE}")
                .unwrap_err()
                .contains("NOPE is not set (nor NOPE_FILE)")
        );
        assert!(plain("${HOST").is_err());
        assert!(plain("${1X}").is_err());
        // A default may hold a variable in turn; an error quotes no value.
        assert_eq!(
            plain("${NOPE:-${HOST}}:${NOPE:-${NADA:-x}}").unwrap(),
            "db:x"
        );
        assert_eq!(plain("${NOPE:-${EMPTY:-${HOST}}}").unwrap(), "db");
        for wrong in ["${HOST", "${Bearer s3cr3t}", "${NOPE:-${HOST}"] {
            let error = plain(wrong).unwrap_err();
            assert!(
                !error.contains("s3cr3t") && !error.contains("HOST}"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_label_shows_names_never_defaults_or_pasted_values() {
        assert_eq!(
            shown("redis://:${PW:-devpass}@${HOST:-db}:1/${Bearer abc}#${A:-${B}}"),
            "redis://:${PW:-***}@${HOST:-db}:1/${***}#${A:-***}"
        );
        assert_eq!(shown("db:1/${UNCLOSED"), "db:1/${***");
    }

    #[test]
    fn a_value_in_the_credentials_or_fragment_is_taken_as_it_is() {
        let text = "postgres://app:${PASSWORD}@${HOST}/app#header=X:${PASSWORD}";
        assert_eq!(
            target(text, &env).unwrap(),
            "postgres://app:p%40ss%2Fw%23rd%3A1@db/app#header=X:p%40ss%2Fw%23rd%3A1"
        );
    }

    #[test]
    fn a_file_stands_in_for_an_unset_variable() {
        let dir = std::env::temp_dir().join(format!("waitfor-expand-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, "s3cret\n").unwrap();
        let path = file.display().to_string();
        let env = |name: &str| (name == "TOKEN_FILE").then(|| path.clone());
        assert_eq!(value_expanded("${TOKEN}", &env).unwrap(), "s3cret");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
