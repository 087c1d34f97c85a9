//! Where the Kubernetes API is, and who waitfor is to it, for `k8s:` targets:
//! the Pod's service account, or a kubeconfig's current context.
//!
//! Chosen as client-go chooses, with an init container first in mind:
//! `KUBECONFIG` when it is set; else, in a Pod (`KUBERNETES_SERVICE_HOST`
//! set), the service account mounted at [`SERVICE_ACCOUNT`] (its `ca.crt`
//! and `namespace` read once, its `token` again for every request: bound
//! tokens rotate); else `~/.kube/config`. Of a kubeconfig, the subset people
//! use: the current context's server, CA (file or data), `insecure-skip-tls-verify`,
//! token (or `tokenFile`) or client certificate and key (file or data), and
//! namespace. An exec or auth-provider plugin is refused, said as such:
//! waitfor runs no other program to log in.
//!
//! A kubeconfig is YAML, and no YAML crate is worth its size here: [`yaml`]
//! reads the block YAML that kubectl, kind, k3s and cloud CLIs write (and
//! JSON), and refuses the rest in words. Every file is read bounded
//! (`local_file`); the token and key are secrets from the moment they are read.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use tokio_rustls::TlsConnector;

use super::tls::Tls;
use crate::human;
use crate::local_file;
use crate::secret;
use crate::url::{Endpoint, Url};

/// Where Kubernetes mounts a Pod's service account.
pub const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// An API server and how to talk to it.
pub struct Cluster {
    pub server: Endpoint,
    /// What the server URL's path adds before `/api` (a proxy's prefix), without a trailing `/`.
    pub prefix: String,
    /// `None`: plain HTTP (`kubectl proxy`).
    pub tls: Option<TlsConnector>,
    pub credential: Credential,
    /// The namespace of `k8s:KIND/NAME`: the Pod's own, or the context's.
    pub namespace: String,
    /// Where this came from, for messages: `the service account` or `kubeconfig context "kind"`.
    pub source: String,
}

/// What each request carries to say who waitfor is.
pub enum Credential {
    /// A bearer token read again before every request (rotated by the kubelet).
    TokenFile(PathBuf),
    Token(String),
    /// The client certificate (in the TLS configuration) or nothing.
    None,
}

impl Credential {
    /// The bearer token for the next request, if any. One read from a file is
    /// kept as a secret then (a rotated one is new); a kubeconfig's, when read.
    pub fn token(&self) -> Result<Option<String>, String> {
        match self {
            Credential::TokenFile(path) => {
                let bytes = local_file::read(path, local_file::SECRET_AT_MOST)
                    .map_err(|error| format!("the token {error}"))?;
                let token = String::from_utf8_lossy(&bytes).trim().to_owned();
                secret::keep_password(&token);
                Ok(Some(token))
            }
            Credential::Token(token) => Ok(Some(token.clone())),
            Credential::None => Ok(None),
        }
    }
}

/// The cluster `k8s:` targets talk to, found as the module's head says.
pub fn cluster() -> Result<Cluster, String> {
    let variable = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
    if let Some(list) = variable("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&list).collect();
        return from_kubeconfig(&paths, "KUBECONFIG");
    }
    if let Some(host) = variable("KUBERNETES_SERVICE_HOST") {
        let port = variable("KUBERNETES_SERVICE_PORT").unwrap_or_else(|| "443".into());
        return in_pod(&host, &port, Path::new(SERVICE_ACCOUNT));
    }
    match variable("HOME") {
        Some(home) => {
            let path = Path::new(&home).join(".kube/config");
            if path.exists() {
                return from_kubeconfig(&[path], "~/.kube/config");
            }
            Err(format!(
                "no Kubernetes cluster to ask: not in a Pod (KUBERNETES_SERVICE_HOST is not set), \
                 KUBECONFIG is not set and there is no {}",
                human::quoted(&path.display().to_string())
            ))
        }
        None => Err(
            "no Kubernetes cluster to ask: not in a Pod (KUBERNETES_SERVICE_HOST is not set), \
             and neither KUBECONFIG nor HOME is set"
                .into(),
        ),
    }
}

/// The Pod's own service account, at `dir`.
fn in_pod(host: &str, port: &str, dir: &Path) -> Result<Cluster, String> {
    // An IPv6 service address comes bare in the variable.
    let authority = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let server = Endpoint::parse(&authority, None)
        .map_err(|error| format!("KUBERNETES_SERVICE_HOST and _PORT: {error}"))?;
    let file = |name: &str, at_most| {
        local_file::read(&dir.join(name), at_most).map_err(|error| {
            format!(
                "in a Pod, but its service account is not mounted ({error}; \
                 automountServiceAccountToken: false?)"
            )
        })
    };
    let ca = file("ca.crt", local_file::CERTIFICATES_AT_MOST)?;
    let namespace = file("namespace", local_file::SECRET_AT_MOST)?;
    let credential = Credential::TokenFile(dir.join("token"));
    // Read now too, so that a missing token is said before the wait.
    credential.token().map_err(|error| {
        format!("in a Pod, but its service account token cannot be read ({error}; automountServiceAccountToken: false?)")
    })?;
    let source = "the service account".to_owned();
    let tls = Tls::cluster(Some(&ca), None, false, &source)?;
    Ok(Cluster {
        server,
        prefix: String::new(),
        tls: Some(tls.connector()?),
        credential,
        namespace: String::from_utf8_lossy(&namespace).trim().to_owned(),
        source,
    })
}

/// The current context of the kubeconfig files `paths` (the first file to
/// set a value wins, as kubectl merges them).
fn from_kubeconfig(paths: &[PathBuf], named: &str) -> Result<Cluster, String> {
    let mut files = Vec::new();
    for path in paths.iter().filter(|path| !path.as_os_str().is_empty()) {
        let shown = human::quoted(&path.display().to_string());
        // A file of the list that does not exist is skipped, as kubectl skips it.
        if !path.exists() && paths.len() > 1 {
            continue;
        }
        let bytes = local_file::read(path, local_file::CERTIFICATES_AT_MOST)
            .map_err(|error| format!("{named}: {error}"))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{named}: {shown} is not UTF-8 text"))?;
        let config = yaml::parse(&text).map_err(|error| format!("{named}: {shown}: {error}"))?;
        files.push((path.parent().unwrap_or(Path::new(".")).to_owned(), config));
    }
    let first = |field: &str| {
        files
            .iter()
            .find_map(|(_, config)| config.get(field).and_then(Value::as_str))
            .filter(|value| !value.is_empty())
    };
    let Some(context_name) = first("current-context") else {
        return Err(format!(
            "{named}: no current-context (kubectl config use-context NAME)"
        ));
    };
    let source = format!("kubeconfig context \"{}\"", human::quoted(context_name));
    let named_entry = |list: &str, name: &str| {
        files.iter().find_map(|(dir, config)| {
            config
                .get(list)?
                .as_array()?
                .iter()
                .find(|entry| entry.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|entry| entry.get(&list[..list.len() - 1]))
                .map(|entry| (dir.clone(), entry.clone()))
        })
    };
    let missing = |what: &str, name: &str| {
        format!(
            "{named}: {source} names {what} \"{}\", which it does not hold",
            human::quoted(name)
        )
    };
    let (_, context) =
        named_entry("contexts", context_name).ok_or_else(|| missing("itself", context_name))?;
    let text = |entry: &Value, field: &str| {
        entry
            .get(field)
            .and_then(Value::as_str)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let cluster_name = text(&context, "cluster").unwrap_or_default();
    let user_name = text(&context, "user").unwrap_or_default();
    let (cluster_dir, cluster) = named_entry("clusters", &cluster_name)
        .ok_or_else(|| missing("the cluster", &cluster_name))?;
    let (user_dir, user) = match user_name.is_empty() {
        true => (PathBuf::new(), Value::Null),
        false => named_entry("users", &user_name).ok_or_else(|| missing("the user", &user_name))?,
    };
    for plugin in ["exec", "auth-provider"] {
        if user.get(plugin).is_some_and(|value| !value.is_null()) {
            return Err(format!(
                "{named}: the user of {source} logs in through an {plugin} plugin, which waitfor \
                 does not run (it runs no other program): give it a token or a client certificate"
            ));
        }
    }
    // Data in the file (base64), or a file it names (relative to the kubeconfig's directory).
    let material =
        |entry: &Value, dir: &Path, field: &str, at_most| -> Result<Option<Vec<u8>>, String> {
            if let Some(data) = text(entry, &format!("{field}-data")) {
                let bytes = BASE64
                    .decode(data.trim())
                    .map_err(|_| format!("{named}: {source}: {field}-data is not base64"))?;
                return Ok(Some(bytes));
            }
            match text(entry, field) {
                Some(path) => local_file::read(&dir.join(path), at_most)
                    .map(Some)
                    .map_err(|error| format!("{named}: {source}: {field} {error}")),
                None => Ok(None),
            }
        };
    let server_url = text(&cluster, "server")
        .ok_or_else(|| format!("{named}: the cluster of {source} has no server"))?;
    let url = Url::split(&server_url).map_err(|error| format!("{named}: server: {error}"))?;
    let https = match url.scheme.as_str() {
        "https" => true,
        "http" => false,
        _ => {
            return Err(format!(
                "{named}: the server of {source} is not an http(s) URL: {}",
                human::quoted(&server_url)
            ));
        }
    };
    let server = url
        .endpoint(Some(if https { 443 } else { 80 }))
        .map_err(|error| format!("{named}: server: {error}"))?;
    let ca = material(
        &cluster,
        &cluster_dir,
        "certificate-authority",
        local_file::CERTIFICATES_AT_MOST,
    )?;
    let insecure = cluster.get("insecure-skip-tls-verify") == Some(&Value::Bool(true));
    let key = material(&user, &user_dir, "client-key", local_file::SECRET_AT_MOST)?;
    let cert = material(
        &user,
        &user_dir,
        "client-certificate",
        local_file::CERTIFICATES_AT_MOST,
    )?;
    let client = match (&cert, &key) {
        (Some(cert), Some(key)) => Some((&cert[..], &key[..])),
        (None, None) => None,
        _ => {
            return Err(format!(
                "{named}: the user of {source} has a client certificate or key without the other"
            ));
        }
    };
    let credential = match (text(&user, "token"), text(&user, "tokenFile")) {
        (Some(token), _) => {
            secret::keep_password(&token);
            Credential::Token(token)
        }
        (None, Some(path)) => Credential::TokenFile(user_dir.join(path)),
        (None, None) => Credential::None,
    };
    let tls = match https {
        true => Some(Tls::cluster(ca.as_deref(), client, insecure, &source)?.connector()?),
        false => None,
    };
    Ok(Cluster {
        server,
        prefix: url.path.trim_end_matches('/').to_owned(),
        tls,
        credential,
        namespace: text(&context, "namespace").unwrap_or_else(|| "default".into()),
        source,
    })
}

/// The block YAML of kubeconfig files, read into JSON values.
///
/// Mappings and sequences by indentation (a sequence may sit at its key's
/// own indentation, as kubectl writes it), scalars plain, single- or
/// double-quoted, `{}` and `[]` empty, `true`/`false`/`null`, comments.
/// Anchors, tags, block scalars and flow collections with content are
/// refused with the line they are on; a file that opens with `{` is JSON.
pub mod yaml {
    use serde_json::{Map, Value};

    /// How deep a file may nest: kubeconfig needs four levels.
    const DEEPEST: usize = 32;

    struct Line<'a> {
        number: usize,
        indent: usize,
        text: &'a str,
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        if text.trim_start().starts_with('{') {
            return serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"));
        }
        let mut lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let content = without_comment(raw);
            let trimmed = content.trim_start_matches(' ');
            if trimmed.trim().is_empty() || trimmed.starts_with("---") || trimmed.starts_with("...")
            {
                continue;
            }
            if trimmed.starts_with('\t') {
                return Err(format!(
                    "line {number}: a tab indents it (YAML indents with spaces)"
                ));
            }
            lines.push(Line {
                number,
                indent: content.len() - trimmed.len(),
                text: trimmed.trim_end(),
            });
        }
        if lines.is_empty() {
            return Ok(Value::Null);
        }
        let mut at = 0;
        let indent = lines[0].indent;
        let value = block(&mut lines, &mut at, indent, 0)?;
        match lines.get(at) {
            Some(line) => Err(format!(
                "line {}: not where its indentation puts it",
                line.number
            )),
            None => Ok(value),
        }
    }

    /// `raw` without a comment: a `#` at the start or after a space, outside quotes.
    fn without_comment(raw: &str) -> &str {
        let mut quote = None;
        let mut previous = ' ';
        for (at, c) in raw.char_indices() {
            match (quote, c) {
                (None, '#') if previous == ' ' || previous == '\t' => return &raw[..at],
                (None, '"' | '\'') if previous == ' ' || previous == ':' || previous == '-' => {
                    quote = Some(c)
                }
                (Some(open), _) if c == open => quote = None,
                _ => {}
            }
            previous = c;
        }
        raw
    }

    /// The mapping or sequence whose lines start at `at`, indented `indent`.
    fn block(
        lines: &mut [Line],
        at: &mut usize,
        indent: usize,
        depth: usize,
    ) -> Result<Value, String> {
        if depth > DEEPEST {
            return Err(format!("line {}: nested too deep", lines[*at].number));
        }
        if is_item(lines[*at].text) {
            return sequence(lines, at, indent, depth);
        }
        let mut map = Map::new();
        while let Some(line) = lines.get(*at) {
            if line.indent != indent || is_item(line.text) {
                break;
            }
            let number = line.number;
            let (key, rest) = key_value(line.text)
                .ok_or_else(|| format!("line {number}: neither `key: value` nor `- item`"))?;
            *at += 1;
            let value = match rest.is_empty() {
                false => scalar(rest, number)?,
                true => match lines.get(*at) {
                    Some(next) if next.indent > indent => {
                        let inner = next.indent;
                        block(lines, at, inner, depth + 1)?
                    }
                    Some(next) if next.indent == indent && is_item(next.text) => {
                        sequence(lines, at, indent, depth + 1)?
                    }
                    _ => Value::Null,
                },
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    fn sequence(
        lines: &mut [Line],
        at: &mut usize,
        indent: usize,
        depth: usize,
    ) -> Result<Value, String> {
        let mut items = Vec::new();
        while let Some(line) = lines.get_mut(*at) {
            if line.indent != indent || !is_item(line.text) {
                break;
            }
            let rest = line.text[1..].trim_start_matches(' ');
            if rest.is_empty() {
                *at += 1;
                match lines.get(*at) {
                    Some(next) if next.indent > indent => {
                        let inner = next.indent;
                        items.push(block(lines, at, inner, depth + 1)?);
                    }
                    _ => items.push(Value::Null),
                }
                continue;
            }
            // `- key: value` opens a mapping whose keys line up with `key`.
            line.indent += line.text.len() - rest.len();
            line.text = rest;
            if key_value(rest).is_some() && !rest.starts_with(['"', '\'']) {
                let inner = line.indent;
                items.push(block(lines, at, inner, depth + 1)?);
            } else {
                let number = line.number;
                *at += 1;
                items.push(scalar(rest, number)?);
            }
        }
        Ok(Value::Array(items))
    }

    fn is_item(text: &str) -> bool {
        text == "-" || text.starts_with("- ")
    }

    /// `key: rest` (the key unquoted), or `None`.
    fn key_value(text: &str) -> Option<(String, &str)> {
        if let Some(quote @ ('"' | '\'')) = text.chars().next() {
            let end = text[1..].find(quote)? + 1;
            let rest = text[end + 1..].strip_prefix(':')?;
            return Some((text[1..end].to_owned(), rest.trim()));
        }
        let at = text
            .find(": ")
            .or_else(|| text.ends_with(':').then(|| text.len() - 1))?;
        Some((text[..at].trim().to_owned(), text[at + 1..].trim()))
    }

    fn scalar(text: &str, number: usize) -> Result<Value, String> {
        let unsupported = |what: &str| {
            Err(format!(
                "line {number}: {what}, which waitfor's reading of kubeconfig YAML does not take \
                 (`kubectl config view --flatten` writes what it does)"
            ))
        };
        match text {
            "{}" => return Ok(Value::Object(Map::new())),
            "[]" => return Ok(Value::Array(Vec::new())),
            "null" | "~" => return Ok(Value::Null),
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            _ => {}
        }
        match text.chars().next() {
            Some('"') => double_quoted(text, number).map(Value::String),
            Some('\'') => match text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
                Some(inner) => Ok(Value::String(inner.replace("''", "'"))),
                None => Err(format!("line {number}: a quote is not closed")),
            },
            Some('{' | '[') => unsupported("a flow collection"),
            Some('|' | '>') => unsupported("a block scalar"),
            Some('&' | '*' | '!') => unsupported("an anchor, alias or tag"),
            _ => Ok(Value::String(text.to_owned())),
        }
    }

    fn double_quoted(text: &str, number: usize) -> Result<String, String> {
        let bad =
            || format!("line {number}: a double-quoted value is not closed or has a bad escape");
        let inner = text.strip_prefix('"').ok_or_else(bad)?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' if chars.as_str().trim().is_empty() => return Ok(out),
                '"' => return Err(bad()),
                '\\' => out.push(match chars.next().ok_or_else(bad)? {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    c @ ('"' | '\\' | '/' | ' ') => c,
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(bad)?
                    }
                    _ => return Err(bad()),
                }),
                c => out.push(c),
            }
        }
        Err(bad())
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        /// As `kind create cluster` writes it (data shortened).
        const KIND: &str = "apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTg==
    server: https://127.0.0.1:39211
  name: kind-kind
contexts:
- context:
    cluster: kind-kind
    user: kind-kind   # a comment
    namespace: \"shop\"
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    token: 'it''s#not a comment'
";

        #[test]
        fn reads_what_kubectl_writes() {
            let value = parse(KIND).unwrap();
            assert_eq!(value["current-context"], "kind-kind");
            assert_eq!(value["clusters"][0]["name"], "kind-kind");
            assert_eq!(
                value["clusters"][0]["cluster"]["server"],
                "https://127.0.0.1:39211"
            );
            assert_eq!(value["contexts"][0]["context"]["namespace"], "shop");
            assert_eq!(value["contexts"][0]["context"]["user"], "kind-kind");
            assert_eq!(value["users"][0]["user"]["token"], "it's#not a comment");
            assert_eq!(value["preferences"], json!({}));
        }

        #[test]
        fn an_indented_sequence_and_json() {
            let value = parse("a:\n  - x\n  - y: 1\n    z: 2\nb: ~\n").unwrap();
            assert_eq!(value, json!({"a": ["x", {"y": "1", "z": "2"}], "b": null}));
            assert_eq!(parse("{\"a\": [1]}").unwrap(), json!({"a": [1]}));
        }

        #[test]
        fn refuses_what_it_does_not_read_in_words() {
            for (text, said) in [
                ("a: |\n  x\n", "line 1: a block scalar"),
                ("a: {b: c}\n", "line 1: a flow collection"),
                ("a: &x 1\n", "line 1: an anchor"),
                ("a: b\n\tc: d\n", "line 2: a tab"),
                ("a: \"x\n", "line 1: a double-quoted value"),
                ("a:\n  b: c\n d: e\n", "line 3: not where"),
                ("just text\n", "line 1: neither"),
            ] {
                let error = parse(text).unwrap_err();
                assert!(error.contains(said), "{text:?}: {error}");
            }
            let deep: String = (0..100)
                .map(|level| format!("{}k:\n", " ".repeat(level)))
                .collect();
            assert!(parse(&deep).unwrap_err().contains("nested too deep"));
        }
    }
}
