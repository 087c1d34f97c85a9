//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz, nightly only):
//! what a user writes and what a server sends, fed to the very code the
//! binary runs. Nothing in the binary calls them.
//!
//! Each entry point also asserts what must hold for any input: a message is
//! one line, and a password never shows, in any form ([`shown_form`]). A
//! broken promise is a panic, which is what the fuzzer looks for.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::deadline::AttemptBound;
use crate::error::Error;
use crate::probe::Settings;
use crate::target::{InvalidTarget, Target};
use crate::{cli, human, secret};

/// What `{password}` in a reply target's URL becomes; no output may show it.
const PASSWORD: &str = "fuzz-Secret-9";

/// Secrets with what escapes turn into other text, and one inside another,
/// kept for [`masking`].
const SECRETS: &[&str] = &[
    PASSWORD,
    "Q'uo\"te\\Back/sl%ash+é",
    "Shorter-7a",
    "Shorter-7a.And-Longer-Tail",
];

/// How many characters of a secret in a row count as showing it.
const RUN: usize = 6;

/// A form of `secret` that `text` shows, if any: the secret whole as it is,
/// escaped (Debug, JSON, one in the other), percent-encoded (either case),
/// or any run of [`RUN`] of its characters as they are. Written apart from
/// the masking it checks.
pub fn shown_form(text: &str, secret: &str) -> Option<String> {
    let debug: String = secret.escape_debug().collect();
    let json = serde_json::to_string(secret).expect("a string is JSON");
    let json_of_debug = serde_json::to_string(&debug).expect("a string is JSON");
    let percent: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
    let chars: Vec<char> = secret.chars().collect();
    let runs = chars.windows(RUN).map(|run| run.iter().collect::<String>());
    [
        debug,
        json.trim_matches('"').to_owned(),
        json_of_debug.trim_matches('"').to_owned(),
        percent.to_lowercase(),
        percent,
    ]
    .into_iter()
    .chain(runs)
    .find(|form| text.contains(form.as_str()))
}

/// Any line waitfor might write, masked: none of [`SECRETS`] shows in it in
/// any form, and it is no longer than it was.
pub fn masking(text: &str) {
    static KEPT: OnceLock<()> = OnceLock::new();
    KEPT.get_or_init(|| SECRETS.iter().for_each(|secret| secret::keep(secret)));
    let masked = secret::masked(text);
    for secret in SECRETS {
        if let Some(form) = shown_form(&masked, secret) {
            panic!("{form:?} shows in {masked:?}");
        }
    }
    // Each masked span is 4 bytes or more, and becomes `***`.
    assert!(masked.len() <= text.len(), "{masked:?}");
}

/// A TARGET as written by a user: parsed, or refused in one line that does
/// not show its password.
pub fn target(text: &str) {
    let shown = match parse(text) {
        Ok(target) => target.to_string(),
        Err(invalid) => invalid.to_string(),
    };
    assert!(!shown.contains('\n'), "{shown:?}");
}

/// A duration as written in `--timeout` and the `WAITFOR_*` variables.
pub fn duration(text: &str) {
    if let Err(error) = human::parse_duration(text) {
        assert!(!error.contains('\n'), "{error:?}");
    }
}

/// A whole command line after `waitfor`: options, help, or one usage line.
pub fn command_line(args: &[String]) {
    let argv = std::iter::once("waitfor")
        .chain(args.iter().map(String::as_str))
        .map(OsString::from);
    match cli::parse(argv) {
        Ok(_) | Err(Error::Help(_)) => {}
        Err(error) => assert!(!error.to_string().contains('\n'), "{error}"),
    }
}

/// A DNS message as the answer to a query of each record type (its ID and
/// question put in place, so that the records are read): read without a
/// panic, every record said on one line.
pub fn dns_answer(reply: &[u8]) {
    for record in crate::probe::fuzzed_dns_answers(reply) {
        assert!(!record.contains('\n'), "{record:?}");
    }
}

/// A Kubernetes API server's answer, judged as every kind of `k8s:` target
/// judges one: no panic, every reason on one line.
pub fn k8s_answer(answer: &[u8]) {
    for reason in crate::probe::fuzzed_k8s_answer(answer) {
        assert!(!reason.contains('\n'), "{reason:?}");
    }
}

/// A kubeconfig's text, read as waitfor reads one: no panic, whatever its
/// nesting; an error names a line and is one line.
pub fn kubeconfig(text: &[u8]) {
    if let Ok(text) = std::str::from_utf8(text) {
        if let Err(error) = crate::probe::kubeconfig_yaml(text) {
            assert!(!error.contains('\n'), "{error:?}");
        }
    }
}

/// One attempt of the probe for `url` (with `{port}` where the port goes, and
/// perhaps `{password}`) against a server on loopback that sends `reply` and then closes its side.
/// Whatever the bytes, the attempt ends, and its reason or note is one line
/// without the password (where the URL has one: a target without one may
/// quote a reply that happens to hold the same text).
pub fn reply(url: &str, reply: &[u8]) {
    let server = Server::get();
    let has_password = url.contains("{password}");
    let url = url
        .replace("{port}", &server.port.to_string())
        .replace("{password}", PASSWORD);
    let target = parse(&url).expect("the fuzz target's URL is valid");
    let channels = server
        .channels
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let (replies, served) = &*channels;
    replies.send(reply.to_vec()).expect("the server runs");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime starts");
    let bound = AttemptBound::new(Duration::from_secs(5));
    let outcome = runtime.block_on(bound.run(target.check()));
    served.recv().expect("the server runs");
    let said = match outcome {
        None => panic!("the attempt did not end though the server closed: {url}"),
        Some(Ok(ready)) => ready.note.unwrap_or_default(),
        Some(Err(failure)) => failure.to_string(),
    };
    assert!(!said.contains('\n'), "{said:?}");
    if has_password {
        if let Some(form) = shown_form(&said, PASSWORD) {
            panic!("{form:?} of the password shows: {said:?}");
        }
    }
}

/// A TARGET parsed with the command line's defaults, kept for the thread:
/// the TLS connector they share (the bundled roots) is built once, not for
/// every input.
fn parse(text: &str) -> Result<Target, InvalidTarget> {
    thread_local! {
        static SETTINGS: Settings = Settings::default();
    }
    SETTINGS.with(|settings| Target::parse(text, settings))
}

/// A server on 127.0.0.1 that answers each connection with the next reply.
struct Server {
    port: u16,
    /// The next reply to send, and word that it was sent; one attempt at a time.
    channels: Mutex<(SyncSender<Vec<u8>>, Receiver<()>)>,
}

impl Server {
    fn get() -> &'static Server {
        static SERVER: OnceLock<Server> = OnceLock::new();
        SERVER.get_or_init(|| {
            let listener = TcpListener::bind("127.0.0.1:0").expect("loopback is there");
            let port = listener.local_addr().expect("bound").port();
            let (replies, next) = sync_channel::<Vec<u8>>(0);
            let (done, served) = sync_channel(1);
            std::thread::spawn(move || {
                for reply in next {
                    if let Ok((mut client, _)) = listener.accept() {
                        let _ = client.write_all(&reply);
                        let _ = client.shutdown(Shutdown::Write);
                        // Read what the probe sends until it closes, so that it is never reset.
                        let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
                        let _ = std::io::copy(
                            &mut Read::by_ref(&mut client).take(1 << 20),
                            &mut std::io::sink(),
                        );
                    }
                    let _ = done.send(());
                }
            });
            Server {
                port,
                channels: Mutex::new((replies, served)),
            }
        })
    }
}
