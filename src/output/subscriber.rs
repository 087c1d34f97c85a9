//! The tracing subscriber that turns waitfor's events into lines on stderr
//! (through the queue), as sentences or as JSON, at the level chosen.
//!
//! Sentences, the default, are written by a subscriber of a few lines here
//! ([`Sentences`]): tracing-subscriber's registry, which keeps span data
//! waitfor never makes, costs every container start a table and its page
//! faults. JSON goes through tracing-subscriber's formatter.
//!
//! The level comes from `-q`/`-v`, or from a `RUST_LOG` directive that names
//! waitfor (`waitfor=debug`). In a container `RUST_LOG` is usually meant for
//! the COMMAND (`myapp=debug`, `warn`): directives that do not name waitfor
//! leave it at its level, and its errors are printed whatever `RUST_LOG` says.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber, span, warn};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use super::queue::EventWriter;
use crate::human;
use crate::options::{Log, LogFormat, Verbosity};

/// The variable whose `waitfor=LEVEL` directive overrides -q and -v.
const RUST_LOG: &str = "RUST_LOG";
/// The target every event of waitfor's has, as `RUST_LOG` names it.
const OWN_TARGET: &str = "waitfor";

/// Installs the subscriber; the level it prints at.
pub fn install(log: Log) -> LevelFilter {
    let chosen = match log.verbosity {
        Verbosity::Quiet => LevelFilter::ERROR,
        Verbosity::Normal => LevelFilter::INFO,
        Verbosity::Attempts => LevelFilter::DEBUG,
        Verbosity::Everything => LevelFilter::TRACE,
    };
    let directives = std::env::var(RUST_LOG).unwrap_or_default();
    let (level, unreadable) = match own_level(&directives) {
        Ok(level) => (level.unwrap_or(chosen), None),
        Err(reason) => (chosen, Some(reason)),
    };
    // Errors are always printed: a timeout must never pass in silence.
    let level = level.max(LevelFilter::ERROR);
    match log.format {
        LogFormat::Text => {
            let _ = tracing::subscriber::set_global_default(Sentences { level });
        }
        LogFormat::Json => {
            let output = tracing_subscriber::fmt::layer()
                .with_writer(EventWriter::default)
                .with_ansi(false)
                .json()
                .flatten_event(true)
                .with_target(false)
                .with_current_span(false)
                .with_span_list(false);
            // Only waitfor's own events: the libraries it links (h2) have theirs.
            let own = Targets::new().with_target(OWN_TARGET, level);
            tracing_subscriber::registry()
                .with(output.with_filter(own))
                .init();
        }
    }
    if let Some(reason) = unreadable {
        warn!(
            "ignoring {RUST_LOG}={:?}: {reason}",
            human::shortened(&directives)
        );
    }
    level
}

/// The level the last of `directives` that names waitfor sets, if one does;
/// an error where the value is not `RUST_LOG` syntax at all.
///
/// A directive is `[target][span{fields}][=level]`, as tracing-subscriber's
/// EnvFilter reads it; only its target and level matter here. A bare level
/// (`warn`) names no target, so it is the COMMAND's.
fn own_level(directives: &str) -> Result<Option<LevelFilter>, String> {
    let mut own = None;
    for directive in directives.split(',').map(str::trim) {
        if directive.is_empty() {
            continue;
        }
        let selector_end = selector_end(directive)
            .ok_or_else(|| format!("{:?} has unbalanced brackets", human::shortened(directive)))?;
        let (selector, level) = match directive[selector_end..].strip_prefix('=') {
            Some(level) => (&directive[..selector_end], Some(level)),
            None if selector_end == directive.len() => (directive, None),
            None => {
                return Err(format!(
                    "{:?} is not a directive",
                    human::shortened(directive)
                ));
            }
        };
        let target = &selector[..selector.find('[').unwrap_or(selector.len())];
        let level = match level {
            Some(level) => Some(
                level
                    .parse::<LevelFilter>()
                    .map_err(|_| format!("{:?} is not a level", human::shortened(level)))?,
            ),
            // A bare level, or a target alone (everything it says).
            None if target.parse::<LevelFilter>().is_ok() => None,
            None => Some(LevelFilter::TRACE),
        };
        let names_waitfor = target == OWN_TARGET
            || target
                .strip_prefix(OWN_TARGET)
                .is_some_and(|rest| rest.starts_with("::"));
        if names_waitfor {
            own = level;
        }
    }
    Ok(own)
}

/// Where the target and span part of a directive ends (at its `=level`, or
/// its end); `None` if its brackets and braces do not balance.
fn selector_end(directive: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in directive.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth = depth.checked_sub(1)?,
            '=' if depth == 0 => return Some(at),
            _ => {}
        }
    }
    (depth == 0).then_some(directive.len())
}

/// Text output: `waitfor: ` and the event's sentence, with `error: ` or
/// `warning: ` before it where that is its level; only waitfor's own
/// events (the libraries it links, h2, have theirs), up to `level`. Spans
/// are neither made nor kept: waitfor has none.
struct Sentences {
    level: LevelFilter,
}

impl Subscriber for Sentences {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let target = metadata.target();
        let own = target
            .strip_prefix(OWN_TARGET)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"));
        own && *metadata.level() <= self.level
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let level = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            _ => "",
        };
        let mut message = Message::default();
        event.record(&mut message);
        let mut line = EventWriter::default();
        let _ = writeln!(line, "waitfor: {level}{}", message.0);
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_directives_naming_waitfor_set_its_level() {
        for (directives, level) in [
            ("", None),
            ("otherapp=debug", None),
            ("warn", None),
            ("myapp=debug,warn", None),
            ("waitfor_extra=trace", None),
            ("waitfor=debug", Some(LevelFilter::DEBUG)),
            ("myapp=info,waitfor::wait=trace", Some(LevelFilter::TRACE)),
            ("waitfor", Some(LevelFilter::TRACE)),
            ("waitfor=off", Some(LevelFilter::OFF)),
            (
                "myapp[request{id=1}]=debug,waitfor=warn",
                Some(LevelFilter::WARN),
            ),
        ] {
            assert_eq!(own_level(directives), Ok(level), "{directives:?}");
        }
        for unreadable in ["[{", "waitfor=loud", "a]=debug", "a=b=c"] {
            assert!(own_level(unreadable).is_err(), "{unreadable:?}");
        }
    }
}
