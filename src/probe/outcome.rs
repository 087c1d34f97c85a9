//! What one attempt at a target says: ready (with a note, perhaps), or why not.
//!
//! Every probe returns these; the waiting code and the report read them.
//! Their words often quote what a server sent, so they are made plain text
//! when made: a server's newline or terminal escape never reaches waitfor's
//! output as such. [`Failure::shown`] then masks the target's password and
//! shortens a long message, in that order, so no part of a password survives
//! a cut.

use std::fmt;
use std::io;

use nix::errno::Errno;

use crate::human;

/// What an attempt that found the target ready has to add, if anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// What the user should know about this "ready" (what could not be checked).
    pub note: Option<String>,
    /// The HTTP status that answered, for the faces that quote it (dockerize).
    pub http_status: Option<u16>,
}

impl Ready {
    pub fn noted(note: impl Into<String>) -> Self {
        Ready {
            note: Some(human::escaped(&note.into())),
            http_status: None,
        }
    }

    /// The note as output shows it: `secrets` masked, then shortened.
    pub fn shown(self, secrets: &[String]) -> Self {
        Ready {
            note: self.note.map(|note| shown(&note, secrets)),
            ..self
        }
    }
}

/// Why one attempt did not find the target ready, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    reason: String,
    /// The HTTP status that answered, for the faces that quote it (dockerize).
    pub http_status: Option<u16>,
}

impl Failure {
    pub fn new(reason: impl Into<String>) -> Self {
        Failure {
            reason: human::escaped(&reason.into()),
            http_status: None,
        }
    }

    /// An HTTP answer that is not one of the statuses wanted.
    pub fn answered(status: u16, reason: impl Into<String>) -> Self {
        Failure {
            http_status: Some(status),
            ..Failure::new(reason)
        }
    }

    /// The reason as output shows it: `secrets` masked, then shortened.
    pub fn shown(self, secrets: &[String]) -> Self {
        Failure {
            reason: shown(&self.reason, secrets),
            ..self
        }
    }
}

/// `text` with each of `secrets` shown as `***` (also where a server's words
/// were quoted with escapes, as `preview` does), then shortened to one line's length.
fn shown(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        let escaped: String = secret.escape_debug().collect();
        text = text
            .replace(secret.as_str(), "***")
            .replace(&escaped, "***");
    }
    human::shortened_line(&text)
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// An I/O error as a short phrase: "connection refused", not "Connection refused (os error 111)".
pub fn describe(error: &io::Error) -> String {
    let text = match error.raw_os_error() {
        Some(code) => Errno::from_raw(code).desc().to_owned(),
        // What std says of a getaddrinfo failure, less its preamble.
        None => error
            .to_string()
            .trim_start_matches("failed to lookup address information: ")
            .to_owned(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_server_said_is_one_line_of_text() {
        let failure = Failure::new("the server answered -ERR bad\nnews \u{1b}[2J");
        assert_eq!(
            failure.to_string(),
            "the server answered -ERR bad\\nnews \\u{1b}[2J"
        );
        let long = Failure::new("x".repeat(10_000)).shown(&[]).to_string();
        assert!(long.chars().count() < 400, "{long}");
    }

    /// The password is masked before the message is cut, so no part of it is left at the cut.
    #[test]
    fn a_password_is_masked_before_a_long_message_is_cut() {
        let secret = "Sup3rS3cretPassw0rd";
        for at in 230..250 {
            let reason = format!("{}{secret}{}", "x".repeat(at), "y".repeat(500));
            let shown = Failure::new(reason).shown(&[secret.to_owned()]).to_string();
            assert!(
                !shown.contains("Sup3r") && !shown.contains("w0rd"),
                "{shown}"
            );
        }
    }
}
