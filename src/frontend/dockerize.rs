//! `dockerize`: jwilder/dockerize's `-wait` family, its lines and exit
//! codes, with the powerman fork's `amqp://` and `mysql://` waits (not that
//! fork's exit code 123 on a timeout, nor its `-exit-code`).
//!
//! Go flag syntax (`go_flags.rs`; flags before the COMMAND): `-wait URL`
//! (repeatable; tcp, tcp4, tcp6, unix, file, http, https, and the fork's
//! amqp and mysql), `-wait-list "URL …"`,
//! `-timeout` (a Go duration, 10s), `-wait-retry-interval` (1s),
//! `-wait-http-header "Name: value"`, `-wait-http-status-code N`
//! (repeatable; 2xx by default), `-wait-http-skip-redirect`,
//! `-skip-tls-verify`, `-cacert FILE`, `-exec`. HTTP follows redirects. The
//! COMMAND runs as a child with signals forwarded (waitfor's `--init`), or
//! replaces waitfor with `-exec`. A timeout exits 1; a flag error exits 2
//! with its usage text. Its other jobs (templates, log tailing, INI
//! defaults) are refused: waitfor only waits.

use std::ffi::OsString;
use std::time::Duration;

use super::args::text;
use super::go_flags::{self, Refusal};
use crate::error::Error;
use crate::human;
use crate::options::{Handoff, Invocation, Log, LogFormat, Options, Verbosity, Voice};
use crate::url;

/// Go's flag package exits 2 on a flag it cannot read.
const FLAG_EXIT: i32 = 2;
/// log.Fatal exits 1: a timeout, a bad `-wait` URL or header, no arguments at all.
const FATAL_EXIT: i32 = 1;

/// Its flags that take no value.
const SWITCHES: &[&str] = &[
    "version",
    "exec",
    "skip-tls-verify",
    "wait-http-skip-redirect",
    "poll",
    "no-overwrite",
    "template-strict",
    "multiline",
];
/// Its flags that take a value.
const VALUED: &[&str] = &[
    "wait",
    "wait-list",
    "timeout",
    "wait-retry-interval",
    "wait-http-header",
    "wait-http-status-code",
    "cacert",
    "template",
    "stdout",
    "stderr",
    "delims",
    "env",
    "env-section",
    "env-header",
];
/// Its jobs other than waiting.
const OTHER_JOBS: &[&str] = &[
    "template",
    "stdout",
    "stderr",
    "delims",
    "no-overwrite",
    "template-strict",
    "poll",
    "env",
    "env-section",
    "env-header",
    "multiline",
];

const USAGE: &str = "Usage: dockerize [options] [command]

Utility to simplify running applications in docker containers
(waitfor's dockerize front-end: the -wait family only)

Options:
  -wait URL                    wait for URL (tcp/tcp4/tcp6/unix/file/http/https/amqp/mysql);
                               can be passed multiple times
  -wait-list \"URL ...\"         a space-separated list of URLs to wait for
  -timeout DURATION            timeout for -wait (default 10s)
  -wait-retry-interval D       delay before retrying a failed -wait (default 1s)
  -wait-http-header \"N: v\"     HTTP header to send; can be passed multiple times
  -wait-http-status-code N     HTTP status to wait for (2xx by default); repeatable
  -wait-http-skip-redirect     do not follow HTTP redirects
  -skip-tls-verify             skip TLS verification for https -wait URLs
  -cacert FILE                 CA certificate for https -wait URLs
  -exec                        replace dockerize with the command (no supervision)
  -version                     print version and exit

Arguments:
  command - command to be executed
";

pub fn parse(args: Vec<OsString>) -> Result<Options, Error> {
    let words = text(&args);
    let flag_error = |text: String| Error::Incumbent {
        text: format!("{text}\n{USAGE}"),
        code: FLAG_EXIT,
    };
    let fatal = |text: String| Error::Incumbent {
        text: format!("dockerize: {text}\n"),
        code: FATAL_EXIT,
    };
    let flags = match go_flags::parse(&words, SWITCHES, VALUED) {
        Ok(flags) => flags,
        Err(Refusal::Help) => {
            return Err(Error::Incumbent {
                text: USAGE.to_owned(),
                code: 0,
            });
        }
        Err(Refusal::Error(text)) => return Err(flag_error(text)),
    };
    let command = args[flags.rest..].to_vec();
    if flags.is_empty() && command.is_empty() {
        return Err(Error::Incumbent {
            text: USAGE.to_owned(),
            code: FATAL_EXIT,
        });
    }
    if let Some(job) = flags.names().find(|name| OTHER_JOBS.contains(name)) {
        return Err(Error::Incumbent {
            text: format!(
                "dockerize: -{job} is not supported here: waitfor only waits (-wait and its \
                 options); keep jwilder/dockerize for templates and log tailing\n"
            ),
            code: FLAG_EXIT,
        });
    }
    if flags.switch("version") {
        return Err(Error::Help(format!(
            "waitfor {}, as dockerize\n",
            crate::VERSION
        )));
    }
    let timeout = flags
        .duration("timeout", Duration::from_secs(10))
        .map_err(flag_error)?;
    let retry_interval = flags
        .duration("wait-retry-interval", Duration::from_secs(1))
        .map_err(flag_error)?;
    let waits: Vec<String> = flags
        .all("wait")
        .into_iter()
        .chain(
            flags
                .all("wait-list")
                .into_iter()
                .flat_map(str::split_whitespace),
        )
        .map(str::to_owned)
        .collect();
    let mut targets = Vec::new();
    for wait in &waits {
        targets.push(target(wait).map_err(fatal)?);
    }
    // dockerize quotes a header in these two errors; a header holds a secret, so waitfor does not.
    let mut headers = Vec::new();
    for header in flags.all("wait-http-header") {
        if waits.is_empty() {
            return Err(fatal(
                "-wait-http-header provided with no -wait option".to_owned(),
            ));
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(fatal(
                "bad HTTP Headers argument. expected \"headerName: headerValue\"".to_owned(),
            ));
        };
        headers.push(format!("{}: {}", name.trim(), value.trim()));
    }
    let statuses = flags.all("wait-http-status-code");
    let invocation = Invocation {
        targets,
        command,
        // Go's time.After with nothing left fires at once: a timeout of 0 or less is over at once.
        timeout: timeout.max(Duration::from_nanos(1)),
        // 0 would be a busy loop.
        interval: match retry_interval.is_zero() {
            true => Invocation::default().interval,
            false => retry_interval,
        },
        http_status: match statuses.is_empty() {
            true => Invocation::default().http_status,
            false => statuses.join(","),
        },
        http_headers: headers,
        http_follow: !flags.switch("wait-http-skip-redirect"),
        ca_cert: flags
            .last("cacert")
            .filter(|path| !path.is_empty())
            .map(Into::into),
        insecure: flags.switch("skip-tls-verify"),
        handoff: match flags.switch("exec") {
            true => Handoff::Exec,
            false => Handoff::Supervise,
        },
        targets_required: false,
        log: Log {
            verbosity: Verbosity::Quiet,
            format: LogFormat::Text,
        },
        expand_variables: false,
        voice: Voice::Dockerize {
            // Its timeout line lists them: as waitfor names targets, passwords masked.
            waits: waits.iter().map(|wait| url::masked(wait)).collect(),
            timeout,
            retry_interval,
        },
        ..Invocation::default()
    };
    Options::new(invocation).map_err(|error| match error {
        Error::Usage(message) => fatal(message),
        other => other,
    })
}

/// A `-wait` URL as a waitfor target.
fn target(wait: &str) -> Result<String, String> {
    let Some((scheme, rest)) = wait.split_once("://") else {
        return Err(format!(
            "invalid host protocol provided: {}. supported protocols are: \
             tcp, tcp4, tcp6, unix, file, http, https, amqp and mysql",
            human::quoted(&url::masked(wait))
        ));
    };
    match scheme {
        // The address family is left to the resolver's answer.
        "tcp" | "tcp4" | "tcp6" => Ok(format!("tcp://{rest}")),
        "unix" | "file" | "http" | "https" | "amqp" | "mysql" => Ok(wait.to_owned()),
        _ => Err(format!(
            "invalid host protocol provided: {scheme}. supported protocols are: \
             tcp, tcp4, tcp6, unix, file, http, https, amqp and mysql"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Face;

    fn parsed(args: &[&str]) -> Result<Options, Error> {
        parse(args.iter().map(OsString::from).collect())
    }

    fn refused(args: &[&str]) -> (i32, String) {
        match parsed(args) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(error) => (error.exit_code(Face::Dockerize), error.to_string()),
        }
    }

    #[test]
    fn go_flag_syntax() {
        let options = parsed(&[
            "-wait",
            "tcp://db:5432",
            "--wait=http://web/health",
            "-timeout",
            "1m30s",
            "-wait-retry-interval=500ms",
            "-wait-list",
            "tcp4://a:1 unix:///run/x.sock",
            "app",
            "-wait",
            "x",
        ])
        .unwrap();
        let targets: Vec<String> = options.targets.iter().map(ToString::to_string).collect();
        assert_eq!(
            targets,
            [
                "tcp://db:5432",
                "http://web/health",
                "tcp://a:1",
                "unix:///run/x.sock"
            ]
        );
        assert_eq!(options.timing.timeout, Some(Duration::from_secs(90)));
        assert_eq!(options.timing.pacing.interval, Duration::from_millis(500));
        assert_eq!(options.command.unwrap(), ["app", "-wait", "x"]);
        assert_eq!(options.handoff, Handoff::Supervise);
        let options = parsed(&["-exec", "--", "-app"]).unwrap();
        assert_eq!(
            (options.handoff, options.command.unwrap()),
            (Handoff::Exec, vec!["-app".into()])
        );
    }

    #[test]
    fn what_it_refuses() {
        assert_eq!(refused(&[]).0, 1);
        assert_eq!(refused(&["-h"]).0, 0);
        let (code, text) = refused(&["-nope"]);
        assert_eq!(code, 2);
        assert!(
            text.starts_with("flag provided but not defined: -nope\nUsage:"),
            "{text}"
        );
        assert!(
            refused(&["-timeout", "10"])
                .1
                .starts_with("invalid value \"10\" for flag -timeout: parse error")
        );
        assert_eq!(
            refused(&["-wait"]).1.lines().next(),
            Some("flag needs an argument: -wait")
        );
        assert_eq!(refused(&["-exec=maybe"]).0, 2);
        let (code, text) = refused(&["-template", "a:b", "-wait", "tcp://db:1"]);
        assert_eq!(code, 2);
        assert!(text.contains("waitfor only waits"), "{text}");
        let (code, text) = refused(&["-wait", "ftp://x"]);
        assert_eq!(code, 1);
        assert!(
            text.starts_with("dockerize: invalid host protocol provided: ftp."),
            "{text}"
        );
        assert_eq!(refused(&["-wait-http-header", "A: b"]).0, 1);
        assert!(
            refused(&["-wait", "http://x", "-wait-http-header", "nocolon"])
                .1
                .contains("bad HTTP Headers argument")
        );
        assert!(
            refused(&["-wait", "http://x", "-wait-http-status-code", "abc"])
                .1
                .contains("--http-status")
        );
    }
}
