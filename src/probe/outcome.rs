//! What one attempt at a target says: ready (with a note, perhaps), or why not.
//!
//! Every probe returns these; the waiting code and the report read them.

use std::fmt;
use std::io;

use nix::errno::Errno;

/// What an attempt that found the target ready has to add, if anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// What the user should know about this "ready" (what could not be checked).
    pub note: Option<String>,
}

impl Ready {
    pub fn noted(note: impl Into<String>) -> Self {
        Ready {
            note: Some(note.into()),
        }
    }
}

/// Why one attempt did not find the target ready, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(String);

impl Failure {
    pub fn new(reason: impl Into<String>) -> Self {
        Failure(reason.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
