//! What an http(s) answer's body must show, beyond its status: a regular
//! expression it matches (`--http-match`, `#match=`) and values at JSON
//! pointers (`--http-json`, `#json=`).
//!
//! Only the first [`MOST_READ`] bytes of a body are read: enough to match
//! against, and a JSON document larger than that is "not ready" with a
//! reason that says so rather than a reason quoting half a document.

use std::fmt;

use regex_lite::Regex;
use serde_json::Value;

use super::outcome::Failure;
use super::wire::MOST_READ;
use crate::human;

/// What a body must show; nothing by default.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    pub matches: Option<Pattern>,
    /// All must hold.
    pub json: Vec<JsonExpectation>,
}

/// A regular expression, with its text as written for messages.
#[derive(Debug, Clone)]
pub struct Pattern(Regex);

/// `POINTER=VALUE|VALUE…`, or `POINTER` alone (present and not null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonExpectation {
    pointer: String,
    /// Any one of these, compared with the value's text; empty: present and not null.
    accepted: Vec<String>,
}

/// A body as read: its first bytes, and whether there was more.
pub struct Body {
    pub bytes: Vec<u8>,
    pub cut: bool,
}

impl Expectations {
    /// Whether the body must be read at all.
    pub fn any(&self) -> bool {
        self.matches.is_some() || !self.json.is_empty()
    }

    pub fn check(&self, body: &Body) -> Result<(), Failure> {
        let text = String::from_utf8_lossy(&body.bytes);
        if let Some(pattern) = &self.matches {
            if !pattern.is_match(&text) {
                // Not shortened here: the target's secrets are masked first, then the line is cut.
                return Err(Failure::new(format!(
                    "the body does not match {pattern}: {text:?}"
                )));
            }
        }
        if self.json.is_empty() {
            return Ok(());
        }
        if body.cut {
            return Err(Failure::new(format!(
                "the body is larger than {} KiB, more than waitfor reads as JSON",
                MOST_READ / 1024
            )));
        }
        let document: Value = serde_json::from_slice(&body.bytes)
            .map_err(|error| Failure::new(format!("the body is not JSON ({error}): {text:?}")))?;
        self.json
            .iter()
            .try_for_each(|expectation| expectation.check(&document))
    }
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    pub fn new(text: &str) -> Result<Self, String> {
        Regex::new(text).map(Pattern).map_err(|error| {
            format!(
                "{:?} is not a regular expression: {error}",
                human::shortened(text)
            )
        })
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", human::shortened(self.0.as_str()))
    }
}

impl JsonExpectation {
    /// `/status=green|yellow`, `/checks/0/ok=true`, or `/leader` alone.
    pub fn new(text: &str) -> Result<Self, String> {
        let (pointer, accepted) = match text.split_once('=') {
            Some((pointer, values)) => (pointer, values.split('|').map(str::to_owned).collect()),
            None => (text, Vec::new()),
        };
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "JSON pointer {:?} must start with '/' (RFC 6901), as /status",
                human::shortened(pointer)
            ));
        }
        Ok(JsonExpectation {
            pointer: pointer.to_owned(),
            accepted,
        })
    }

    fn check(&self, document: &Value) -> Result<(), Failure> {
        let pointer = match self.pointer.as_str() {
            "" => "(the document)",
            pointer => pointer,
        };
        let found = match document.pointer(&self.pointer) {
            None => return Err(Failure::new(format!("{pointer} is missing"))),
            Some(Value::Null) if self.accepted.is_empty() => {
                return Err(Failure::new(format!("{pointer} is null")));
            }
            Some(found) => found,
        };
        if self.accepted.is_empty() || self.accepted.iter().any(|value| *value == text(found)) {
            return Ok(());
        }
        Err(Failure::new(format!(
            "{pointer} is {found}, want {}",
            self.accepted.join("|")
        )))
    }
}

/// A JSON value's text as an expectation writes it: a string without its
/// quotes, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(expectations: &[&str], body: &str) -> Result<(), String> {
        let expectations = Expectations {
            matches: None,
            json: expectations
                .iter()
                .map(|e| JsonExpectation::new(e).unwrap())
                .collect(),
        };
        let body = Body {
            bytes: body.as_bytes().to_vec(),
            cut: false,
        };
        expectations
            .check(&body)
            .map_err(|failure| failure.to_string())
    }

    #[test]
    fn json_expectations() {
        let health = r#"{"status":"yellow","nodes":3,"ok":true,"leader":null,"tags":["a"]}"#;
        assert_eq!(
            checked(&["/status=green|yellow", "/nodes=3", "/ok=true"], health),
            Ok(())
        );
        assert_eq!(checked(&["/tags/0=a", "/tags"], health), Ok(()));
        assert_eq!(
            checked(&["/status=green"], health),
            Err(r#"/status is "yellow", want green"#.into())
        );
        assert_eq!(checked(&["/leader"], health), Err("/leader is null".into()));
        assert_eq!(checked(&["/leader=null"], health), Ok(()));
        assert_eq!(
            checked(&["/missing"], health),
            Err("/missing is missing".into())
        );
        assert_eq!(checked(&["=ok"], "\"ok\""), Ok(()));
        let not_json = checked(&["/status"], "<html>").unwrap_err();
        assert!(
            not_json.starts_with("the body is not JSON (expected value"),
            "{not_json}"
        );
        assert!(JsonExpectation::new("status=UP").is_err());
    }

    #[test]
    fn a_cut_body_is_not_read_as_json_but_is_matched() {
        let expectations = Expectations {
            matches: Some(Pattern::new("^ok").unwrap()),
            json: Vec::new(),
        };
        let body = Body {
            bytes: b"ok and more".to_vec(),
            cut: true,
        };
        assert!(expectations.check(&body).is_ok());
        let expectations = Expectations {
            json: vec![JsonExpectation::new("/a").unwrap()],
            ..expectations
        };
        let reason = expectations.check(&body).unwrap_err().to_string();
        assert!(
            reason.starts_with("the body is larger than 64 KiB"),
            "{reason}"
        );
    }
}
