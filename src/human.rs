//! Small helpers that put values into words for people, and read the one
//! value people write in words: durations, counts, dates, and user input
//! shortened for a one-line message.
//!
//! They sit apart from any one module because the waiting code, the probes
//! and the output all speak to people in the same terms.

use std::io;
use std::time::{Duration, SystemTime};

use nix::errno::Errno;

use crate::secret;

/// How much of a long piece of user input a message quotes: its start and
/// its end (where two long URLs most often differ, in their query).
const QUOTED: (usize, usize) = (80, 30);
/// How much of a whole message line is kept, where the line itself quotes
/// user input (clap's errors).
const LINE: (usize, usize) = (240, 60);

/// A duration as people read it: `250ms`, `1.2s`, `30s`, `2m5s`, `3h20m`.
/// Whole seconds as such only where they are whole to the nanosecond (a
/// duration given, `30s`): one measured is `1.0s`, whether it took
/// 1000.3 ms or 1000.9 ms.
pub fn duration(d: Duration) -> String {
    let millis = d.as_millis();
    match millis {
        0..1_000 => format!("{millis}ms"),
        1_000..60_000 if d.subsec_nanos() == 0 => format!("{}s", millis / 1_000),
        1_000..60_000 => format!("{:.1}s", d.as_secs_f64()),
        60_000..3_600_000 => format!("{}m{}s", millis / 60_000, (millis % 60_000) / 1_000),
        _ => format!("{}h{}m", millis / 3_600_000, (millis % 3_600_000) / 60_000),
    }
}

/// `1 attempt`, `2 attempts`: the count with the word in the number it needs.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    match n.into() {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// A moment as a UTC date and time, `2026-11-20 10:00:00 UTC`.
pub fn date(at: SystemTime) -> String {
    let rfc3339 = humantime::format_rfc3339_seconds(at).to_string();
    format!("{} UTC", rfc3339.trim_end_matches('Z').replace('T', " "))
}

/// `text`, cut to a length a message can quote: its start, `…`, its end,
/// and how long it was.
pub fn shortened(text: &str) -> String {
    cut(text, QUOTED)
}

/// A whole message line, cut the same way where it is far too long to read.
pub fn shortened_line(line: &str) -> String {
    cut(line, LINE)
}

/// `text` with its secrets masked (before the cut, so that no part of one
/// is left at it), then cut to its start and end.
fn cut(text: &str, (head, tail): (usize, usize)) -> String {
    if text.chars().count() <= head + tail {
        return secret::masked(text);
    }
    let start = secret::masked_start(text, head);
    let end = secret::masked_end(text, tail);
    format!("{start}…{end} ({} bytes in all)", text.len())
}

/// What a user or a server wrote, as a message quotes it: control
/// characters escaped, then shortened.
pub fn quoted(text: &str) -> String {
    shortened(&escaped(text))
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`), so that
/// what a user or a server wrote stays on one line and never drives the
/// terminal; so are the characters that reorder or hide text (bidirectional
/// overrides, zero-width ones, line and paragraph separators).
pub fn escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_debug());
        } else if hides_or_reorders(c) {
            escaped.extend(c.escape_unicode());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// Unicode's format characters (category Cf: bidirectional controls,
/// zero-width spaces and joiners, invisible operators, tags) and the line
/// and paragraph separators: text that looks like nothing, or like other text.
fn hides_or_reorders(c: char) -> bool {
    matches!(
        u32::from(c),
        0xad | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x180e
            | 0x200b..=0x200f
            | 0x2028..=0x202e
            | 0x2060..=0x2064
            | 0x2066..=0x206f
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
    )
}

/// An I/O error as a short phrase: "connection refused", not "Connection refused (os error 111)".
pub fn io_error(error: &io::Error) -> String {
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

/// A size in bytes as people read it: `99 bytes`, `64 KiB`, `4 MiB`.
pub fn bytes(size: u64) -> String {
    match size {
        0..1024 => count(size, "byte", "bytes"),
        _ if size % (1024 * 1024) == 0 => format!("{} MiB", size / (1024 * 1024)),
        _ if size % 1024 == 0 => format!("{} KiB", size / 1024),
        _ => format!("{:.1} KiB", size as f64 / 1024.0),
    }
}

/// A humantime duration (`250ms`, `1m30s`), or a bare number of seconds as in wait-for-it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let shown = shortened(text);
    let too_large = || format!("{shown:?} is too large a duration");
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds = text
            .parse::<f64>()
            .map_err(|_| format!("{shown:?} is not a number of seconds"))?;
        return Duration::try_from_secs_f64(seconds).map_err(|_| too_large());
    }
    humantime::parse_duration(text).map_err(|error| match error {
        humantime::DurationError::NumberOverflow => too_large(),
        error => format!("{error} (write e.g. 30s, 250ms, 1m30s or a number of seconds)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration(Duration::from_millis(1_234)), "1.2s");
        assert_eq!(duration(Duration::from_secs(30)), "30s");
        // Measured, a second and a fraction of a millisecond is still measured.
        assert_eq!(duration(Duration::from_micros(1_000_300)), "1.0s");
        assert_eq!(duration(Duration::from_secs(125)), "2m5s");
        assert_eq!(duration(Duration::from_secs(12_000)), "3h20m");
        assert_eq!(duration(Duration::MAX), "5124095576030431h0m");
    }

    #[test]
    fn counts_dates_and_shortening() {
        assert_eq!(count(1u32, "try", "tries"), "1 try");
        assert_eq!(count(0u32, "try", "tries"), "0 tries");
        assert_eq!(
            date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)),
            "2026-11-18 11:06:40 UTC"
        );
        assert_eq!(shortened("db:5432"), "db:5432");
        let long = "x".repeat(100_000);
        let short = shortened(&long);
        assert!(short.len() < 200 && short.ends_with(" (100000 bytes in all)"));
        // Two long URLs that differ only at the end stay apart.
        let url = |q: &str| format!("http://search:9200/{}?status={q}", "p/".repeat(60));
        assert_ne!(shortened(&url("green")), shortened(&url("yellow")));
        let line = format!("invalid value '{long}' for '--timeout <D>'");
        assert!(shortened_line(&line).ends_with("for '--timeout <D>' (100036 bytes in all)"));
        assert_eq!(shortened_line("a short line"), "a short line");
    }

    #[test]
    fn durations_are_humantime_or_seconds() {
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for huge in [
            "99999999999999999999",
            "99999999999999999999999s",
            "99999999999999999h",
        ] {
            assert_eq!(
                parse_duration(huge),
                Err(format!("{huge:?} is too large a duration"))
            );
        }
        for bad in [
            "",
            "1.2.3",
            ".",
            "-1",
            "5x",
            "1e3",
            "99999999999999999999999",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
