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

use crate::human;
use crate::url::Layout;

/// Reads the environment: a function, so that tests can give one of their own.
pub type Environment<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `text` with its `${…}` and `$$` expanded; `encoded_at` says, for a byte
/// offset of `text`, whether a value put in there must be percent-encoded.
pub fn expanded(
    text: &str,
    env: Environment,
    encoded_at: impl Fn(usize) -> bool,
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
            let end = inside.find('}').ok_or_else(|| {
                format!(
                    "\"${{\" is never closed with '}}' in {:?}",
                    human::shortened(text)
                )
            })?;
            let value = value(&inside[..end], env)?;
            match encoded_at(offset) {
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

/// A TARGET expanded, its values percent-encoded where the URL decodes them
/// (an `exec:` target is no URL: its values go in as they are).
pub fn target(text: &str, env: Environment) -> Result<String, String> {
    if text.starts_with("exec:") {
        return expanded(text, env, |_| false);
    }
    let layout = Layout::of(text);
    expanded(text, env, |offset| layout.decoded_at(offset))
}

/// What `NAME` or `NAME:-default` stands for.
fn value(expression: &str, env: Environment) -> Result<String, String> {
    let (name, default) = match expression.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (expression, None),
    };
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return Err(format!(
            "${{{expression}}}: {name:?} is not a variable name"
        ));
    }
    match (env(name), default) {
        (Some(value), Some(default)) if value.is_empty() => Ok(default.to_owned()),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => Ok(default.to_owned()),
        (None, None) => match env(&format!("{name}_FILE")) {
            Some(path) => std::fs::read_to_string(&path)
                .map(|content| {
                    let content = content.strip_suffix('\n').unwrap_or(&content);
                    content.strip_suffix('\r').unwrap_or(content).to_owned()
                })
                .map_err(|error| format!("${{{name}}}: {name}_FILE={path:?}: {error}")),
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
        let plain = |text: &str| expanded(text, &env, |_| false);
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
        assert_eq!(expanded("${TOKEN}", &env, |_| false).unwrap(), "s3cret");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
