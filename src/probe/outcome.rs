//! What one attempt at a target says: ready (with a note, perhaps), or why not.
//!
//! Every probe returns these; the waiting code and the report read them.
//! Their words often quote what a server sent, so they are made plain text
//! when made: a server's newline or terminal escape never reaches waitfor's
//! output as such. [`Failure::shown`] then masks every secret and shortens
//! a long message, in that order, so no part of a secret survives a cut.

use crate::human;
use crate::secret;
use std::fmt;

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

    /// The note as output shows it: secrets masked, then shortened.
    pub fn shown(self) -> Self {
        Ready {
            note: self.note.map(|note| shown(&note)),
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
    pub stage: Stage,
    /// The target will never be ready, whatever waiting does (a Kubernetes
    /// Job that failed): the wait ends at once.
    pub terminal: bool,
}

/// How far an attempt got before it found the target not ready, for the
/// faces that tell these apart (grpc_health_probe's exit codes 2, 3 and 4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Stage {
    /// No connection: the name did not resolve, or TCP or TLS failed.
    Connect,
    /// Connected, but the exchange failed: the server broke off, spoke
    /// another protocol, or refused what was asked.
    #[default]
    Exchange,
    /// The attempt's time ran out before it got an answer.
    Unanswered,
    /// The service answered that it is not ready, in its own word for its
    /// state (gRPC's `NOT_SERVING`).
    Answered(String),
}

impl Failure {
    pub fn new(reason: impl Into<String>) -> Self {
        Failure {
            reason: human::escaped(&reason.into()),
            http_status: None,
            stage: Stage::default(),
            terminal: false,
        }
    }

    /// A failure waiting cannot mend: the object said it has failed for good.
    pub fn terminal(reason: impl Into<String>) -> Self {
        Failure {
            terminal: true,
            ..Failure::new(reason)
        }
    }

    /// The same failure, as one that happened at `stage`.
    pub fn at(self, stage: Stage) -> Self {
        Failure { stage, ..self }
    }

    /// An HTTP answer that is not one of the statuses wanted.
    pub fn answered(status: u16, reason: impl Into<String>) -> Self {
        Failure {
            http_status: Some(status),
            ..Failure::new(reason)
        }
    }

    /// The reason as output shows it: secrets masked, then shortened.
    pub fn shown(self) -> Self {
        Failure {
            reason: shown(&self.reason),
            ..self
        }
    }
}

/// `text` with every secret shown as `***` (in whatever form a server's
/// words quote it), or withheld where it holds one too short to mask; then
/// shortened to one line's length. A reason may quote a server anywhere.
fn shown(text: &str) -> String {
    human::shortened_line(&secret::screened(text))
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
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
        let long = Failure::new("x".repeat(10_000)).shown().to_string();
        assert!(long.chars().count() < 400, "{long}");
    }

    /// The password is masked before the message is cut, so no part of it is left at the cut.
    #[test]
    fn a_password_is_masked_before_a_long_message_is_cut() {
        let secret = "Sup3rS3cretPassw0rd";
        secret::keep(secret);
        for at in 230..250 {
            let reason = format!("{}{secret}{}", "x".repeat(at), "y".repeat(500));
            let shown = Failure::new(reason).shown().to_string();
            assert!(
                !shown.contains("Sup3r") && !shown.contains("w0rd"),
                "{shown}"
            );
        }
    }
}
