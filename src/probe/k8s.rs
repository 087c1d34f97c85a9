//! `k8s:[NAMESPACE/]KIND/NAME` and `k8s:[NAMESPACE/]pods?LABEL=VALUE[,…]`:
//! ready when the Kubernetes API says the object is, in its own terms.
//!
//! - `job/NAME`: the condition `Complete` is `True`. `Failed=True` ends the
//!   wait at once, with the Job's reason and message.
//! - `pod/NAME`: the condition `Ready` is `True`. Phase `Failed` ends the wait,
//!   and so does `Succeeded` (a Pod that ran to completion is never Ready).
//! - `pods?SELECTOR`: at least one Pod matches, and every one that matches is
//!   Ready. Pods being deleted and Pods that ran to completion are not
//!   counted, nor are failed Pods a controller replaces (an evicted Pod of a
//!   Deployment); a failed Pod of no controller ends the wait.
//! - `service/NAME`: its EndpointSlices (`kubernetes.io/service-name=NAME`)
//!   hold at least `#min` (1) endpoints whose `ready` condition is not false
//!   (unset is ready, as the API says), counted per address type. Endpoints,
//!   not Pods: a Service without a selector counts too.
//! - `deployment/NAME`, `statefulset/NAME`, `daemonset/NAME`: rolled out as
//!   `kubectl rollout status` judges it: the controller has observed the
//!   object's generation, and every replica is updated and available (ready,
//!   for a StatefulSet, and at the update revision). A Deployment whose
//!   `Progressing` condition says `ProgressDeadlineExceeded` ends the wait.
//!
//! One GET per attempt, never a watch (an attempt is bounded; a watch is
//! not), and attempts of a `k8s:` target are at least [`LEAST_PAUSE`] apart,
//! as k8s-wait-for's `kubectl get` loop: every init container of a cluster
//! talks to the same API server. The answer is hostile like any server's:
//! read bounded ([`MOST_READ`]), quoted, never followed anywhere. An API
//! server that refuses is said in words: 401, 403 with what to grant, 404
//! as "does not exist yet" (waited for).

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, HOST, USER_AGENT};
use hyper::{Request, StatusCode};
use serde_json::Value;

use super::http::exchange;
use super::kubeconfig::{self, Cluster};
use super::outcome::{Failure, Ready};
use super::wire::open;
use crate::human;
use crate::url::{Key, percent_encoded};

/// The shortest pause between two requests for one `k8s:` target.
pub const LEAST_PAUSE: Duration = Duration::from_secs(2);
/// The most of one answer waitfor reads: a list of a few hundred Pods.
const MOST_READ: usize = 8 * 1024 * 1024;

/// How `--help` writes a `k8s:` target.
pub const FORMS: [&str; 2] = [
    "k8s:[NAMESPACE/]job|pod|service|deployment|statefulset|daemonset/NAME[#min=N]",
    "k8s:[NAMESPACE/]pods?LABEL=VALUE[,…]",
];

/// The cluster every `k8s:` target of a run asks, found at the first one.
#[derive(Default)]
pub struct ClusterOnce(OnceCell<Result<Arc<Cluster>, String>>);

#[derive(Clone)]
pub struct Kube {
    object: Object,
    cluster: Arc<Cluster>,
}

/// What a `k8s:` target names, read from its text alone.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Object {
    kind: Kind,
    /// The object's name; for `pods?…`, the label selector as written.
    name: String,
    /// `None`: the Pod's own namespace (or the kubeconfig context's).
    namespace: Option<String>,
    /// `#min`: the ready endpoints a Service needs.
    min: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Job,
    Pod,
    Pods,
    Service,
    Deployment,
    StatefulSet,
    DaemonSet,
}

/// A resource of the API, as its URL and RBAC name it.
struct Resource {
    /// Empty for the core group.
    group: &'static str,
    plural: &'static str,
}

/// What one answer says of the object.
enum Judged {
    Ready,
    NotYet(String),
    /// It will not become ready however long one waits.
    Failed(String),
}

impl Kind {
    fn named(word: &str) -> Option<Kind> {
        Some(match word {
            "job" | "jobs" => Kind::Job,
            "pod" | "po" => Kind::Pod,
            "pods" => Kind::Pods,
            "service" | "services" | "svc" => Kind::Service,
            "deployment" | "deployments" | "deploy" => Kind::Deployment,
            "statefulset" | "statefulsets" | "sts" => Kind::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => Kind::DaemonSet,
            _ => return None,
        })
    }

    /// What is asked of the API: a Service's endpoints are EndpointSlices.
    fn resource(self) -> Resource {
        let (group, plural) = match self {
            Kind::Job => ("batch", "jobs"),
            Kind::Pod | Kind::Pods => ("", "pods"),
            Kind::Service => ("discovery.k8s.io", "endpointslices"),
            Kind::Deployment => ("apps", "deployments"),
            Kind::StatefulSet => ("apps", "statefulsets"),
            Kind::DaemonSet => ("apps", "daemonsets"),
        };
        Resource { group, plural }
    }

    /// Whether the object is asked by name (get) or by label (list).
    fn listed(self) -> bool {
        matches!(self, Kind::Pods | Kind::Service)
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Job => "job",
            Kind::Pod => "pod",
            Kind::Pods => "pods",
            Kind::Service => "service",
            Kind::Deployment => "deployment",
            Kind::StatefulSet => "statefulset",
            Kind::DaemonSet => "daemonset",
        }
    }
}

impl Resource {
    /// `jobs.batch`, `pods`: as RBAC and the API server's messages name it.
    fn qualified(&self) -> String {
        match self.group {
            "" => self.plural.to_owned(),
            group => format!("{}.{group}", self.plural),
        }
    }
}

impl Kube {
    /// What follows `k8s:`, and its fragment's keys; the cluster is found at
    /// the first target that names an object rightly.
    pub fn parse(text: &str, keys: &[Key], clusters: &ClusterOnce) -> Result<Self, String> {
        let object = Object::parse(text, keys)?;
        let cluster = clusters
            .0
            .get_or_init(|| kubeconfig::cluster().map(Arc::new))
            .clone()?;
        if object.namespace.is_none() {
            namespace_name(&cluster.namespace)
                .map_err(|error| format!("the namespace of {}: {error}", cluster.source))?;
        }
        Ok(Kube { object, cluster })
    }
}

impl Object {
    fn parse(text: &str, keys: &[Key]) -> Result<Self, String> {
        let usage = || {
            format!(
                "write k8s:[NAMESPACE/]KIND/NAME (KIND: job, pod, service, deployment, \
                 statefulset, daemonset) or k8s:[NAMESPACE/]pods?LABEL=VALUE[,…], not k8s:{}",
                human::quoted(text)
            )
        };
        let (path, selector) = match text.split_once('?') {
            Some((path, selector)) => (path, Some(selector)),
            None => (text, None),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (namespace, kind, name) = match (&parts[..], selector) {
            ([kind], Some(selector)) => (None, *kind, selector),
            ([namespace, kind], Some(selector)) => (Some(*namespace), *kind, selector),
            ([kind, name], None) => (None, *kind, *name),
            ([namespace, kind, name], None) => (Some(*namespace), *kind, *name),
            _ => return Err(usage()),
        };
        let mut kind = Kind::named(kind).ok_or_else(usage)?;
        match (kind, selector) {
            (Kind::Pod | Kind::Pods, Some(_)) => {
                kind = Kind::Pods;
                selector_checked(name)?;
            }
            (_, Some(_)) => return Err(format!("only pods are chosen by label: {}", usage())),
            (Kind::Pods, None) => {
                kind = Kind::Pod;
                object_name(name)?;
            }
            (_, None) => object_name(name)?,
        }
        if let Some(namespace) = namespace {
            namespace_name(namespace)?;
        }
        let mut min = 1;
        for key in keys {
            match (key.name.as_str(), kind) {
                ("min", Kind::Service) => {
                    min = key
                        .value
                        .parse()
                        .ok()
                        .filter(|min| *min >= 1)
                        .ok_or_else(|| {
                            format!(
                                "#min={}: write a number of endpoints, 1 or more",
                                human::quoted(&key.value)
                            )
                        })?;
                }
                ("min", _) => return Err("#min: only a k8s:service target counts endpoints".into()),
                (other, _) => {
                    return Err(format!(
                        "#{}: a k8s: target takes only #min (for a service)",
                        human::quoted(other)
                    ));
                }
            }
        }
        Ok(Object {
            kind,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            min,
        })
    }
}

impl Kube {
    pub async fn check(&self) -> Result<Ready, Failure> {
        let Object {
            kind,
            name,
            namespace,
            min,
        } = &self.object;
        let namespace = namespace.as_deref().unwrap_or(&self.cluster.namespace);
        let resource = kind.resource();
        let collection = match resource.group {
            "" => format!("/api/v1/namespaces/{namespace}/{}", resource.plural),
            group => format!(
                "/apis/{group}/v1/namespaces/{namespace}/{}",
                resource.plural
            ),
        };
        let path = match kind {
            Kind::Pods => format!("{collection}?labelSelector={}", percent_encoded(name)),
            Kind::Service => format!(
                "{collection}?labelSelector={}",
                percent_encoded(&format!("kubernetes.io/service-name={name}"))
            ),
            _ => format!("{collection}/{name}"),
        };
        let (status, body) = self.get(&path).await?;
        let object: Option<Value> = serde_json::from_slice(&body).ok();
        let what = format!("{} {name}", kind.word());
        if status != StatusCode::OK {
            return Err(Failure::new(self.refused(
                status,
                object.as_ref(),
                &resource,
                namespace,
                &path,
            )));
        }
        let Some(object) = object else {
            return Err(Failure::new(format!(
                "the API server's answer for {what} is not JSON{}",
                match body.len() >= MOST_READ {
                    true => format!(" of at most {}", human::bytes(MOST_READ as u64)),
                    false => String::new(),
                }
            )));
        };
        let judged = match kind {
            Kind::Job => job(&object, &what),
            Kind::Pod => pod(&object, &what),
            Kind::Pods => pods(&object, name, namespace),
            Kind::Service => service(&object, &what, *min),
            Kind::Deployment => deployment(&object, &what),
            Kind::StatefulSet => statefulset(&object, &what),
            Kind::DaemonSet => daemonset(&object, &what),
        };
        match judged {
            Judged::Ready => Ok(Ready::default()),
            Judged::NotYet(reason) => Err(Failure::new(reason)),
            Judged::Failed(reason) => Err(Failure::terminal(reason)),
        }
    }

    /// One GET of `path` from the API server, with the credential.
    async fn get(&self, path: &str) -> Result<(StatusCode, Vec<u8>), Failure> {
        let cluster = &self.cluster;
        let token = cluster.credential.token().map_err(Failure::new)?;
        let stream = open(&cluster.server, cluster.tls.as_ref())
            .await
            .map_err(|failure| {
                let reason = format!(
                    "the API server {} ({}): {failure}",
                    cluster.server, cluster.source
                );
                Failure::new(reason).at(failure.stage.clone())
            })?;
        let mut request = Request::get(format!("{}{path}", cluster.prefix))
            .header(HOST, cluster.server.to_string())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("waitfor/", env!("CARGO_PKG_VERSION")));
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|error| Failure::new(format!("cannot build the request: {error}")))?;
        let (status, body) = exchange(stream, request, MOST_READ).await?;
        Ok((status, body.bytes))
    }

    /// Why the API server did not answer with the object, in words.
    fn refused(
        &self,
        status: StatusCode,
        answer: Option<&Value>,
        resource: &Resource,
        namespace: &str,
        path: &str,
    ) -> String {
        let message = answer
            .and_then(|status| status.get("message"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Object { kind, name, .. } = &self.object;
        let verb = if kind.listed() { "list" } else { "get" };
        let qualified = resource.qualified();
        match status.as_u16() {
            401 => format!(
                "the API server does not accept the credentials of {} (401 Unauthorized: a token expired, revoked or of another cluster)",
                self.cluster.source
            ),
            403 => format!(
                "forbidden: {} may not {verb} {qualified} in namespace {namespace}: give it a Role with apiGroups [\"{}\"], resources [\"{}\"], verbs [\"{verb}\"] and a RoleBinding (README: Kubernetes objects)",
                subject(message, &self.cluster.source),
                resource.group,
                resource.plural,
            ),
            404 if answer.is_some_and(|status| {
                status.get("kind").and_then(Value::as_str) == Some("Status")
            }) =>
            {
                format!(
                    "{} {} does not exist in namespace {namespace} yet",
                    kind.word(),
                    name
                )
            }
            404 => format!(
                "the API server does not serve {} (an older Kubernetes, or not an API server?)",
                human::quoted(path)
            ),
            _ => format!(
                "the API server answered {status}{}",
                match message {
                    "" => String::new(),
                    message => format!(": {message}"),
                }
            ),
        }
    }
}

/// Who the API server says asked, from its 403 message (`User "system:serviceaccount:shop:default" cannot get …`).
fn subject(message: &str, source: &str) -> String {
    let user = message
        .split_once("User \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(user, _)| user);
    match user {
        Some(user) => match user.strip_prefix("system:serviceaccount:") {
            Some(account) => format!("the service account {}", account.replacen(':', "/", 1)),
            None if user == "system:anonymous" => "an anonymous client (no credentials)".into(),
            None => format!("user {}", human::quoted(user)),
        },
        None => format!("the credentials of {source}"),
    }
}

/// A DNS-1123 subdomain: what Kubernetes allows as an object's name.
fn object_name(name: &str) -> Result<(), String> {
    let fine = !name.is_empty() && name.len() <= 253 && name.split('.').all(label);
    match fine {
        true => Ok(()),
        false => Err(format!(
            "{} is not a Kubernetes object name (lower-case letters, digits, '-' and '.')",
            human::quoted(name)
        )),
    }
}

fn namespace_name(name: &str) -> Result<(), String> {
    match name.len() <= 63 && label(name) {
        true => Ok(()),
        false => Err(format!(
            "{} is not a namespace name (lower-case letters, digits and '-')",
            human::quoted(name)
        )),
    }
}

/// A DNS-1123 label: lower-case letters, digits and '-', neither first nor last.
fn label(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !part.starts_with('-')
        && !part.ends_with('-')
}

/// A label selector of equality requirements (`app=db,tier!=cache`, `app`, `!legacy`).
fn selector_checked(selector: &str) -> Result<(), String> {
    let bad = |what: &str| {
        Err(format!(
            "{}: {what} (write LABEL=VALUE, LABEL!=VALUE, LABEL or !LABEL, joined by commas)",
            human::quoted(selector)
        ))
    };
    if selector.is_empty() {
        return bad("no label");
    }
    for requirement in selector.split(',') {
        let (key, value) = match requirement
            .split_once("!=")
            .or_else(|| requirement.split_once("=="))
            .or_else(|| requirement.split_once('='))
        {
            Some((key, value)) => (key, Some(value)),
            None => (requirement.strip_prefix('!').unwrap_or(requirement), None),
        };
        let (prefix, name) = key
            .rsplit_once('/')
            .map_or((None, key), |(p, n)| (Some(p), n));
        if prefix.is_some_and(|prefix| object_name(prefix).is_err()) || !label_part(name, false) {
            return bad("a label key is not a label name");
        }
        if value.is_some_and(|value| !label_part(value, true)) {
            return bad("a label value is not one");
        }
    }
    Ok(())
}

/// A label's name or value: up to 63 of letters, digits, '-', '_', '.', alphanumeric at both ends.
fn label_part(text: &str, may_be_empty: bool) -> bool {
    if text.is_empty() {
        return may_be_empty;
    }
    let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.len() <= 63
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && alphanumeric(text.chars().next())
        && alphanumeric(text.chars().last())
}

/// The number at `pointer` (`/status/readyReplicas`), 0 where the API leaves it out.
fn count(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The status condition of `kind`, if the object has it.
fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|condition| text(condition, "/type") == kind)
}

fn is_true(condition: Option<&Value>) -> bool {
    condition.is_some_and(|condition| text(condition, "/status") == "True")
}

/// `: Reason (message)`, of what the object says of itself, where it says it.
fn explained(reason: &str, message: &str) -> String {
    match (reason, message) {
        ("", "") => String::new(),
        (reason, "") => format!(": {reason}"),
        ("", message) => format!(": {message}"),
        (reason, message) => format!(": {reason} ({message})"),
    }
}

fn said(condition: &Value) -> String {
    explained(text(condition, "/reason"), text(condition, "/message"))
}

fn job(object: &Value, what: &str) -> Judged {
    if let Some(failed) = condition(object, "Failed").filter(|c| is_true(Some(c))) {
        return Judged::Failed(format!("{what} failed{}", said(failed)));
    }
    if is_true(condition(object, "Complete")) {
        return Judged::Ready;
    }
    if object.pointer("/spec/suspend") == Some(&Value::Bool(true)) {
        return Judged::NotYet(format!("{what} is suspended"));
    }
    Judged::NotYet(format!(
        "{what} has not completed: {} active, {} succeeded, {} failed",
        count(object, "/status/active"),
        count(object, "/status/succeeded"),
        count(object, "/status/failed")
    ))
}

fn pod(object: &Value, what: &str) -> Judged {
    let explanation = explained(
        text(object, "/status/reason"),
        text(object, "/status/message"),
    );
    match text(object, "/status/phase") {
        "Failed" => return Judged::Failed(format!("{what} failed{explanation}")),
        "Succeeded" => {
            return Judged::Failed(format!(
                "{what} has run to completion (phase Succeeded): it will never be Ready"
            ));
        }
        _ => {}
    }
    match is_true(condition(object, "Ready")) {
        true => Judged::Ready,
        false => Judged::NotYet(format!("{what} is not Ready: {}", standing(object))),
    }
}

/// Why a Pod is not Ready, as briefly as the Pod says it: its phase, and the
/// first container waiting for a reason (`CrashLoopBackOff`), or the Ready condition's words.
fn standing(pod: &Value) -> String {
    let phase = match text(pod, "/status/phase") {
        "" => "Pending",
        phase => phase,
    };
    let containers = ["/status/initContainerStatuses", "/status/containerStatuses"]
        .into_iter()
        .filter_map(|pointer| pod.pointer(pointer)?.as_array())
        .flatten();
    for container in containers {
        let reason = text(container, "/state/waiting/reason");
        if !reason.is_empty() && reason != "PodInitializing" {
            return format!(
                "{phase}, container {} {reason}{}",
                text(container, "/name"),
                explained("", text(container, "/state/waiting/message"))
            );
        }
    }
    match condition(pod, "Ready") {
        Some(ready) => format!("{phase}{}", said(ready)),
        None => phase.to_owned(),
    }
}

fn pods(list: &Value, selector: &str, namespace: &str) -> Judged {
    let items = list
        .pointer("/items")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut counted = Vec::new();
    for pod in items {
        let name = text(pod, "/metadata/name");
        let controlled = pod
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|owners| {
                owners
                    .iter()
                    .any(|owner| owner.get("controller") == Some(&Value::Bool(true)))
            });
        if pod
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|at| !at.is_null())
        {
            continue;
        }
        match text(pod, "/status/phase") {
            "Succeeded" => continue,
            "Failed" if controlled => continue,
            "Failed" => {
                let explanation =
                    explained(text(pod, "/status/reason"), text(pod, "/status/message"));
                return Judged::Failed(format!("pod {name} (of {selector}) failed{explanation}"));
            }
            _ => counted.push(pod),
        }
    }
    let waiting: Vec<&&Value> = counted
        .iter()
        .filter(|pod| !is_true(condition(pod, "Ready")))
        .collect();
    match (counted.len(), waiting.first()) {
        (0, _) => Judged::NotYet(format!(
            "no pod in namespace {namespace} matches {selector} yet"
        )),
        (_, None) => Judged::Ready,
        (all, Some(first)) => Judged::NotYet(format!(
            "{} of {all} pods matching {selector} Ready; {} is not: {}",
            all - waiting.len(),
            text(first, "/metadata/name"),
            standing(first)
        )),
    }
}

fn service(list: &Value, what: &str, min: u64) -> Judged {
    let slices = list
        .pointer("/items")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if slices.is_empty() {
        return Judged::NotYet(format!(
            "{what} has no EndpointSlice yet (the Service does not exist, or has no endpoints yet)"
        ));
    }
    // A dual-stack Service lists each endpoint once per address type: count each type apart.
    let mut by_type: Vec<(&str, u64, u64)> = Vec::new();
    for slice in slices {
        let address_type = text(slice, "/addressType");
        let endpoints = slice
            .pointer("/endpoints")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let ready = endpoints
            .iter()
            .filter(|endpoint| endpoint.pointer("/conditions/ready") != Some(&Value::Bool(false)))
            .count() as u64;
        match by_type.iter_mut().find(|(kind, ..)| *kind == address_type) {
            Some((_, all, ready_ones)) => {
                *all += endpoints.len() as u64;
                *ready_ones += ready;
            }
            None => by_type.push((address_type, endpoints.len() as u64, ready)),
        }
    }
    let (_, all, ready) = by_type
        .into_iter()
        .max_by_key(|(_, _, ready)| *ready)
        .unwrap_or_default();
    match ready >= min {
        true => Judged::Ready,
        false => Judged::NotYet(format!(
            "{what} has {} ready of {}{}",
            human::count(ready, "endpoint", "endpoints"),
            all,
            match min {
                1 => String::new(),
                min => format!(" (#min={min})"),
            }
        )),
    }
}

/// Whether the controller has seen the object's latest spec (else its status is of an older one).
fn observed(object: &Value) -> bool {
    let observed = count(object, "/status/observedGeneration");
    observed > 0 && count(object, "/metadata/generation") <= observed
}

/// `spec.replicas`, which the API defaults to 1.
fn replicas(object: &Value) -> i64 {
    object
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn deployment(object: &Value, what: &str) -> Judged {
    if !observed(object) {
        return Judged::NotYet(format!("{what}: its spec update is not observed yet"));
    }
    if let Some(progressing) = condition(object, "Progressing") {
        if text(progressing, "/reason") == "ProgressDeadlineExceeded" {
            return Judged::Failed(format!(
                "{what} exceeded its progress deadline{}",
                explained("", text(progressing, "/message"))
            ));
        }
    }
    let wanted = replicas(object);
    let updated = count(object, "/status/updatedReplicas");
    let all = count(object, "/status/replicas");
    let available = count(object, "/status/availableReplicas");
    if updated < wanted {
        return Judged::NotYet(format!(
            "{what}: {updated} of {wanted} new replicas updated"
        ));
    }
    if all > updated {
        return Judged::NotYet(format!(
            "{what}: {} old replicas pending termination",
            all - updated
        ));
    }
    if available < updated {
        return Judged::NotYet(format!(
            "{what}: {available} of {updated} updated replicas available"
        ));
    }
    Judged::Ready
}

fn statefulset(object: &Value, what: &str) -> Judged {
    if !observed(object) {
        return Judged::NotYet(format!("{what}: its spec update is not observed yet"));
    }
    let wanted = replicas(object);
    let ready = count(object, "/status/readyReplicas");
    if ready < wanted {
        return Judged::NotYet(format!("{what}: {ready} of {wanted} pods ready"));
    }
    // OnDelete updates nothing by itself: ready is all there is to wait for.
    if text(object, "/spec/updateStrategy/type") == "OnDelete" {
        return Judged::Ready;
    }
    if let Some(partition) = object
        .pointer("/spec/updateStrategy/rollingUpdate/partition")
        .and_then(Value::as_i64)
    {
        let updated = count(object, "/status/updatedReplicas");
        return match updated < wanted - partition {
            true => Judged::NotYet(format!(
                "{what}: partitioned roll out, {updated} of {} new pods updated",
                wanted - partition
            )),
            false => Judged::Ready,
        };
    }
    let (update, current) = (
        text(object, "/status/updateRevision"),
        text(object, "/status/currentRevision"),
    );
    match update == current {
        true => Judged::Ready,
        false => Judged::NotYet(format!(
            "{what}: rolling update to revision {update}, {} of {wanted} pods updated",
            count(object, "/status/updatedReplicas")
        )),
    }
}

fn daemonset(object: &Value, what: &str) -> Judged {
    if !observed(object) {
        return Judged::NotYet(format!("{what}: its spec update is not observed yet"));
    }
    let desired = count(object, "/status/desiredNumberScheduled");
    let updated = count(object, "/status/updatedNumberScheduled");
    let available = count(object, "/status/numberAvailable");
    // OnDelete updates nothing by itself: available is all there is to wait for.
    if updated < desired && text(object, "/spec/updateStrategy/type") != "OnDelete" {
        return Judged::NotYet(format!("{what}: {updated} of {desired} new pods updated"));
    }
    match available < desired {
        true => Judged::NotYet(format!(
            "{what}: {available} of {desired} updated pods available"
        )),
        false => Judged::Ready,
    }
}

/// What each kind of target says of `answer` as the API server's JSON: for
/// the fuzz target (`reply_k8s`), every judgment's words, as a failure shows them.
pub fn fuzzed_answer(answer: &[u8]) -> Vec<String> {
    let Ok(object) = serde_json::from_slice::<Value>(answer) else {
        return Vec::new();
    };
    let what = "object x";
    [
        job(&object, what),
        pod(&object, what),
        pods(&object, "app=x", "shop"),
        service(&object, what, 2),
        deployment(&object, what),
        statefulset(&object, what),
        daemonset(&object, what),
    ]
    .into_iter()
    .filter_map(|judged| match judged {
        Judged::Ready => None,
        Judged::NotYet(reason) => Some(Failure::new(reason).to_string()),
        Judged::Failed(reason) => Some(Failure::terminal(reason).to_string()),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Object, String> {
        Object::parse(text, &[])
    }

    #[test]
    fn reads_an_object_or_refuses_what_is_none() {
        for (text, said) in [
            ("job", "write k8s:[NAMESPACE/]KIND/NAME"),
            ("widget/x", "write k8s:"),
            ("job/../../secrets", "write k8s:"),
            ("job/Migrate", "is not a Kubernetes object name"),
            ("job/a%2Fb", "is not a Kubernetes object name"),
            ("Shop/job/x", "is not a namespace name"),
            ("job?app=db", "only pods are chosen by label"),
            ("pods?", "no label"),
            ("pods?app=db&x=1", "a label value is not one"),
            ("pods?app=db,tier=a b", "a label value is not one"),
            ("pods?-app=db", "a label key is not a label name"),
        ] {
            let error = parsed(text).unwrap_err();
            assert!(error.contains(said), "{text}: {error}");
        }
        for (fine, kind, name, namespace) in [
            ("job/migrate", Kind::Job, "migrate", None),
            ("shop/deploy/web", Kind::Deployment, "web", Some("shop")),
            (
                "pods?app=db,tier!=cache,!legacy",
                Kind::Pods,
                "app=db,tier!=cache,!legacy",
                None,
            ),
            (
                "shop/pods?app.kubernetes.io/name=db",
                Kind::Pods,
                "app.kubernetes.io/name=db",
                Some("shop"),
            ),
            ("pods/db-0", Kind::Pod, "db-0", None),
            ("svc/db", Kind::Service, "db", None),
        ] {
            let object = parsed(fine).unwrap();
            let expected = Object {
                kind,
                name: name.into(),
                namespace: namespace.map(Into::into),
                min: 1,
            };
            assert_eq!(object, expected, "{fine}");
        }
    }

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    fn said(judged: Judged) -> String {
        match judged {
            Judged::Ready => "ready".into(),
            Judged::NotYet(reason) => format!("not yet: {reason}"),
            Judged::Failed(reason) => format!("failed: {reason}"),
        }
    }

    #[test]
    fn a_rollout_as_kubectl_rollout_status_judges_it() {
        let web = |observed: i64, status: &str| {
            json(&format!(
                r#"{{"metadata":{{"generation":2}},"spec":{{"replicas":3}},"status":{{"observedGeneration":{observed},{status}}}}}"#
            ))
        };
        for (observed, status, expected) in [
            (
                1,
                r#""replicas":3,"updatedReplicas":3,"availableReplicas":3"#,
                "not yet: deployment web: its spec update is not observed yet",
            ),
            (
                2,
                r#""replicas":4,"updatedReplicas":2,"availableReplicas":3"#,
                "not yet: deployment web: 2 of 3 new replicas updated",
            ),
            (
                2,
                r#""replicas":4,"updatedReplicas":3,"availableReplicas":3"#,
                "not yet: deployment web: 1 old replicas pending termination",
            ),
            (
                2,
                r#""replicas":3,"updatedReplicas":3,"availableReplicas":2"#,
                "not yet: deployment web: 2 of 3 updated replicas available",
            ),
            (
                2,
                r#""replicas":3,"updatedReplicas":3,"availableReplicas":3"#,
                "ready",
            ),
        ] {
            let object = web(observed, status);
            assert_eq!(said(deployment(&object, "deployment web")), expected);
        }
        let sts = json(
            r#"{"metadata":{"generation":1},"spec":{"replicas":2,"updateStrategy":{"type":"RollingUpdate"}},"status":{"observedGeneration":1,"readyReplicas":2,"updatedReplicas":1,"currentRevision":"db-1","updateRevision":"db-2"}}"#,
        );
        assert_eq!(
            said(statefulset(&sts, "statefulset db")),
            "not yet: statefulset db: rolling update to revision db-2, 1 of 2 pods updated"
        );
        let ds = json(
            r#"{"metadata":{"generation":1},"spec":{"updateStrategy":{"type":"OnDelete"}},"status":{"observedGeneration":1,"desiredNumberScheduled":2,"updatedNumberScheduled":0,"numberAvailable":2}}"#,
        );
        assert_eq!(said(daemonset(&ds, "daemonset agent")), "ready");
    }
}
