//! `wait`: ufoscout/docker-compose-wait 2.12, configured by the environment
//! only (its arguments are ignored, as it ignores them).
//!
//! `WAIT_HOSTS` (`host:port`, comma-separated) then `WAIT_PATHS`, each
//! entry trimmed; `WAIT_TIMEOUT` (30), `WAIT_BEFORE`, `WAIT_AFTER` (0),
//! `WAIT_SLEEP_INTERVAL` (1), `WAIT_HOST_CONNECT_TIMEOUT` (5), all whole
//! seconds; `WAIT_COMMAND`, split into words as a shell does and exec'd;
//! `WAIT_LOGGER_LEVEL` (debug), an env_logger filter. The legacy
//! `WAIT_HOSTS_TIMEOUT`, `WAIT_BEFORE_HOSTS`, `WAIT_AFTER_HOSTS` still count,
//! with a warning, and the new names win. A number it cannot read means the
//! default, as it does, and a warning says so. Nothing to wait for is ready
//! at once; a timeout exits 1; `WAIT_TIMEOUT=0` is one attempt at each
//! target, then it gives up, as it does.

use std::path::Path;
use std::time::Duration;

use tracing::level_filters::LevelFilter;

use super::args::Environment;
use crate::error::Error;
use crate::human;
use crate::options::{ComposeWait, Invocation, Log, LogFormat, Options, Verbosity, Voice};
use crate::url;

/// Its only failure code; waitfor also uses it for settings it refuses.
const FAILURE_EXIT: i32 = 1;

pub fn parse(env: Environment) -> Result<Options, Error> {
    let mut warnings = Vec::new();
    let mut seconds = |legacy: Option<&str>, name: &str, default: u64| {
        let mut given = None;
        if let Some(legacy) = legacy.filter(|legacy| env(legacy).is_some()) {
            warnings.push(format!(
                "Environment variable [{legacy}] is deprecated. Use [{name}] instead."
            ));
            given = env(legacy).map(|value| (legacy.to_owned(), value));
        }
        if let Some(value) = env(name) {
            given = Some((name.to_owned(), value));
        }
        match given {
            None => default,
            Some((_, value)) if value.is_empty() => default,
            Some((name, value)) => value.parse().unwrap_or_else(|_| {
                warnings.push(format!(
                    "Environment variable [{name}] is not a whole number of seconds: \
                     {value:?}; using {default}."
                ));
                default
            }),
        }
    };
    let timeout = seconds(Some("WAIT_HOSTS_TIMEOUT"), "WAIT_TIMEOUT", 30);
    let connect_timeout = seconds(None, "WAIT_HOST_CONNECT_TIMEOUT", 5);
    let before = seconds(Some("WAIT_BEFORE_HOSTS"), "WAIT_BEFORE", 0);
    let after = seconds(Some("WAIT_AFTER_HOSTS"), "WAIT_AFTER", 0);
    let interval = seconds(None, "WAIT_SLEEP_INTERVAL", 1);
    let connect_timeout = match connect_timeout {
        0 => {
            // It would give every connection no time at all and never succeed.
            warnings.push(
                "Environment variable [WAIT_HOST_CONNECT_TIMEOUT] is 0, which no \
                 connection can meet; using 5."
                    .to_owned(),
            );
            5
        }
        seconds => seconds,
    };
    let refused = |text: String| Error::Incumbent {
        text: format!("wait: {text}\n"),
        code: FAILURE_EXIT,
    };
    let hosts = entries(&env("WAIT_HOSTS").unwrap_or_default());
    let paths = entries(&env("WAIT_PATHS").unwrap_or_default());
    let mut targets = Vec::new();
    for host in &hosts {
        targets.push(host_target(host).map_err(refused)?);
    }
    for path in &paths {
        targets.push(file_target(path.trim()).map_err(refused)?);
    }
    let command_line = env("WAIT_COMMAND").unwrap_or_default().trim().to_owned();
    let command = shell_words::split(&command_line)
        .map_err(|error| refused(format!("WAIT_COMMAND: {error}: {command_line}")))?;
    let level = logger_level(env("WAIT_LOGGER_LEVEL").as_deref().unwrap_or("debug"));
    let invocation = Invocation {
        targets,
        command: command.into_iter().map(Into::into).collect(),
        // It gives up at the first failure past the timeout: with 0, after
        // one attempt at each target, which the deadline leaves its time.
        timeout: Duration::from_secs(match timeout {
            0 => connect_timeout,
            seconds => seconds,
        }),
        once: timeout == 0,
        // 0 would be a busy loop.
        interval: match interval {
            0 => Invocation::default().interval,
            seconds => Duration::from_secs(seconds),
        },
        connect_timeout: Duration::from_secs(connect_timeout),
        pause_before: Duration::from_secs(before),
        pause_after: Duration::from_secs(after),
        targets_required: false,
        log: Log {
            verbosity: Verbosity::Quiet,
            format: LogFormat::Text,
        },
        expand_variables: false,
        voice: Voice::ComposeWait(ComposeWait {
            level,
            warnings,
            hosts,
            paths,
            timeout,
            connect_timeout,
            before,
            after,
            interval,
            command: command_line,
        }),
        ..Invocation::default()
    };
    Options::new(invocation).map_err(|error| match error {
        Error::Usage(message) => refused(message),
        other => other,
    })
}

/// The entries of a comma-separated list as written (untrimmed, as its lines
/// show them); none for a blank list.
fn entries(list: &str) -> Vec<String> {
    match list.trim() {
        "" => Vec::new(),
        list => list.split(',').map(str::to_owned).collect(),
    }
}

/// A `WAIT_HOSTS` entry as the TCP target it names: `host:port`, which is
/// one to waitfor too, so that a refusal quotes it as written. What it
/// cannot be is refused here, in words about the list.
fn host_target(entry: &str) -> Result<String, String> {
    let written = entry.trim();
    // An entry with a scheme may carry a password (`redis://:pw@db:6379`): masked as a URL's.
    let shown = human::quoted(&url::masked(written));
    if written.is_empty() {
        return Err("WAIT_HOSTS: an empty entry (a comma too many?): \
             entries are host:port, separated by commas"
            .to_owned());
    }
    if written.contains(|c: char| c.is_ascii_whitespace()) {
        return Err(format!(
            "WAIT_HOSTS: \"{shown}\" holds white space: entries are separated by commas, \
             as db:5432,redis:6379"
        ));
    }
    if written.contains("://") {
        return Err(format!(
            "WAIT_HOSTS: \"{shown}\": entries are host:port, with no scheme (it only connects)"
        ));
    }
    Ok(written.to_owned())
}

/// A path, relative to where waitfor runs or absolute, as a `file://` target.
fn file_target(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("WAIT_PATHS: an empty entry".to_owned());
    }
    let absolute = std::path::absolute(Path::new(path))
        .map_err(|error| format!("WAIT_PATHS: {path}: {error}"))?;
    let mut url = String::from("file://");
    for c in absolute.to_string_lossy().chars() {
        match c {
            // What a URL would read as its own: escaped, and read back by the file probe.
            '%' | '?' | '#' => url.push_str(&format!("%{:02X}", c as u32)),
            c => url.push(c),
        }
    }
    Ok(url)
}

/// What an env_logger filter (`WAIT_LOGGER_LEVEL`) lets through of the
/// `wait` module's lines: its last bare level, or the level of the most
/// specific directive naming `wait`; a filter that names only other modules
/// lets nothing through, and an empty one errors only.
fn logger_level(filter: &str) -> LevelFilter {
    let level = |text: &str| match text.trim().to_ascii_lowercase().as_str() {
        "off" => Some(LevelFilter::OFF),
        "error" => Some(LevelFilter::ERROR),
        "warn" => Some(LevelFilter::WARN),
        "info" => Some(LevelFilter::INFO),
        "debug" => Some(LevelFilter::DEBUG),
        "trace" => Some(LevelFilter::TRACE),
        _ => None,
    };
    let directives = filter.split('/').next().unwrap_or_default();
    let mut global = None;
    let mut named = None;
    let mut any = false;
    for directive in directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        any = true;
        match directive.split_once('=') {
            None => match level(directive) {
                Some(level) => global = Some(level),
                // A module name alone: all its lines.
                None if directive == "wait" => named = Some(LevelFilter::TRACE),
                None => {}
            },
            Some(("wait", given)) => named = level(given).or(named),
            Some(_) => {}
        }
    }
    match (named, global, any) {
        (Some(level), _, _) => level,
        (None, Some(level), _) => level,
        (None, None, true) => LevelFilter::OFF,
        (None, None, false) => LevelFilter::ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(env: &[(&str, &str)]) -> Result<Options, Error> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&move |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    fn settings(options: &Options) -> &ComposeWait {
        match &options.voice {
            Voice::ComposeWait(settings) => settings,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn its_defaults() {
        let options = parsed(&[]).unwrap();
        assert!(options.targets.is_empty() && options.command.is_none());
        let settings = settings(&options);
        assert_eq!(
            (
                settings.timeout,
                settings.connect_timeout,
                settings.before,
                settings.after,
                settings.interval
            ),
            (30, 5, 0, 0, 1)
        );
        assert_eq!(settings.level, LevelFilter::DEBUG);
        assert!(settings.warnings.is_empty());
    }

    #[test]
    fn hosts_then_paths_as_written() {
        let options = parsed(&[
            ("WAIT_HOSTS", " db:5432, [::1]:6379 "),
            ("WAIT_PATHS", "/tmp/ready"),
            ("WAIT_COMMAND", " app --name 'a b' "),
        ])
        .unwrap();
        let targets: Vec<String> = options.targets.iter().map(ToString::to_string).collect();
        // host:port is a TCP target to waitfor too, named as written.
        assert_eq!(targets, ["db:5432", "[::1]:6379", "file:///tmp/ready"]);
        for (hosts, refused) in [
            (
                "db:5432 redis:6379",
                "\"db:5432 redis:6379\" holds white space",
            ),
            ("db:1,,db:2", "an empty entry"),
            ("http://web/", "\"http://web/\": entries are host:port"),
        ] {
            let text = parsed(&[("WAIT_HOSTS", hosts)]).err().unwrap().to_string();
            assert!(text.contains(refused) && !text.contains("tcp://"), "{text}");
        }
        assert_eq!(settings(&options).hosts, ["db:5432", " [::1]:6379"]);
        assert_eq!(options.command.unwrap(), ["app", "--name", "a b"]);
    }

    #[test]
    fn legacy_names_warn_and_the_new_ones_win() {
        let options = parsed(&[
            ("WAIT_HOSTS_TIMEOUT", "5"),
            ("WAIT_BEFORE_HOSTS", "2"),
            ("WAIT_BEFORE", "3"),
        ])
        .unwrap();
        let settings = settings(&options);
        assert_eq!((settings.timeout, settings.before), (5, 3));
        assert_eq!(
            settings.warnings,
            [
                "Environment variable [WAIT_HOSTS_TIMEOUT] is deprecated. Use [WAIT_TIMEOUT] instead.",
                "Environment variable [WAIT_BEFORE_HOSTS] is deprecated. Use [WAIT_BEFORE] instead."
            ]
        );
    }

    #[test]
    fn an_unreadable_number_is_the_default_with_a_warning() {
        let options = parsed(&[("WAIT_TIMEOUT", "10o"), ("WAIT_AFTER", "-3")]).unwrap();
        let settings = settings(&options);
        assert_eq!((settings.timeout, settings.after), (30, 0));
        assert_eq!(settings.warnings.len(), 2, "{:?}", settings.warnings);
        assert!(settings.warnings[0].contains("[WAIT_TIMEOUT]"));
    }

    #[test]
    fn bad_quoting_is_one_line_and_exit_1() {
        let error = parsed(&[("WAIT_COMMAND", "a 'b")]).err().unwrap();
        assert_eq!(error.exit_code(crate::face::Face::ComposeWait), 1);
        assert!(
            error.to_string().starts_with("wait: WAIT_COMMAND: "),
            "{error}"
        );
    }

    #[test]
    fn logger_filters_as_env_logger_reads_them() {
        for (filter, level) in [
            ("debug", LevelFilter::DEBUG),
            ("INFO", LevelFilter::INFO),
            ("off", LevelFilter::OFF),
            ("", LevelFilter::ERROR),
            ("foo", LevelFilter::OFF),
            ("other=debug", LevelFilter::OFF),
            ("warn,wait=info", LevelFilter::INFO),
            ("wait", LevelFilter::TRACE),
            ("error,other=trace", LevelFilter::ERROR),
        ] {
            assert_eq!(logger_level(filter), level, "{filter:?}");
        }
    }
}
