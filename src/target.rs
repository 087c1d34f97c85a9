//! TARGET arguments parsed into typed [`Target`]s, once, before anything runs.
//!
//! Every TARGET is first split into the parts all schemes share
//! ([`Url`](crate::url::Url)); the probe for its scheme then takes what it
//! needs from them, and refuses what it cannot use. Every malformed target is
//! refused here with a message that names it (its password masked), so the
//! waiting code only sees targets it can probe.

use std::fmt;

use crate::expand::{self, Environment};
use crate::human;
use crate::probe::{Failure, Probe, Ready, Settings};
use crate::secret;
use crate::url::{Url, fragment_keys, masked};

/// One dependency to wait for: how to probe it, and how to name it in output.
#[derive(Clone)]
pub struct Target {
    probe: Probe,
    /// The TARGET as given (its variables not expanded), with any password
    /// and header value shown as `***`.
    label: String,
}

/// Why a TARGET argument was refused; its message names the argument.
#[derive(Debug)]
pub struct InvalidTarget {
    target: String,
    reason: String,
}

impl fmt::Display for InvalidTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid target {:?}: {}", self.target, self.reason)
    }
}

impl std::error::Error for InvalidTarget {}

impl Target {
    /// A TARGET taken as it is written.
    pub fn parse(text: &str, settings: &Settings) -> Result<Self, InvalidTarget> {
        Target::build(text, text, settings)
    }

    /// A TARGET whose `${VAR}`s are expanded from `env`; output names it as
    /// written, never with what the variables held.
    pub fn expanded(
        text: &str,
        settings: &Settings,
        env: Environment,
    ) -> Result<Self, InvalidTarget> {
        let expanded = expand::target(text, env).map_err(|reason| InvalidTarget {
            target: label(text),
            reason,
        })?;
        Target::build(text, &expanded, settings)
    }

    fn build(written: &str, text: &str, settings: &Settings) -> Result<Self, InvalidTarget> {
        let label = label(written);
        let invalid = |reason: String| InvalidTarget {
            target: label.clone(),
            reason,
        };
        if text.is_empty() {
            return Err(invalid("the target is empty".into()));
        }
        if let Some(command) = text.strip_prefix("exec:") {
            return Ok(Target {
                probe: Probe::exec(command).map_err(invalid)?,
                label,
            });
        }
        if let Some(object) = text.strip_prefix("k8s:") {
            let (object, fragment) = object.split_once('#').unwrap_or((object, ""));
            let keys = fragment_keys(fragment).map_err(invalid)?;
            return Ok(Target {
                probe: Probe::kube(object, &keys, settings).map_err(invalid)?,
                label,
            });
        }
        let url = Url::split(text).map_err(invalid)?;
        // Kept before anything is built of it, so that no message can show it.
        if let Some(password) = url.secret() {
            secret::keep_password(&password);
        }
        let probe = Probe::from_url(&url, settings).map_err(invalid)?;
        Ok(Target { probe, label })
    }

    /// The shortest pause between two attempts at this target.
    pub fn least_pause(&self) -> std::time::Duration {
        self.probe.least_pause()
    }

    /// One attempt at the target, in the words output shows: every secret
    /// masked (a server may echo what it was sent), long messages shortened.
    pub async fn check(&self) -> Result<Ready, Failure> {
        match self.probe.check().await {
            Ok(ready) => Ok(ready.shown()),
            Err(failure) => Err(failure.shown()),
        }
    }
}

/// How output names a TARGET: as written, secrets masked, on one line, not too long.
fn label(written: &str) -> String {
    human::quoted(&masked(&expand::shown(written)))
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Found by fuzzing: a path with a newline made a label of two lines.
    #[test]
    fn a_label_is_one_line() {
        let settings = Settings::default();
        let target = Target::parse("file:///tmp/a\nb\u{1b}[2J", &settings).unwrap();
        assert_eq!(target.to_string(), "file:///tmp/a\\nb\\u{1b}[2J");
    }

    /// Found by fuzzing: a fragment key with a newline made a usage error of two lines.
    #[test]
    fn a_fragment_key_is_quoted_on_one_line() {
        let settings = Settings::default();
        for text in ["db:1#a\nb", "db:1#a%0Ab=1", "http://web/#x\ty=1"] {
            let error = Target::parse(text, &settings).err().unwrap().to_string();
            assert!(!error.contains('\n') && !error.contains('\t'), "{error}");
        }
    }

    proptest! {
        /// Whatever follows it, a password is never in a target's label or error.
        #[test]
        fn a_password_never_shows(
            scheme in "(redis|rediss|postgres|mysql|amqp|mqtt|nats|http|tcp|x)",
            user in "[a-z]{0,5}",
            password in "PW[A-Za-z0-9]{4,10}",
            rest in "[a-z0-9.:/@%?#\\[\\]-]{0,24}",
        ) {
            prop_assume!(!rest.contains("PW"));
            let settings = Settings::default();
            let text = format!("{scheme}://{user}:{password}@{rest}");
            let shown = match Target::parse(&text, &settings) {
                Ok(target) => target.to_string(),
                Err(invalid) => invalid.to_string(),
            };
            prop_assert!(!shown.contains(&password), "{}", shown);
        }
    }
}
