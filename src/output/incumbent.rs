//! What a wait says in the words of the tool waitfor stands in for, line for
//! line as that tool writes them, so that people and scripts reading its
//! output keep working (`../shared/DESIGN.md`, "Drop-in front-ends").
//!
//! Only the words are the incumbent's: the wait is the same core's. Where
//! the incumbent quotes an error of its own runtime (Go's dial errors, for
//! one), the line quotes waitfor's reason instead. Each line goes through the
//! queue, like every other line, so a stderr nobody reads never holds the
//! wait up.

use std::time::{Duration, SystemTime};

use tracing::level_filters::LevelFilter;

use super::progress::{Pause, Progress, Report};
use super::queue::{self, Message};
use crate::human;
use crate::options::{ComposeWait, GrpcHealthProbe, Voice};
use crate::probe::Stage;

/// The report for an incumbent's `voice`, `None` for waitfor's own;
/// `has_command` says whether a COMMAND waits for the end (wait-for-it's
/// strict mode speaks of it).
pub fn report(voice: &Voice, has_command: bool) -> Option<Box<dyn Report>> {
    let voice = voice.clone();
    Some(match voice {
        Voice::WaitForIt {
            name,
            host_port,
            timeout,
            strict,
            quiet,
        } => Box::new(WaitForIt {
            name,
            host_port,
            timeout,
            refuses_command: strict && has_command,
            quiet,
        }),
        Voice::ComposeWait(settings) => Box::new(ComposeWaitLines {
            ready: vec![false; settings.hosts.len() + settings.paths.len()],
            settings,
            checking_said: false,
            announced: 0,
        }),
        Voice::Dockerize {
            waits,
            timeout,
            retry_interval,
        } => Box::new(Dockerize {
            waits,
            timeout,
            retry_interval,
        }),
        Voice::WaitFor => Box::new(WaitFor),
        Voice::GrpcHealthProbe(settings) => Box::new(GrpcHealthProbeLines(settings)),
        Voice::Native => return None,
    })
}

fn line(text: String) {
    queue::push(Message::Text(format!("{text}\n").into_bytes()));
}

/// No incumbent says anything on a timer: its report is ticked seldom.
const QUIET_TICKS: Duration = Duration::from_secs(3600);

/// vishnubob/wait-for-it: `NAME: waiting 15 seconds for db:5432`.
struct WaitForIt {
    name: String,
    host_port: String,
    timeout: u64,
    /// `--strict` with a COMMAND: a timeout says the COMMAND will not run.
    refuses_command: bool,
    quiet: bool,
}

impl WaitForIt {
    fn say(&self, text: String) {
        if !self.quiet {
            line(format!("{}: {text}", self.name));
        }
    }
}

impl Report for WaitForIt {
    fn tick_period(&self) -> Duration {
        QUIET_TICKS
    }

    fn started(&mut self, _: &[Progress], _: Option<Duration>) {
        match self.timeout {
            0 => self.say(format!("waiting for {} without a timeout", self.host_port)),
            seconds => self.say(format!("waiting {seconds} seconds for {}", self.host_port)),
        }
    }

    fn attempt_failed(&mut self, _: &Progress) {}

    fn ready(&mut self, progress: &Progress) {
        if let Some((after, _)) = &progress.ready {
            self.say(format!(
                "{} is available after {} seconds",
                self.host_port,
                after.as_secs()
            ));
        }
    }

    fn tick(&mut self, _: &[Progress], _: Duration) {}

    fn timed_out(&mut self, _: &[Progress], _: Duration) {
        self.say(format!(
            "timeout occurred after waiting {} seconds for {}",
            self.timeout, self.host_port
        ));
        if self.refuses_command {
            self.say("strict mode, refusing to execute subprocess".to_owned());
        }
    }

    fn finish(&mut self, _: &[Progress]) {}
}

/// grpc_health_probe: Go `log` lines on stderr, `status: SERVING` when the
/// answer is, else why not, in its words for each of its exit codes.
struct GrpcHealthProbeLines(GrpcHealthProbe);

impl Report for GrpcHealthProbeLines {
    fn tick_period(&self) -> Duration {
        QUIET_TICKS
    }

    fn started(&mut self, _: &[Progress], _: Option<Duration>) {
        for said in self.0.verbose.iter().flatten() {
            line(said.clone());
        }
    }

    fn attempt_failed(&mut self, _: &Progress) {}

    fn ready(&mut self, progress: &Progress) {
        if let (Some(_), Some((after, _))) = (&self.0.verbose, &progress.ready) {
            line(format!(
                "time elapsed: {} (connect and rpc)",
                human::duration(*after)
            ));
        }
        line("status: SERVING".to_owned());
    }

    fn tick(&mut self, _: &[Progress], _: Duration) {}

    /// Its one target was not SERVING: why, as it says it for its exit code
    /// (2, 3, 4; `error.rs`), quoting waitfor's reason where it quotes gRPC's.
    fn timed_out(&mut self, targets: &[Progress], _: Duration) {
        let Some(progress) = targets.first() else {
            return;
        };
        let addr = &self.0.addr;
        line(match &progress.last_failure {
            Some(failure) => match &failure.stage {
                Stage::Connect => {
                    format!("error: failed to connect service at {addr:?}: {failure}")
                }
                Stage::Exchange => format!("error: health rpc failed: {failure}"),
                Stage::Answered(state) => format!("service unhealthy (responded with {state:?})"),
                Stage::Unanswered => self.unanswered(),
            },
            None => self.unanswered(),
        });
    }

    fn finish(&mut self, _: &[Progress]) {}
}

impl GrpcHealthProbeLines {
    fn unanswered(&self) -> String {
        format!(
            "timeout: failed to connect service {:?} within {}",
            self.0.addr,
            human::duration(self.0.connect_timeout)
        )
    }
}

/// eficode/wait-for: silent, but for the timeout (said even with `-q`).
struct WaitFor;

impl Report for WaitFor {
    fn tick_period(&self) -> Duration {
        QUIET_TICKS
    }

    fn started(&mut self, _: &[Progress], _: Option<Duration>) {}

    fn attempt_failed(&mut self, _: &Progress) {}

    fn ready(&mut self, _: &Progress) {}

    fn tick(&mut self, _: &[Progress], _: Duration) {}

    fn timed_out(&mut self, _: &[Progress], _: Duration) {
        line("Operation timed out".to_owned());
    }

    fn finish(&mut self, _: &[Progress]) {}
}

const SEPARATOR: &str = "--------------------------------------------------------";

/// docker-compose-wait: env_logger lines (`[INFO  wait] …`), telling of one
/// target at a time, hosts then paths, in the order they were listed. The
/// targets are all probed at once; their lines come in the incumbent's
/// order: a target's are said once those before it are ready.
struct ComposeWaitLines {
    settings: ComposeWait,
    /// Which targets are ready, by index.
    ready: Vec<bool>,
    /// Whether the first target has been said to be checked: once the
    /// pause before, if any, is over and the first attempt ends.
    checking_said: bool,
    /// How many targets, in order, have been said to be available.
    announced: usize,
}

impl ComposeWaitLines {
    fn say(&self, level: LevelFilter, text: &str) {
        if level <= self.settings.level {
            line(format!(
                "[{:<5} wait] {text}",
                level.to_string().to_uppercase()
            ));
        }
    }

    /// The entry as written, and whether it is a host (else a path).
    fn entry(&self, index: usize) -> (&str, bool) {
        let hosts = &self.settings.hosts;
        match hosts.get(index) {
            Some(host) => (host, true),
            None => (&self.settings.paths[index - hosts.len()], false),
        }
    }

    /// Says that the target in turn is ready, and every ready one after it,
    /// then which one is checked next.
    fn announce(&mut self) {
        while self.ready.get(self.announced) == Some(&true) {
            let (entry, host) = self.entry(self.announced);
            let text = match host {
                true => format!("Host [{entry}] is now available!"),
                false => format!("Path [{entry}] is now available!"),
            };
            self.say(LevelFilter::INFO, &text);
            self.say(LevelFilter::INFO, SEPARATOR);
            self.announced += 1;
            self.checking();
        }
    }

    fn checking(&mut self) {
        self.checking_said = true;
        if self.announced < self.ready.len() {
            let (entry, host) = self.entry(self.announced);
            let kind = if host { "host" } else { "path" };
            self.say(
                LevelFilter::INFO,
                &format!("Checking availability of {kind} [{entry}]"),
            );
        }
    }
}

impl Report for ComposeWaitLines {
    fn tick_period(&self) -> Duration {
        QUIET_TICKS
    }

    fn started(&mut self, _: &[Progress], _: Option<Duration>) {
        for warning in &self.settings.warnings {
            self.say(LevelFilter::WARN, warning);
        }
        let debug = |text: String| self.say(LevelFilter::DEBUG, &text);
        self.say(LevelFilter::INFO, SEPARATOR);
        self.say(
            LevelFilter::INFO,
            concat!(
                " docker-compose-wait 2.12.1 (waitfor ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ),
        );
        self.say(LevelFilter::INFO, "---------------------------");
        let settings = &self.settings;
        debug("Starting with configuration:".to_owned());
        debug(format!(
            " - Hosts to be waiting for: [{}]",
            settings.hosts.join(",")
        ));
        debug(format!(
            " - Paths to be waiting for: [{}]",
            settings.paths.join(",")
        ));
        debug(format!(
            " - Timeout before failure: {} seconds ",
            settings.timeout
        ));
        debug(format!(
            " - TCP connection timeout before retry: {} seconds ",
            settings.connect_timeout
        ));
        if !settings.command.is_empty() {
            debug(format!(
                " - Command to run once ready: {}",
                settings.command
            ));
        }
        debug(format!(
            " - Sleeping time before checking for hosts/paths availability: {} seconds",
            settings.before
        ));
        debug(format!(
            " - Sleeping time once all hosts/paths are available: {} seconds",
            settings.after
        ));
        debug(format!(
            " - Sleeping time between retries: {} seconds",
            settings.interval
        ));
        debug(SEPARATOR.to_owned());
    }

    fn pausing(&mut self, pause: Pause, _: Duration) {
        let text = match pause {
            Pause::Before => format!(
                "Waiting {} seconds before checking for hosts/paths availability",
                self.settings.before
            ),
            Pause::After => format!(
                "Waiting {} seconds after hosts/paths availability",
                self.settings.after
            ),
        };
        self.say(LevelFilter::INFO, &text);
        self.say(LevelFilter::INFO, SEPARATOR);
    }

    /// Only the target in turn is said not to be available yet.
    fn attempt_failed(&mut self, progress: &Progress) {
        if !self.checking_said {
            self.checking();
        }
        if progress.index != self.announced {
            return;
        }
        let text = match self.entry(progress.index) {
            (entry, true) => format!("Host [{entry}] not yet available..."),
            (entry, false) => format!("Path {entry} not yet available..."),
        };
        self.say(LevelFilter::INFO, &text);
    }

    fn ready(&mut self, progress: &Progress) {
        if !self.checking_said {
            self.checking();
        }
        self.ready[progress.index] = true;
        self.announce();
    }

    fn tick(&mut self, _: &[Progress], _: Duration) {}

    fn timed_out(&mut self, _: &[Progress], _: Duration) {
        if !self.checking_said {
            self.checking();
        }
        let text = match self.entry(self.announced).1 {
            true => format!(
                "Timeout! After {} seconds some hosts are still not reachable",
                self.settings.timeout
            ),
            false => format!(
                "Timeout! After [{}] seconds some paths are still not reachable",
                self.settings.timeout
            ),
        };
        self.say(LevelFilter::ERROR, &text);
    }

    fn finish(&mut self, _: &[Progress]) {}

    fn succeeded(&mut self) {
        self.say(
            LevelFilter::INFO,
            "docker-compose-wait - Everything's fine, the application can now start!",
        );
        self.say(LevelFilter::INFO, SEPARATOR);
    }
}

/// jwilder/dockerize: Go `log` lines (`2026/11/22 10:00:00 Waiting for: tcp://db:5432`).
struct Dockerize {
    waits: Vec<String>,
    timeout: Duration,
    retry_interval: Duration,
}

impl Dockerize {
    /// A target as its `-wait` URL was written (`tcp4://db:5432` stays so).
    fn written(&self, progress: &Progress) -> String {
        match self.waits.get(progress.index) {
            Some(wait) => wait.clone(),
            None => progress.target.to_string(),
        }
    }

    fn say(&self, text: &str) {
        let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let (date, time) = now
            .trim_end_matches('Z')
            .split_once('T')
            .unwrap_or_default();
        line(format!("{} {time} {text}", date.replace('-', "/")));
    }
}

impl Report for Dockerize {
    fn tick_period(&self) -> Duration {
        QUIET_TICKS
    }

    fn started(&mut self, targets: &[Progress], _: Option<Duration>) {
        for progress in targets {
            self.say(&format!("Waiting for: {}", self.written(progress)));
        }
    }

    fn attempt_failed(&mut self, progress: &Progress) {
        let Some(failure) = &progress.last_failure else {
            return;
        };
        let target = self.written(progress);
        let interval = go_duration(self.retry_interval);
        let scheme = target.split_once("://").map(|(scheme, _)| scheme);
        match (scheme, failure.http_status) {
            // A file that does not exist yet is waited for in silence.
            (Some("file"), _) => {}
            (_, Some(status)) => self.say(&format!(
                "Received {status} from {target}. Sleeping {interval}"
            )),
            (Some("http" | "https"), None) => self.say(&format!(
                "Problem with request to {target}: {failure}. Sleeping {interval}"
            )),
            _ => self.say(&format!(
                "Problem with dial {target}: {failure}. Sleeping {interval}"
            )),
        }
    }

    fn ready(&mut self, progress: &Progress) {
        let target = self.written(progress);
        let status = progress
            .ready
            .as_ref()
            .and_then(|(_, ready)| ready.http_status);
        match (target.split_once("://").map(|(scheme, _)| scheme), status) {
            (Some("file"), _) => self.say(&format!("File {target} had been generated")),
            (_, Some(status)) => self.say(&format!("Received {status} from {target}")),
            _ => self.say(&format!("Connected to {target}")),
        }
    }

    fn tick(&mut self, _: &[Progress], _: Duration) {}

    fn timed_out(&mut self, _: &[Progress], _: Duration) {
        self.say(&format!(
            "Timeout after {} waiting on dependencies to become available: [{}]",
            go_duration(self.timeout),
            self.waits.join(" ")
        ));
    }

    fn finish(&mut self, _: &[Progress]) {}

    fn command_ended(&mut self, code: i32) {
        match code {
            0 => self.say("Command finished successfully."),
            code => self.say(&format!("Command exited with error: exit status {code}")),
        }
    }
}

/// A duration as Go's `time.Duration` prints it: `10s`, `1m30s`, `1h0m0s`, `1.5s`, `500ms`.
pub fn go_duration(d: Duration) -> String {
    let fraction = |nanos: u32, digits: usize| {
        let text = format!("{nanos:0digits$}");
        match text.trim_end_matches('0') {
            "" => String::new(),
            kept => format!(".{kept}"),
        }
    };
    if d.is_zero() {
        return "0s".to_owned();
    }
    if d < Duration::from_secs(1) {
        let nanos = d.subsec_nanos();
        return match nanos {
            0..1_000 => format!("{nanos}ns"),
            1_000..1_000_000 => format!("{}{}µs", nanos / 1_000, fraction(nanos % 1_000, 3)),
            _ => format!("{}{}ms", nanos / 1_000_000, fraction(nanos % 1_000_000, 6)),
        };
    }
    let seconds = d.as_secs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let seconds = format!("{seconds}{}s", fraction(d.subsec_nanos(), 9));
    match (hours, minutes) {
        (0, 0) => seconds,
        (0, _) => format!("{minutes}m{seconds}"),
        _ => format!("{hours}h{minutes}m{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_prints_them() {
        for (millis, go) in [
            (0, "0s"),
            (500, "500ms"),
            (1_000, "1s"),
            (1_500, "1.5s"),
            (10_000, "10s"),
            (60_000, "1m0s"),
            (90_000, "1m30s"),
            (3_600_000, "1h0m0s"),
            (3_723_250, "1h2m3.25s"),
        ] {
            assert_eq!(go_duration(Duration::from_millis(millis)), go);
        }
        assert_eq!(go_duration(Duration::from_micros(1_500)), "1.5ms");
    }
}
