//! `wait-for`, `wait-for.sh`: eficode/wait-for 2.2.4.
//!
//! `host:port` or an `http(s)://` URL, `-t N`/`-tN`/`--timeout=N` (15; 0 for
//! none), `-q` (also combined: `-qt1`), `-v`, `--help`, `-- COMMAND`. It
//! probes about once a second (`nc -w 1 -z`, or `wget --timeout=1`, which
//! follows redirects and wants a 2xx), runs the COMMAND only on success, and
//! says nothing but `Operation timed out` (exit 1). Exit 2 for a missing
//! host or port, 3 for an invalid timeout, 1 for an unknown option; its
//! usage text (on stderr, also for `--help`, which exits 0) names it by
//! `$0`, the path it was invoked by. As the script does, it takes `HOST` and
//! `PORT` from the environment when no target is given.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::time::Duration;

use super::args::{Environment, tcp_target, text};
use crate::error::Error;
use crate::options::{Invocation, Log, LogFormat, Options, Verbosity, Voice};

/// The version of wait-for this front-end follows, which `-v` prints.
const VERSION: &str = "2.2.4";

pub fn parse(invoked: &str, args: Vec<OsString>, env: Environment) -> Result<Options, Error> {
    let mut host = env("HOST").unwrap_or_default();
    let mut port = env("PORT").unwrap_or_default();
    let mut http = false;
    let mut timeout = "15".to_owned();
    let mut quiet = false;
    let mut command = Vec::new();
    let mut words: VecDeque<String> = text(&args).into();
    let mut taken = 0;
    let usage = |said: String, code: i32| Error::Incumbent {
        text: format!(
            "{said}Usage:
  {invoked} host:port|url [-t timeout] [-- command args]
  -q | --quiet                        Do not output any status messages
  -t TIMEOUT | --timeout=timeout      Timeout in seconds, zero for no timeout
                                      Defaults to 15 seconds
  -v | --version                      Show the version of this tool
  -- COMMAND ARGS                     Execute command with args after the test finishes
"
        ),
        code,
    };
    while let Some(word) = words.pop_front() {
        taken += 1;
        match word.as_str() {
            _ if word.starts_with("http://") || word.starts_with("https://") => {
                host = word;
                http = true;
            }
            _ if word.contains(':') => {
                // `cut -d : -f 1` and `-f 2`.
                let mut fields = word.split(':');
                host = fields.next().unwrap_or_default().to_owned();
                port = fields.next().unwrap_or_default().to_owned();
            }
            "-v" | "--version" => return Err(Error::Help(format!("{VERSION}\n"))),
            "-q" | "--quiet" => quiet = true,
            _ if word.starts_with("-q-") => {
                return Err(usage(format!("Unknown option: {word}\n"), 1));
            }
            _ if word.starts_with("-q") => {
                quiet = true;
                // `-qt1` is `-q -t1`: the rest is read again as an option.
                words.push_front(format!("-{}", &word[2..]));
                taken -= 1;
            }
            "-t" | "--timeout" => {
                timeout = words.pop_front().unwrap_or_default();
                taken += 1;
            }
            _ if word.starts_with("--timeout=") => timeout = word["--timeout=".len()..].to_owned(),
            _ if word.starts_with("-t") => timeout = word[2..].to_owned(),
            "--" => {
                command = args[taken..].to_vec();
                break;
            }
            "--help" => return Err(usage(String::new(), 0)),
            _ if word.starts_with('-') => {
                return Err(usage(format!("Unknown option: {word}\n"), 1));
            }
            _ => return Err(usage(format!("Unknown argument: {word}\n"), 1)),
        }
    }
    let echo = |text: &str| match quiet {
        true => String::new(),
        false => format!("{text}\n"),
    };
    // `[ "$TIMEOUT" -ge 0 ]`: a whole number, not negative.
    let Ok(seconds) = timeout.trim().parse::<u64>() else {
        return Err(usage(
            echo(&format!("Error: invalid timeout '{timeout}'")),
            3,
        ));
    };
    let target = match http {
        true if host.is_empty() => {
            return Err(usage(echo("Error: you need to provide a host to test."), 2));
        }
        true => host,
        false if host.is_empty() || port.is_empty() => {
            return Err(usage(
                echo("Error: you need to provide a host and port to test."),
                2,
            ));
        }
        false => tcp_target(&host, &port),
    };
    let invocation = Invocation {
        targets: vec![target],
        command,
        timeout: Duration::from_secs(seconds),
        interval: Duration::from_secs(1),
        // `nc -w 1`, `wget --timeout=1`.
        connect_timeout: Duration::from_secs(1),
        http_follow: true,
        log: Log {
            verbosity: Verbosity::Quiet,
            format: LogFormat::Text,
        },
        expand_variables: false,
        voice: Voice::WaitFor,
        ..Invocation::default()
    };
    Options::new(invocation).map_err(|error| match error {
        // What its `nc` or `wget` would never reach: refused before waiting, as a usage error.
        Error::Usage(message) => usage(format!("Error: {message}\n"), 2),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Face;

    fn parsed(args: &[&str]) -> Result<Options, Error> {
        parse(
            "/usr/bin/wait-for",
            args.iter().map(OsString::from).collect(),
            &|_| None,
        )
    }

    fn code(args: &[&str]) -> (i32, String) {
        match parsed(args) {
            Ok(_) => (0, String::new()),
            Err(error) => (error.exit_code(Face::WaitFor), error.to_string()),
        }
    }

    #[test]
    fn reads_its_arguments_as_the_script_does() {
        for (args, seconds) in [
            (&["db:5432"][..], 15),
            (&["db:5432", "-t", "3"], 3),
            (&["db:5432", "-t3"], 3),
            (&["db:5432", "--timeout=4"], 4),
            (&["-qt1", "db:5432"], 1),
            (&["db:5432", "-t", "0"], 0),
        ] {
            let options = parsed(args).unwrap();
            assert_eq!(
                options.timing.timeout,
                Some(Duration::from_secs(seconds)).filter(|t| !t.is_zero()),
                "{args:?}"
            );
        }
        let options = parsed(&["http://web/health", "--", "app", "--serve"]).unwrap();
        assert_eq!(options.targets[0].to_string(), "http://web/health");
        assert_eq!(options.command.unwrap(), ["app", "--serve"]);
        let options = parsed(&["a:1:2"]).unwrap();
        assert_eq!(options.targets[0].to_string(), "tcp://a:1");
    }

    #[test]
    fn its_exit_codes_for_what_it_refuses() {
        assert_eq!(code(&["-v"]), (0, "2.2.4\n".into()));
        assert_eq!(code(&["--help"]).0, 0);
        assert!(
            code(&["--help"])
                .1
                .contains("/usr/bin/wait-for host:port|url")
        );
        assert_eq!(code(&["db"]).0, 1);
        assert!(code(&["db"]).1.starts_with("Unknown argument: db"));
        assert!(code(&["db:1", "-x"]).1.starts_with("Unknown option: -x"));
        assert!(code(&["-q-x"]).1.starts_with("Unknown option: -q-x"));
        assert_eq!(code(&[]).0, 2);
        assert!(
            code(&[])
                .1
                .starts_with("Error: you need to provide a host and port to test.")
        );
        assert_eq!(code(&[":5432"]).0, 2);
        assert_eq!(
            code(&["db:1", "-t", "x"]),
            (3, code(&["db:1", "-t", "x"]).1)
        );
        assert!(
            code(&["db:1", "-t", "-1"])
                .1
                .starts_with("Error: invalid timeout '-1'")
        );
        // -q silences its own error lines, never the usage text.
        assert!(code(&["-q", "db:1", "-t", "x"]).1.starts_with("Usage:"));
    }
}
