//! A Kubernetes API server of the tests' own, in process: no real one can be
//! installed here, and none is built or shipped.
//!
//! It answers GETs over TLS (rustls, with a certificate made by `openssl` as
//! the cluster CA would sign one) the way kube-apiserver does: the objects
//! the test puts at their API paths, lists at their collection paths with
//! the `labelSelector` the client sent, and `Status` bodies for 401, 403 and
//! 404 in the form and words of kube-apiserver's (its RBAC message for 403). It
//! checks the bearer token (or a client certificate signed by the CA), and
//! keeps every request it was sent, with when and with what credential.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use super::servers::Certificates;
use super::{Background, secs};

/// One request the server was sent.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request target, with its query, as sent.
    pub path: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    /// Whether the client showed a certificate the CA signed.
    pub client_certificate: bool,
    pub at: Instant,
}

/// What the server holds, and what it was asked; changed by the test as it runs.
#[derive(Default)]
pub struct State {
    /// API path (with any query) → the JSON answered with 200.
    pub objects: HashMap<String, String>,
    /// The bearer tokens it accepts; a client certificate is accepted too.
    pub tokens: Vec<String>,
    /// The user the token stands for, as the 403 message names it.
    pub user: String,
    /// API paths (no query) forbidden to everyone.
    pub forbidden: Vec<String>,
    /// When set, RBAC as a Role grants it: only these (API group, resource,
    /// verb) are allowed, everything else is forbidden.
    pub granted: Option<Vec<(String, String, String)>>,
    /// A reply to send instead, as it is (an echoing or hostile server).
    pub raw: Option<Vec<u8>>,
    pub seen: Vec<Seen>,
}

pub struct FakeApiServer {
    pub address: SocketAddr,
    pub state: Arc<Mutex<State>>,
    _accepting: Background,
}

impl FakeApiServer {
    /// Listens on `listener` with the certificate in `certs`; accepts `token` as
    /// the service account `system:serviceaccount:shop:default`.
    pub fn start(listener: TcpListener, certs: &Certificates, token: &str) -> Self {
        let config = Arc::new(server_config(certs));
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            tokens: vec![token.to_owned()],
            user: "system:serviceaccount:shop:default".into(),
            ..State::default()
        }));
        listener.set_nonblocking(true).unwrap();
        let shared = Arc::clone(&state);
        let accepting = Background::spawn(move |stop| {
            while !stop.requested() {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (config, state) = (Arc::clone(&config), Arc::clone(&shared));
                        std::thread::spawn(move || serve(stream, config, state));
                    }
                    Err(_) => std::thread::sleep(secs(0.002)),
                }
            }
        });
        FakeApiServer {
            address,
            state,
            _accepting: accepting,
        }
    }

    pub fn put(&self, path: &str, object: &str) {
        let mut state = self.state.lock().unwrap();
        state.objects.insert(path.to_owned(), object.to_owned());
    }

    pub fn remove(&self, path: &str) {
        self.state.lock().unwrap().objects.remove(path);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

fn server_config(certs: &Certificates) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer> = CertificateDer::pem_file_iter(&certs.cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&certs.key).unwrap();
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&certs.ca).unwrap() {
        roots.add(ca.unwrap()).unwrap();
    }
    // As kube-apiserver: a client certificate is asked for, not required (tokens are the other way).
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .allow_unauthenticated()
            .build()
            .unwrap();
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap()
}

fn serve(stream: TcpStream, config: Arc<ServerConfig>, state: Arc<Mutex<State>>) {
    stream.set_read_timeout(Some(secs(10.0))).unwrap();
    let connection = ServerConnection::new(config).unwrap();
    let mut tls = StreamOwned::new(connection, stream);
    let mut request = Vec::new();
    let mut buffer = [0; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut buffer) {
            Ok(n) if n > 0 => request.extend_from_slice(&buffer[..n]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&request).into_owned();
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or_default()
        .to_owned();
    let header = |name: &str| {
        text.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let seen = Seen {
        path: path.clone(),
        authorization: header("authorization"),
        user_agent: header("user-agent"),
        client_certificate: tls.conn.peer_certificates().is_some_and(|c| !c.is_empty()),
        at: Instant::now(),
    };
    let reply = {
        let mut state = state.lock().unwrap();
        state.seen.push(seen.clone());
        match &state.raw {
            Some(raw) => raw.clone(),
            None => answer(&state, &seen),
        }
    };
    let _ = tls.write_all(&reply);
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// What kube-apiserver answers to `seen`.
fn answer(state: &State, seen: &Seen) -> Vec<u8> {
    let token_ok = seen
        .authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| state.tokens.iter().any(|t| t == token));
    if !token_ok && !seen.client_certificate {
        return reply(401, &status_body(401, "Unauthorized", "Unauthorized", None));
    }
    let (path, _) = seen.path.split_once('?').unwrap_or((&seen.path, ""));
    let object = Object::of(path);
    let verb = if object.name.is_some() { "get" } else { "list" };
    let granted = state.granted.as_ref().is_none_or(|rules| {
        rules.iter().any(|(group, plural, allowed)| {
            (group.as_str(), plural.as_str(), allowed.as_str())
                == (object.group, object.plural, verb)
        })
    });
    if !granted || state.forbidden.iter().any(|forbidden| forbidden == path) {
        let message = format!(
            "{}{} is forbidden: User \"{}\" cannot {} resource \"{}\" in API group \"{}\" in the namespace \"{}\"",
            object.qualified(),
            object
                .name
                .map(|name| format!(" \"{name}\""))
                .unwrap_or_default(),
            state.user,
            verb,
            object.plural,
            object.group,
            object.namespace,
        );
        return reply(403, &status_body(403, "Forbidden", &message, Some(&object)));
    }
    match state.objects.get(&seen.path) {
        Some(body) => reply(200, body),
        None => {
            let message = format!(
                "{} \"{}\" not found",
                object.qualified(),
                object.name.unwrap_or_default()
            );
            reply(404, &status_body(404, "NotFound", &message, Some(&object)))
        }
    }
}

/// What an API path names: `/apis/batch/v1/namespaces/shop/jobs/migrate`.
struct Object<'a> {
    group: &'a str,
    namespace: &'a str,
    plural: &'a str,
    name: Option<&'a str>,
}

impl<'a> Object<'a> {
    fn of(path: &'a str) -> Self {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (group, rest) = match parts.first() {
            Some(&"api") => ("", &parts[2..]),
            _ => (
                parts.get(1).copied().unwrap_or_default(),
                parts.get(3..).unwrap_or_default(),
            ),
        };
        Object {
            group,
            namespace: rest.get(1).copied().unwrap_or_default(),
            plural: rest.get(2).copied().unwrap_or_default(),
            name: rest.get(3).copied(),
        }
    }

    fn qualified(&self) -> String {
        match self.group {
            "" => self.plural.to_owned(),
            group => format!("{}.{group}", self.plural),
        }
    }
}

/// A `Status` as kube-apiserver writes one (`metav1.Status`, as JSON).
fn status_body(code: u16, reason: &str, message: &str, object: Option<&Object>) -> String {
    let details = match object {
        Some(object) if code != 401 => format!(
            r#","details":{{{}"group":"{}","kind":"{}"}}"#,
            object
                .name
                .map(|name| format!(r#""name":"{name}","#))
                .unwrap_or_default(),
            object.group,
            object.plural
        ),
        _ => String::new(),
    };
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":{},"reason":"{reason}"{details},"code":{code}}}"#,
        serde_json::to_string(message).unwrap()
    )
}

fn reply(code: u16, body: &str) -> Vec<u8> {
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Not Found",
    };
    format!(
        "HTTP/1.1 {code} {reason}\r\nAudit-Id: 5b0c3d4e-0000-4000-8000-000000000000\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\nX-Kubernetes-Pf-Flowschema-Uid: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A kubeconfig as `kubectl config view --flatten` writes it, for `server`,
/// trusting `ca`, with the `user` lines given (indented four spaces).
pub fn kubeconfig(path: &Path, server: &str, ca: &Path, namespace: &str, user: &str) {
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(std::fs::read(ca).unwrap());
    std::fs::write(
        path,
        format!(
            "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: test
contexts:
- context:
    cluster: test
    namespace: {namespace}
    user: tester
  name: test
current-context: test
kind: Config
preferences: {{}}
users:
- name: tester
  user:
{user}
"
        ),
    )
    .unwrap();
}
