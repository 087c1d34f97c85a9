//! Everything waitfor tells the user, on stderr (stdout belongs to the COMMAND).
//!
//! Messages go through `tracing`, so `--log-format json`, `-q`, `-v` and
//! `RUST_LOG` all apply to them. Each event carries a sentence for people and
//! fields for machines: text output prints the sentence, JSON prints both.
//! When stderr is a terminal, a live status (one line per target, redrawn in
//! place) replaces the scrolling progress lines.

use std::fmt::{self, Write as _};
use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Subscriber, debug, error, info, warn};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

use crate::cli::LogFormat;
use crate::options::{Log, Verbosity};
use crate::wait::Progress;

/// How often the scrolling output says what still blocks.
const STILL_WAITING_EVERY: Duration = Duration::from_secs(5);
/// How often the live status is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// How many targets a line or the live status names before it summarises the rest.
const NAMED_AT_MOST: usize = 20;

/// The variable whose directives (`debug`, `waitfor=trace`) override -q and -v.
const RUST_LOG: &str = "RUST_LOG";

/// Installs the subscriber that prints waitfor's events on stderr.
///
/// `RUST_LOG` takes tracing-subscriber's `target=level` directives. They are
/// read with `Targets` rather than `EnvFilter`, whose regex support would
/// cost a fifth of the binary for span and field filters waitfor has no use
/// for. `RUST_LOG` is often set for the COMMAND in the same environment, so
/// directives waitfor cannot read are warned about, not refused.
pub fn install(log: Log) {
    let verbosity = Targets::new().with_default(match log.verbosity {
        Verbosity::Quiet => LevelFilter::ERROR,
        Verbosity::Normal => LevelFilter::INFO,
        Verbosity::Attempts => LevelFilter::DEBUG,
        Verbosity::Everything => LevelFilter::TRACE,
    });
    let (filter, unreadable) = match std::env::var(RUST_LOG).map(|d| (d.parse::<Targets>(), d)) {
        Ok((Ok(directives), _)) => (directives, None),
        Ok((Err(error), directives)) => (verbosity, Some((directives, error))),
        Err(_) => (verbosity, None),
    };
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let output = match log.format {
        LogFormat::Text => output.event_format(Sentence).boxed(),
        LogFormat::Json => output
            .json()
            .flatten_event(true)
            .with_target(false)
            .with_current_span(false)
            .with_span_list(false)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(output.with_filter(filter))
        .init();
    if let Some((directives, error)) = unreadable {
        warn!("ignoring {RUST_LOG}={directives:?}: {error}");
    }
}

/// Reports the progress of a wait, as scrolling lines or as a live status.
pub struct Report {
    live: Option<LiveStatus>,
}

impl Report {
    pub fn new(log: Log) -> Self {
        let live = log.format == LogFormat::Text
            && log.verbosity == Verbosity::Normal
            && std::env::var_os(RUST_LOG).is_none()
            && std::io::stderr().is_terminal();
        Report {
            live: live.then(LiveStatus::default),
        }
    }

    /// How often [`Report::tick`] wants to be called.
    pub fn tick_period(&self) -> Duration {
        match self.live {
            Some(_) => REDRAW_EVERY,
            None => STILL_WAITING_EVERY,
        }
    }

    pub fn started(&mut self, progress: &[Progress], timeout: Option<Duration>) {
        let within = match timeout {
            Some(timeout) => format!("up to {}", duration(timeout)),
            None => "with no deadline".to_owned(),
        };
        info!(
            targets = progress.len(),
            timeout_ms = timeout.map(|t| t.as_millis() as u64),
            "waiting {within} for {}",
            names(
                progress.iter().map(|p| p.target.to_string()),
                progress.len()
            )
        );
        self.redraw(progress);
    }

    pub fn attempt_failed(&mut self, target: &Progress) {
        if let Some(failure) = &target.last_failure {
            debug!(
                target = %target.target,
                attempt = target.attempts,
                error = %failure,
                "{}: attempt {} failed: {failure}",
                target.target,
                target.attempts
            );
        }
    }

    /// A target became ready: a line, unless the live status shows it.
    pub fn ready(&mut self, target: &Progress) {
        let (Some(after), None) = (target.ready_after, &self.live) else {
            return;
        };
        info!(
            target = %target.target,
            elapsed_ms = after.as_millis() as u64,
            attempts = target.attempts,
            "{} is ready after {} ({})",
            target.target,
            duration(after),
            attempts(target.attempts)
        );
    }

    /// Called every [`Report::tick_period`]: redraws the live status, or says what still blocks.
    pub fn tick(&mut self, progress: &[Progress], elapsed: Duration) {
        if self.live.is_some() {
            self.redraw(progress);
            return;
        }
        let blocking: Vec<_> = progress
            .iter()
            .filter(|p| p.ready_after.is_none())
            .collect();
        info!(
            not_ready = blocking.len(),
            elapsed_ms = elapsed.as_millis() as u64,
            "still waiting after {} for {}",
            duration(elapsed),
            names(
                blocking
                    .iter()
                    .map(|p| format!("{} ({})", p.target, last_failure(p))),
                blocking.len()
            )
        );
    }

    /// The deadline passed: one line per target that is not ready.
    pub fn timed_out(&mut self, progress: &[Progress], elapsed: Duration) {
        self.finish(progress);
        for target in progress.iter().filter(|p| p.ready_after.is_none()) {
            // A target whose only attempt is still under way has been silent all along.
            let failure = match &target.last_failure {
                Some(failure) => failure.to_string(),
                None => format!("no answer within {}", duration(elapsed)),
            };
            error!(
                target = %target.target,
                attempts = target.attempts,
                error = %failure,
                "{} is not ready after {}: {failure} ({})",
                target.target,
                duration(elapsed),
                attempts(target.attempts)
            );
        }
    }

    /// The wait is over: leaves the live status showing the final state.
    pub fn finish(&mut self, progress: &[Progress]) {
        self.redraw(progress);
        self.live = None;
    }

    fn redraw(&mut self, progress: &[Progress]) {
        if let Some(live) = &mut self.live {
            live.draw(progress);
        }
    }
}

/// The block of lines a terminal shows while waiting, redrawn in place.
#[derive(Default)]
struct LiveStatus {
    /// How many lines the previous drawing took, to move back over them.
    drawn: usize,
}

impl LiveStatus {
    fn draw(&mut self, progress: &[Progress]) {
        let width = terminal_width();
        let shown = &progress[..progress.len().min(NAMED_AT_MOST)];
        let name_width = shown
            .iter()
            .map(|p| p.target.to_string().len())
            .max()
            .unwrap_or(0);
        // Counts before the free text, so a narrow terminal cuts only the detail.
        let mut lines: Vec<String> = shown
            .iter()
            .map(|p| {
                let (state, detail) = match p.ready_after {
                    Some(after) => ("ready", format!("after {}", duration(after))),
                    None => ("waiting", last_failure(p)),
                };
                let name = p.target.to_string();
                format!(
                    "  {state:<7}  {name:<name_width$}  {:>5} tries  {detail}",
                    p.attempts
                )
            })
            .collect();
        if progress.len() > NAMED_AT_MOST {
            let ready = progress.iter().filter(|p| p.ready_after.is_some()).count();
            lines.push(format!(
                "  ... {} more; {ready} of {} ready",
                progress.len() - NAMED_AT_MOST,
                progress.len()
            ));
        }
        let mut screen = String::new();
        if self.drawn > 0 {
            // Back to the first column of the first line drawn last time.
            let _ = write!(screen, "\x1b[{}F", self.drawn);
        }
        for line in &lines {
            let shown: String = line.chars().take(width.saturating_sub(1)).collect();
            // Clear the rest of the line, then write it.
            let _ = writeln!(screen, "\x1b[2K{shown}");
        }
        // Clear whatever the previous drawing left below.
        screen.push_str("\x1b[J");
        self.drawn = lines.len();
        let _ = std::io::stderr().lock().write_all(screen.as_bytes());
    }
}

fn terminal_width() -> usize {
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct it is given.
    let got =
        unsafe { nix::libc::ioctl(nix::libc::STDERR_FILENO, nix::libc::TIOCGWINSZ, &mut size) };
    if got == 0 && size.ws_col > 0 {
        usize::from(size.ws_col)
    } else {
        80
    }
}

fn last_failure(target: &Progress) -> String {
    match &target.last_failure {
        Some(failure) => failure.to_string(),
        None => "no answer yet".to_owned(),
    }
}

/// Up to [`NAMED_AT_MOST`] of `count` items, then how many more there are.
fn names(items: impl Iterator<Item = String>, count: usize) -> String {
    let mut named: Vec<String> = items.take(NAMED_AT_MOST).collect();
    if count > NAMED_AT_MOST {
        named.push(format!("and {} more", count - NAMED_AT_MOST));
    }
    named.join(", ")
}

fn attempts(count: u32) -> String {
    match count {
        1 => "1 attempt".to_owned(),
        _ => format!("{count} attempts"),
    }
}

/// A duration as people read it: `250ms`, `1.2s`, `30s`, `2m5s`, `3h20m`.
pub fn duration(d: Duration) -> String {
    let millis = d.as_millis();
    match millis {
        0..1_000 => format!("{millis}ms"),
        1_000..60_000 if millis % 1_000 == 0 => format!("{}s", millis / 1_000),
        1_000..60_000 => format!("{:.1}s", d.as_secs_f64()),
        60_000..3_600_000 => format!("{}m{}s", millis / 60_000, (millis % 60_000) / 1_000),
        _ => format!("{}h{}m", millis / 3_600_000, (millis % 3_600_000) / 60_000),
    }
}

/// Text output: `waitfor: ` and the event's sentence, with `error: ` or
/// `warning: ` before it where that is its level.
struct Sentence;

impl<S, N> FormatEvent<S, N> for Sentence
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            _ => "",
        };
        let mut message = Message::default();
        event.record(&mut message);
        writeln!(writer, "waitfor: {level}{}", message.0)
    }
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
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration(Duration::from_millis(1_234)), "1.2s");
        assert_eq!(duration(Duration::from_secs(30)), "30s");
        assert_eq!(duration(Duration::from_secs(125)), "2m5s");
        assert_eq!(duration(Duration::from_secs(12_000)), "3h20m");
        assert_eq!(duration(Duration::MAX), "5124095576030431h0m");
    }
}
