//! `wait-for-it`, `wait-for-it.sh`, `wait_for_it.sh`: vishnubob/wait-for-it.
//!
//! `host:port` (or `-h HOST -p PORT`), `-t SECONDS` (15; 0 for none), `-s`,
//! `-q`, `-- COMMAND`; the `WAITFORIT_*` variables are its defaults, as the
//! script reads them from the environment. One TCP target, the last given,
//! probed about once a second. Without `--strict` the COMMAND runs even
//! after a timeout. Usage errors and `--help` exit 1; a timeout 124. White
//! space around `host:port`, the port and the timeout is dropped, as bash's
//! word splitting drops it where the script uses them.

use std::ffi::OsString;
use std::time::Duration;

use super::args::{Environment, tcp_target, text};
use crate::error::Error;
use crate::options::{AfterTimeout, Invocation, Log, LogFormat, Options, Verbosity, Voice};

/// Its code for usage errors and `--help` alike.
const USAGE_EXIT: i32 = 1;
const DEFAULT_TIMEOUT: &str = "15";

pub fn parse(name: &str, args: Vec<OsString>, env: Environment) -> Result<Options, Error> {
    let var = |key: &str| env(key).unwrap_or_default();
    let mut host = var("WAITFORIT_HOST");
    let mut port = var("WAITFORIT_PORT");
    let mut timeout = var("WAITFORIT_TIMEOUT");
    let mut strict = var("WAITFORIT_STRICT") == "1";
    let mut quiet = var("WAITFORIT_QUIET") == "1";
    let mut command = Vec::new();
    // What it says before its usage text: echoed unless quiet at that moment.
    let mut said = String::new();
    let mut say = |quiet: bool, text: String| {
        if !quiet {
            said.push_str(&format!("{text}\n"));
        }
    };
    let words: Vec<String> = text(&args);
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        // Its options take the next argument whole; an empty one ends the options.
        let value = words.get(i + 1).map(String::as_str).unwrap_or_default();
        match word {
            _ if word.contains(':') => {
                // `(${1//:/ })`: colons made spaces, then split into words, so
                // `a:b:c` gives a and b, and `db:5432 ` (from a variable or a
                // YAML block) db and 5432.
                let mut parts = word
                    .split(|c: char| c == ':' || c.is_ascii_whitespace())
                    .filter(|part| !part.is_empty());
                host = parts.next().unwrap_or_default().to_owned();
                port = parts.next().unwrap_or_default().to_owned();
            }
            "--child" => {}
            "-q" | "--quiet" => quiet = true,
            "-s" | "--strict" => strict = true,
            "-h" | "-p" | "-t" => {
                let slot = match word {
                    "-h" => &mut host,
                    "-p" => &mut port,
                    _ => &mut timeout,
                };
                *slot = value.to_owned();
                if value.is_empty() {
                    break;
                }
                i += 1;
            }
            _ if word.starts_with("--host=") => host = word["--host=".len()..].to_owned(),
            _ if word.starts_with("--port=") => port = word["--port=".len()..].to_owned(),
            _ if word.starts_with("--timeout=") => timeout = word["--timeout=".len()..].to_owned(),
            "--" => {
                command = args[i + 1..].to_vec();
                break;
            }
            "--help" => return Err(usage(name, said)),
            _ => {
                say(quiet, format!("Unknown argument: {word}"));
                return Err(usage(name, said));
            }
        }
        i += 1;
    }
    // It uses both unquoted, in /dev/tcp/$HOST/$PORT and $((TIMEOUT)): white
    // space around them is split off there.
    let port = port.trim_ascii();
    let timeout = timeout.trim_ascii();
    if host.is_empty() || port.is_empty() {
        say(
            quiet,
            "Error: you need to provide a host and port to test.".into(),
        );
        return Err(usage(name, said));
    }
    let timeout = match timeout {
        "" => DEFAULT_TIMEOUT,
        given => given,
    };
    // The script does shell arithmetic on it; anything but whole seconds is refused here.
    let Ok(seconds) = timeout.parse::<u64>() else {
        say(
            quiet,
            format!("Error: invalid timeout '{timeout}': whole seconds expected"),
        );
        return Err(usage(name, said));
    };
    let host_port = format!("{host}:{port}");
    let invocation = Invocation {
        targets: vec![tcp_target(&host, port)],
        command,
        timeout: Duration::from_secs(seconds),
        interval: Duration::from_secs(1),
        after_timeout: match strict {
            true => AfterTimeout::Exit,
            false => AfterTimeout::RunCommand,
        },
        log: Log {
            verbosity: Verbosity::Quiet,
            format: LogFormat::Text,
        },
        expand_variables: false,
        voice: Voice::WaitForIt {
            name: name.to_owned(),
            host_port,
            timeout: seconds,
            strict,
            quiet,
        },
        ..Invocation::default()
    };
    Options::new(invocation).map_err(|error| match error {
        Error::Usage(message) => Error::Incumbent {
            text: format!("{name}: {message}\n"),
            code: USAGE_EXIT,
        },
        other => other,
    })
}

/// What it prints, then its usage text, on stderr; exit 1.
fn usage(name: &str, said: String) -> Error {
    Error::Incumbent {
        text: format!(
            "{said}Usage:
    {name} host:port [-s] [-t timeout] [-- command args]
    -h HOST | --host=HOST       Host or IP under test
    -p PORT | --port=PORT       TCP port under test
                                Alternatively, you specify the host and port as host:port
    -s | --strict               Only execute subcommand if the test succeeds
    -q | --quiet                Don't output any status messages
    -t TIMEOUT | --timeout=TIMEOUT
                                Timeout in seconds, zero for no timeout
    -- COMMAND ARGS             Execute command with args after the test finishes
"
        ),
        code: USAGE_EXIT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str], env: &[(&str, &str)]) -> Result<Options, Error> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        parse(
            "wait-for-it.sh",
            args.iter().map(OsString::from).collect(),
            &lookup,
        )
    }

    fn voice(options: &Options) -> (String, u64, bool, bool) {
        match &options.voice {
            Voice::WaitForIt {
                host_port,
                timeout,
                strict,
                quiet,
                ..
            } => (host_port.clone(), *timeout, *strict, *quiet),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_its_arguments_as_the_script_does() {
        let options = parsed(&["db:5432", "-t", "3", "-s", "--", "app", "-x"], &[]).unwrap();
        assert_eq!(voice(&options), ("db:5432".into(), 3, true, false));
        assert_eq!(options.after_timeout, AfterTimeout::Exit);
        assert_eq!(options.command.unwrap(), ["app", "-x"]);
        assert_eq!(options.timing.timeout, Some(Duration::from_secs(3)));

        let options = parsed(&["-h", "db", "--port=1", "-q", "--timeout=0"], &[]).unwrap();
        assert_eq!(voice(&options), ("db:1".into(), 0, false, true));
        assert_eq!(options.timing.timeout, None);
        assert_eq!(options.after_timeout, AfterTimeout::RunCommand);
        // The last target given wins.
        let options = parsed(&["a:1", "b:2"], &[]).unwrap();
        assert_eq!(voice(&options).0, "b:2");
        // White space around the port and timeout is split off, as bash does.
        let options = parsed(&[" db:5432\n", "-t", "3 "], &[]).unwrap();
        assert_eq!(voice(&options), ("db:5432".into(), 3, false, false));
        let options = parsed(&["-h", "db", "-p", "1\r\n"], &[("WAITFORIT_TIMEOUT", " 4")]).unwrap();
        assert_eq!(voice(&options), ("db:1".into(), 4, false, false));
    }

    #[test]
    fn its_environment_gives_the_defaults() {
        let env = [
            ("WAITFORIT_HOST", "db"),
            ("WAITFORIT_PORT", "5432"),
            ("WAITFORIT_TIMEOUT", "7"),
            ("WAITFORIT_STRICT", "1"),
        ];
        let options = parsed(&[], &env).unwrap();
        assert_eq!(voice(&options), ("db:5432".into(), 7, true, false));
        let options = parsed(&["-t", "2"], &env).unwrap();
        assert_eq!(voice(&options).1, 2);
    }

    #[test]
    fn usage_errors_say_what_it_says_and_exit_1() {
        for (args, first) in [
            (&["--help"][..], "Usage:"),
            (&["db"], "Unknown argument: db"),
            (
                &[":5432"],
                "Error: you need to provide a host and port to test.",
            ),
            (&["db:1", "-x"], "Unknown argument: -x"),
            (
                &["-h", "", "-p", "1"],
                "Error: you need to provide a host and port to test.",
            ),
            (&["db:1", "-t", "5s"], "Error: invalid timeout '5s'"),
        ] {
            match parsed(args, &[]) {
                Err(error @ Error::Incumbent { .. }) => {
                    let text = error.to_string();
                    assert!(text.starts_with(first), "{args:?}: {text}");
                    assert!(text.contains("wait-for-it.sh host:port [-s]"), "{text}");
                    assert_eq!(error.exit_code(crate::face::Face::WaitForIt), 1);
                }
                other => panic!("{args:?}: {:?}", other.map(|_| ())),
            }
        }
        // A `-t` with nothing after it leaves the default.
        assert_eq!(voice(&parsed(&["db:1", "-t"], &[]).unwrap()).1, 15);
        // Quiet before the error silences what it says, not its usage text.
        let error = parsed(&["-q", "-x"], &[]).err().unwrap();
        assert!(error.to_string().starts_with("Usage:"));
    }
}
