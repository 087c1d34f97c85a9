//! The native command line: waitfor's own face, and the only place clap is used.
//!
//! It turns arguments and `WAITFOR_*` variables into an [`Invocation`] and
//! hands it to [`Options::new`], which checks it as it checks every other
//! front-end's; clap's own errors become the same one-line usage errors.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, ValueEnum};

use crate::error::Error;
use crate::human;
use crate::options::{
    Direction, Handoff, Invocation, Log, LogFormat, Options, Purpose, TARGETS_ENV, Until, Verbosity,
};
use crate::probe;
use crate::url;

/// The arguments as clap parses them; [`parse`] makes an [`Invocation`] of them.
#[derive(Debug, Parser)]
#[command(
    name = "waitfor",
    version = crate::VERSION,
    about = "Wait until the services a program needs are ready, then exec the program.",
    override_usage = "waitfor [OPTIONS] TARGET... [-- COMMAND [ARG...]]"
)]
struct Cli {
    /// Dependencies to wait for, all checked at once
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,

    /// Program to exec once every target is ready (after `--`)
    #[arg(value_name = "COMMAND", last = true)]
    command: Vec<OsString>,

    /// Make one attempt at each target and exit 0 if ready, 1 if not: a health check (no COMMAND)
    // No variable: one set for an image would turn its waiting entrypoint into a check too.
    #[arg(long)]
    check: bool,

    /// Overall deadline; 0 waits forever
    #[arg(short, long, env = "WAITFOR_TIMEOUT", value_name = "D", default_value = "30s", value_parser = human::parse_duration)]
    timeout: Duration,

    /// Pause between attempts on one target
    #[arg(short, long, env = "WAITFOR_INTERVAL", value_name = "D", default_value = "100ms", value_parser = human::parse_duration)]
    interval: Duration,

    /// Back off after failed attempts: the pause doubles from --interval up to D, with jitter
    #[arg(long, env = "WAITFOR_BACKOFF", value_name = "D", value_parser = human::parse_duration)]
    backoff: Option<Duration>,

    /// Count a target as ready only once it has stayed ready for D (one failure restarts the window)
    #[arg(long, env = "WAITFOR_STABLE", value_name = "D", default_value = "0", value_parser = human::parse_duration)]
    stable: Duration,

    /// Wait until the targets are NOT ready (a port closed, a file gone); with --any, one of them
    #[arg(long, env = "WAITFOR_REVERSE")]
    reverse: bool,

    /// Bound on one attempt, never past the deadline
    #[arg(long, env = "WAITFOR_CONNECT_TIMEOUT", value_name = "D", default_value = "2s", value_parser = human::parse_duration)]
    connect_timeout: Duration,

    /// Statuses that count as ready for http(s) targets, as 200-299,401
    #[arg(
        long,
        env = "WAITFOR_HTTP_STATUS",
        value_name = "LIST",
        default_value = "200-299"
    )]
    http_status: String,

    /// Request method for http(s) targets [default: GET, or POST with --http-body]
    #[arg(long, env = "WAITFOR_HTTP_METHOD", value_name = "METHOD")]
    http_method: Option<String>,

    /// Request header for http(s) targets, as 'Name: value' (repeatable; ${VAR} expanded)
    // A header's value, like the body's, is a secret: --help names the variable, never its value.
    #[arg(
        long = "http-header",
        env = "WAITFOR_HTTP_HEADERS",
        hide_env_values = true,
        value_name = "HEADER",
        value_delimiter = '\n'
    )]
    http_headers: Vec<String>,

    /// Request body for http(s) targets (${VAR} expanded)
    #[arg(
        long,
        env = "WAITFOR_HTTP_BODY",
        value_name = "TEXT",
        hide_env_values = true
    )]
    http_body: Option<String>,

    /// Regular expression the first 64 KiB of an http(s) body must match
    #[arg(long, env = "WAITFOR_HTTP_MATCH", value_name = "REGEX")]
    http_match: Option<String>,

    /// Value a JSON body must hold, as /status=green|yellow, or /leader alone (repeatable)
    #[arg(
        long,
        env = "WAITFOR_HTTP_JSON",
        value_name = "POINTER=VALUE",
        value_delimiter = '\n'
    )]
    http_json: Vec<String>,

    /// Follow up to 10 redirects of http(s) targets
    #[arg(long, env = "WAITFOR_HTTP_FOLLOW")]
    http_follow: bool,

    /// Client certificate (PEM) for https and rediss targets
    #[arg(long, env = "WAITFOR_CLIENT_CERT", value_name = "FILE")]
    client_cert: Option<PathBuf>,

    /// The client certificate's key (PEM: PKCS#8, PKCS#1 or SEC1)
    #[arg(long, env = "WAITFOR_CLIENT_KEY", value_name = "FILE")]
    client_key: Option<PathBuf>,

    /// Extra trust anchor (PEM) for https and rediss targets, beside the bundled web roots
    #[arg(long, env = "WAITFOR_CA_CERT", value_name = "FILE")]
    ca_cert: Option<PathBuf>,

    /// Skip TLS certificate verification
    #[arg(long, env = "WAITFOR_INSECURE")]
    insecure: bool,

    /// Run the COMMAND as a child and stay as a minimal init (forward signals, reap zombies)
    #[arg(long, env = "WAITFOR_INIT")]
    init: bool,

    /// Proceed as soon as one target is ready
    #[arg(long, env = "WAITFOR_ANY")]
    any: bool,

    /// Print errors only
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// Print every attempt (-vv: everything)
    #[arg(short, long, action = ArgAction::Count)]
    verbose: u8,

    /// Format of what waitfor prints on stderr
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Text)]
    log_format: Format,
}

/// `--log-format`'s values as clap lists them in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Lines for people (a live status when stderr is a terminal)
    Text,
    /// One JSON object a line
    Json,
}

/// Parses the native command line (`args` with the program name first) and
/// checks it into [`Options`].
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Options, Error> {
    Options::new(invocation(args)?)
}

/// The variables clap reads options from (each `env = …` of [`Cli`]; a
/// test holds the two lists together). While none is set, a plain command
/// line ([`plain`]) means nothing clap would add to it.
const OPTION_VARIABLES: &[&str] = &[
    "WAITFOR_TIMEOUT",
    "WAITFOR_INTERVAL",
    "WAITFOR_BACKOFF",
    "WAITFOR_STABLE",
    "WAITFOR_REVERSE",
    "WAITFOR_CONNECT_TIMEOUT",
    "WAITFOR_HTTP_STATUS",
    "WAITFOR_HTTP_METHOD",
    "WAITFOR_HTTP_HEADERS",
    "WAITFOR_HTTP_BODY",
    "WAITFOR_HTTP_MATCH",
    "WAITFOR_HTTP_JSON",
    "WAITFOR_HTTP_FOLLOW",
    "WAITFOR_CLIENT_CERT",
    "WAITFOR_CLIENT_KEY",
    "WAITFOR_CA_CERT",
    "WAITFOR_INSECURE",
    "WAITFOR_INIT",
    "WAITFOR_ANY",
];

fn invocation(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, Error> {
    let args: Vec<OsString> = args.into_iter().collect();
    // `--version` alone, as clap writes it (a test holds the two together),
    // without building clap's parser: image builds and probes ask it often.
    if let [_, flag] = &args[..] {
        if flag == "--version" || flag == "-V" {
            return Err(Error::Help(version()));
        }
    }
    match plain(&args) {
        Some(invocation) => Ok(invocation),
        None => parsed(args),
    }
}

/// What `--version` prints.
fn version() -> String {
    format!("waitfor {}\n", crate::VERSION)
}

/// The command line as clap reads it.
fn parsed(args: Vec<OsString>) -> Result<Invocation, Error> {
    let matches = Cli::command()
        .after_help(after_help())
        .try_get_matches_from(args)
        .map_err(usage_error)?;
    let cli = Cli::from_arg_matches(&matches).map_err(usage_error)?;
    let targets = match cli.targets.is_empty() {
        true => url::list(&std::env::var(TARGETS_ENV).unwrap_or_default())
            .into_iter()
            .map(str::to_owned)
            .collect(),
        false => cli.targets,
    };
    Ok(Invocation {
        purpose: match cli.check {
            true => Purpose::Check,
            false => Purpose::Wait,
        },
        targets,
        command: cli.command,
        timeout: cli.timeout,
        interval: cli.interval,
        connect_timeout: cli.connect_timeout,
        backoff: cli.backoff.unwrap_or_default(),
        stable: cli.stable,
        direction: match cli.reverse {
            true => Direction::Gone,
            false => Direction::Ready,
        },
        http_status: cli.http_status,
        http_method: cli.http_method,
        http_headers: cli.http_headers,
        http_body: cli.http_body,
        http_match: cli.http_match,
        http_json: cli.http_json,
        http_follow: cli.http_follow,
        client_cert: cli.client_cert,
        client_key: cli.client_key,
        ca_cert: cli.ca_cert,
        insecure: cli.insecure,
        until: match cli.any {
            true => Until::AnyReady,
            false => Until::AllReady,
        },
        handoff: match cli.init {
            true => Handoff::Supervise,
            false => Handoff::Exec,
        },
        log: Log {
            verbosity: match (cli.quiet, cli.verbose) {
                (true, _) => Verbosity::Quiet,
                (false, 0) => Verbosity::Normal,
                (false, 1) => Verbosity::Attempts,
                (false, _) => Verbosity::Everything,
            },
            format: match cli.log_format {
                Format::Text => LogFormat::Text,
                Format::Json => LogFormat::Json,
            },
        },
        ..Invocation::default()
    })
}

/// A command line of TARGETs alone, perhaps after `--check` or with
/// `-- COMMAND…` after them, and no option variable set: the defaults and
/// what it names, which is what clap makes of it (a test compares the two),
/// without the cost of building clap's parser on every container start or
/// health check. `None` for anything else (another option, no target, text
/// that is not UTF-8): clap reads it.
fn plain(args: &[OsString]) -> Option<Invocation> {
    let (purpose, words) = match args.get(1..)? {
        [first, rest @ ..] if first == "--check" => (Purpose::Check, rest),
        words => (Purpose::Wait, words),
    };
    let (targets, command) = match words.iter().position(|word| word == "--") {
        Some(at) => (&words[..at], &words[at + 1..]),
        None => (words, &[][..]),
    };
    if targets.is_empty() {
        return None;
    }
    let targets = targets
        .iter()
        .map(|word| word.to_str().filter(|text| !text.starts_with('-')))
        .map(|target| target.map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    // Asked by name: a copy of the whole environment would cost more.
    let option_set = OPTION_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    if option_set {
        return None;
    }
    Some(Invocation {
        purpose,
        targets,
        command: command.to_vec(),
        ..Invocation::default()
    })
}

/// What `--help` says after the options: every kind of target (from the
/// probes' own table), then the rest of the contract in brief.
fn after_help() -> String {
    const WIDTH: usize = 88;
    let mut text = String::from("Targets:");
    let mut line = text.len();
    for (i, form) in probe::forms().enumerate() {
        let separator = if i == 0 { " " } else { ", " };
        if line + separator.len() + form.len() > WIDTH {
            text.push_str(",\n  ");
            line = 2;
        } else {
            text.push_str(separator);
            line += separator.len();
        }
        text.push_str(form);
        line += form.len();
    }
    text.push_str(
        "\n\
Targets may also come from WAITFOR_TARGETS, separated by spaces or commas. ${VAR} and
${VAR:-default} are expanded in them (VAR_FILE names a file to read where VAR is unset; $$ is $).
A target's #fragment sets its own HTTP checks: #status=LIST, method=M, header=Name:value,
body=TEXT, match=REGEX, json=POINTER=VALUE, follow (joined with &), never sent; grpc(s)
targets take header=Name:value (metadata) and, for grpcs, servername=NAME (the name TLS checks);
dns:// targets take type=, expect= and server= (without them: the system resolver);
kafka:// targets topic=NAME (repeatable, or comma-separated); mongodb:// collection=NAME and
secondary; k8s:service/NAME min=N (ready endpoints). k8s: targets ask the Kubernetes API (as
KUBECONFIG says, else as the Pod's service account, else ~/.kube/config): a GET every 2s at most.
Passwords, header values, bodies and ${VAR} values are secrets: never printed in any form, and
never sent on a redirect to another scheme, host or port (redirects: http(s) only, never https to
http). Files (VAR_FILE, --ca-cert, --client-*) are read only when regular, and bounded.
Durations: 250ms, 30s, 1m30s, or a bare number of seconds.

Exit codes: 0 ready (no COMMAND), 2 bad usage, 123 a target failed for good (a k8s Job
failed), 124 deadline passed, 126 COMMAND not executable, 127 COMMAND not found, 128+N ended
by signal N; after exec, the COMMAND's own.
With --check: 0 ready, 1 not (a line for each target that is not says why), 2 bad usage.",
    );
    text
}

/// A clap failure as a one-line usage error; help and version stay whole, for stdout.
fn usage_error(error: clap::Error) -> Error {
    if !error.use_stderr() {
        return Error::Help(error.render().to_string());
    }
    let rendered = error.render().to_string();
    let first_line = rendered.lines().next().unwrap_or_default();
    // An argument quoted whole could make the line as long as the argument.
    Error::Usage(human::shortened_line(
        first_line.trim_start_matches("error: "),
    ))
}

/// Property tests: whatever the command line, parsing ends in options, help, or a one-line
/// usage error (exit 2), and never panics.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::Face;
    use proptest::prelude::*;

    /// clap's defaults, as `--help` shows them, are the ones every front-end starts from.
    #[test]
    fn a_bare_command_line_is_the_default_invocation() {
        let argv = ["waitfor", "db:5432"].map(OsString::from);
        assert_eq!(
            parsed(argv.to_vec()).unwrap(),
            Invocation {
                targets: vec!["db:5432".to_owned()],
                ..Invocation::default()
            }
        );
    }

    #[test]
    fn the_version_is_as_clap_writes_it() {
        assert_eq!(version(), Cli::command().render_version());
        for flag in ["--version", "-V"] {
            let argv = ["waitfor", flag].map(OsString::from);
            let Err(Error::Help(text)) = parsed(argv.to_vec()) else {
                panic!("{flag} is no help");
            };
            assert_eq!(text, version());
        }
    }

    /// The variables [`plain`] looks for are those clap reads.
    #[test]
    fn the_option_variables_are_claps() {
        let mut claps: Vec<String> = Cli::command()
            .get_arguments()
            .filter_map(|argument| argument.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        let mut listed: Vec<String> = OPTION_VARIABLES.iter().map(|&v| v.to_owned()).collect();
        claps.sort();
        listed.sort();
        assert_eq!(claps, listed);
    }

    proptest! {
        /// A plain command line means to clap what it means without clap.
        #[test]
        fn a_plain_command_line_is_what_clap_reads(
            check in any::<bool>(),
            targets in prop::collection::vec("[a-z0-9.:/@%?#\\[\\]_=+ -]{0,24}", 1..4),
            command in prop::option::of(prop::collection::vec(any::<String>(), 0..3)),
        ) {
            prop_assume!(targets.iter().all(|target| !target.starts_with('-')));
            let mut argv = vec![OsString::from("waitfor")];
            if check {
                argv.push("--check".into());
            }
            argv.extend(targets.iter().map(OsString::from));
            if let Some(command) = &command {
                argv.push("--".into());
                argv.extend(command.iter().map(OsString::from));
            }
            let plain = plain(&argv).expect("a plain command line");
            prop_assert_eq!(plain, parsed(argv).unwrap());
        }
    }

    /// Pieces a command line is made of, so that random ones reach deep into the parsers.
    fn argument() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z0-9.:/@%?#\\[\\]_ -]{0,24}",
            prop::sample::select(vec![
                "-t",
                "--timeout",
                "-i",
                "--interval",
                "--connect-timeout",
                "--any",
                "-q",
                "-v",
                "--log-format",
                "json",
                "--http-status",
                "--http-method",
                "--http-header",
                "--http-json",
                "--http-match",
                "--http-follow",
                "#json=/status=UP",
                "#status=200&follow",
                "--ca-cert",
                "--insecure",
                "--backoff",
                "--stable",
                "--reverse",
                "--check",
                "exec:true",
                "--init",
                "--",
                "0",
                "1.5",
                "250ms",
                "1m30s",
                "99999999999999999999",
                "200-299,401",
                "[::1]",
            ])
            .prop_map(str::to_owned),
            (
                "(tcp|http|https|postgres|mysql|redis|rediss|amqp|mqtt|nats|unix|file|x)://",
                "[a-z0-9.:/@%\\[\\]-]{0,20}"
            )
                .prop_map(|(scheme, rest)| format!("{scheme}{rest}")),
        ]
    }

    proptest! {
        #[test]
        fn any_command_line_parses_or_is_one_usage_line(args in prop::collection::vec(argument(), 0..8)) {
            let argv = std::iter::once("waitfor".to_owned()).chain(args).map(OsString::from);
            match parse(argv) {
                Ok(options) => prop_assert!(!options.targets.is_empty()),
                Err(Error::Help(_)) => {}
                Err(error @ Error::Usage(_)) => {
                    prop_assert_eq!(error.exit_code(Face::Native), 2);
                    prop_assert!(!error.to_string().contains('\n'), "{}", error);
                }
                Err(other) => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }
}
