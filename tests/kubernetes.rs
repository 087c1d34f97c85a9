//! `k8s:` targets against the tests' own Kubernetes API server
//! (`common/kube.rs`), with objects in the shapes kube-apiserver returns
//! (`tests/kube/`): each kind's readiness, each fail-fast case, each way the
//! API server refuses, a kubeconfig of each form, and the service account of
//! a Pod, in a network namespace whose API server is at 10.96.0.1:443 as a
//! cluster's is. No real API server can be installed here: what that leaves
//! untested is said in the README.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::kube::*;
use common::namespace::Namespace;
use common::servers::{Certificates, certificates, certificates_for, client_identity};
use common::*;

/// A bound service account token's shape (not a valid one: the fake only compares it).
const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6IndhaXRmb3ItdGVzdCJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDpkZWZhdWx0In0.bm90LWEtcmVhbC1zaWduYXR1cmUtYXQtYWxs";
const JOB: &str = "/apis/batch/v1/namespaces/shop/jobs/migrate";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/kube/{name}.json"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A PodList of the fixtures named, as a list answer carries them.
fn pod_list(pods: &[&str]) -> String {
    let items: Vec<String> = pods.iter().map(|name| fixture(name)).collect();
    format!(
        r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{"resourceVersion":"50020"}},"items":[{}]}}"#,
        items.join(",")
    )
}

/// The fake API server on loopback, and a kubeconfig for it whose user has `user` (four spaces in).
struct Cluster {
    dir: TempDir,
    certs: Certificates,
    api: FakeApiServer,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn new(tag: &str) -> Self {
        Cluster::with_user(tag, &format!("    token: {TOKEN}"))
    }

    fn with_user(tag: &str, user: &str) -> Self {
        let dir = TempDir::new(&format!("k8s-{tag}"));
        let certs = certificates(&dir.0);
        let api = FakeApiServer::start(free_listener(), &certs, TOKEN);
        let kubeconfig = dir.0.join("kubeconfig");
        let server = format!("https://127.0.0.1:{}", api.address.port());
        common::kube::kubeconfig(&kubeconfig, &server, &certs.ca, "shop", user);
        Cluster {
            dir,
            certs,
            api,
            kubeconfig,
        }
    }

    fn waitfor(&self, args: &[&str]) -> Command {
        let mut command = waitfor();
        command.env("KUBECONFIG", &self.kubeconfig).args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        run_within(&mut self.waitfor(args), secs(60.0))
    }

    /// Waits for `target` while the answer at `path` goes through `states`:
    /// each is put (none, for ""), and the line it makes waitfor say is waited
    /// for; then `ready` is put, and waitfor must end with exit 0.
    fn through(&self, target: &str, path: &str, states: &[(String, &str)], ready: String) {
        let mut waiting = Running::spawn(&mut self.waitfor(&["-v", "-t", "60", target]));
        for (answer, said) in states {
            if !answer.is_empty() {
                self.api.put(path, answer);
            }
            waiting.wait_for_line(said, secs(20.0));
        }
        self.api.put(path, &ready);
        assert_eq!(
            waiting.wait(secs(20.0)).code(),
            Some(0),
            "{}",
            waiting.last_lines()
        );
        let said = waiting.seen.join("\n");
        assert!(!said.contains("bm90LWEtcmVhbC1zaWduYXR1cmU"), "{said}");
    }
}

/// Each request for `path` came with the token, from waitfor, at least `apart` after the one before.
fn asked_gently(seen: &[Seen], path: &str) {
    assert!(!seen.is_empty());
    for request in seen {
        assert_eq!(request.path, path);
        assert_eq!(
            request.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
        assert!(
            request
                .user_agent
                .as_deref()
                .unwrap_or_default()
                .starts_with("waitfor/")
        );
    }
    for pair in seen.windows(2) {
        let apart = pair[1].at - pair[0].at;
        assert!(apart >= secs(1.9), "two requests {apart:?} apart: {seen:?}");
    }
}

#[test]
fn a_job_not_created_then_running_then_complete() {
    let cluster = Cluster::new("job");
    let states = [
        (
            String::new(),
            "job migrate does not exist in namespace shop yet",
        ),
        (
            fixture("job-running"),
            "job migrate has not completed: 1 active, 0 succeeded, 0 failed",
        ),
    ];
    cluster.through("k8s:job/migrate", JOB, &states, fixture("job-complete"));
    asked_gently(&cluster.api.seen(), JOB);
}

#[test]
fn a_failed_job_ends_the_wait_at_once_with_its_reason() {
    let cluster = Cluster::new("job-failed");
    cluster.api.put(JOB, &fixture("job-failed"));
    let run = cluster.run(&["-t", "60", "k8s:job/migrate"]);
    assert_eq!(run.code(), 123, "{run:?}");
    assert!(run.elapsed < secs(10.0), "{run:?}");
    run.says("k8s:job/migrate has failed, and waiting longer will not help: job migrate failed: BackoffLimitExceeded (Job has reached the specified backoff limit)");
    assert_eq!(cluster.api.seen().len(), 1);
    // A check says it as any target not ready: exit 1, the reason on its line.
    let check = cluster.run(&["--check", "k8s:job/migrate"]);
    assert_eq!(check.code(), 1, "{check:?}");
    check.says("BackoffLimitExceeded");
    // With --any, another target may still get ready: the wait goes on for it.
    let (port, _open) = open_port();
    let any = cluster.run(&[
        "-t",
        "30",
        "--any",
        "k8s:job/migrate",
        &format!("127.0.0.1:{port}"),
    ]);
    assert_eq!(any.code(), 0, "{any:?}");
    // Waiting for it to be gone (--reverse), a failed Job counts as gone.
    let gone = cluster.run(&["-t", "30", "--reverse", "k8s:job/migrate"]);
    assert_eq!(gone.code(), 0, "{gone:?}");
}

#[test]
fn a_pod_by_name_until_ready_and_a_failed_one_at_once() {
    let cluster = Cluster::new("pod");
    let path = "/api/v1/namespaces/shop/pods/db-0";
    let states = [
        (
            fixture("pod-crashing"),
            "pod db-0 is not Ready: Running, container postgres CrashLoopBackOff: back-off 40s",
        ),
        (
            fixture("pod-running"),
            "pod db-0 is not Ready: Running: ContainersNotReady (containers with unready status: [postgres])",
        ),
    ];
    cluster.through("k8s:pod/db-0", path, &states, fixture("pod-ready"));
    asked_gently(&cluster.api.seen(), path);

    cluster.api.put(
        "/api/v1/namespaces/shop/pods/one-off",
        &fixture("pod-evicted-alone"),
    );
    let run = cluster.run(&["-t", "60", "k8s:pod/one-off"]);
    assert_eq!(run.code(), 123, "{run:?}");
    run.says("pod one-off failed: Evicted (The node was low on resource: memory.");
}

#[test]
fn pods_by_label_all_ready_and_at_least_one() {
    let cluster = Cluster::new("pods");
    let path = "/api/v1/namespaces/shop/pods?labelSelector=app%3Ddb%2Ctier%21%3Dcache";
    let target = "k8s:pods?app=db,tier!=cache";
    let states = [
        (
            pod_list(&[]),
            "no pod in namespace shop matches app=db,tier!=cache yet",
        ),
        (
            pod_list(&["pod-ready", "pod-running"]),
            "1 of 2 pods matching app=db,tier!=cache Ready; db-0 is not",
        ),
    ];
    // An evicted Pod of a StatefulSet is replaced by it: not counted, not a failure.
    cluster.through(
        target,
        path,
        &states,
        pod_list(&["pod-ready", "pod-evicted"]),
    );
    asked_gently(&cluster.api.seen(), path);
    // In WAITFOR_TARGETS, the selector's commas stay in it.
    let run = run_within(
        cluster
            .waitfor(&["-t", "20"])
            .env("WAITFOR_TARGETS", target),
        secs(30.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");

    // A failed Pod of no controller will stay failed.
    cluster
        .api
        .put(path, &pod_list(&["pod-ready", "pod-evicted-alone"]));
    let run = cluster.run(&["-t", "60", target]);
    assert_eq!(run.code(), 123, "{run:?}");
    run.says("pod one-off (of app=db,tier!=cache) failed: Evicted");
}

#[test]
fn a_service_by_its_ready_endpoints_with_or_without_a_selector() {
    let cluster = Cluster::new("service");
    let slices = "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D";
    let db = format!("{slices}db");
    let none = r#"{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"60000"},"items":[]}"#;
    let states = [
        (none.to_owned(), "service db has no EndpointSlice yet"),
        // Dual stack: two endpoints, each in an IPv4 and an IPv6 slice.
        (
            fixture("slices-none-ready"),
            "service db has 0 endpoints ready of 2",
        ),
    ];
    cluster.through("k8s:service/db", &db, &states, fixture("slices-one-ready"));
    asked_gently(&cluster.api.seen(), &db);

    let run = cluster.run(&["-t", "3", "k8s:svc/db#min=2"]);
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("service db has 1 endpoint ready of 2 (#min=2)")
        .says("for k8s:svc/db#min=2");

    // No selector: the endpoints are written by hand, their conditions unset (ready).
    cluster.api.put(
        &format!("{slices}legacy-db"),
        &fixture("slices-no-selector"),
    );
    let run = cluster.run(&["-t", "30", "k8s:service/legacy-db#min=2"]);
    assert_eq!(run.code(), 0, "{run:?}");
}

#[test]
fn rollouts_as_kubectl_rollout_status_judges_them() {
    let cluster = Cluster::new("rollout");
    let deployment = "/apis/apps/v1/namespaces/shop/deployments/web";
    let states = [
        (
            fixture("deployment-unobserved"),
            "deployment web: its spec update is not observed yet",
        ),
        (
            fixture("deployment-progressing"),
            "deployment web: 2 of 3 new replicas updated",
        ),
    ];
    cluster.through(
        "k8s:deploy/web",
        deployment,
        &states,
        fixture("deployment-complete"),
    );

    cluster.api.put(deployment, &fixture("deployment-deadline"));
    let run = cluster.run(&["-t", "60", "k8s:deployment/web"]);
    assert_eq!(run.code(), 123, "{run:?}");
    run.says("deployment web exceeded its progress deadline: ReplicaSet \"web-7c9b\" has timed out progressing.");

    // Another namespace than the context's, by its name in the target.
    let statefulset = "/apis/apps/v1/namespaces/data/statefulsets/db";
    let daemonset = "/apis/apps/v1/namespaces/shop/daemonsets/agent";
    cluster
        .api
        .put(statefulset, &fixture("statefulset-rolling"));
    cluster.api.put(daemonset, &fixture("daemonset-rolling"));
    let mut waiting = Running::spawn(&mut cluster.waitfor(&[
        "-v",
        "-t",
        "60",
        "k8s:data/statefulset/db",
        "k8s:ds/agent",
    ]));
    waiting.wait_for_line("statefulset db: 1 of 2 pods ready", secs(20.0));
    waiting.wait_for_line("daemonset agent: 2 of 3 new pods updated", secs(20.0));
    cluster
        .api
        .put(statefulset, &fixture("statefulset-complete"));
    cluster.api.put(daemonset, &fixture("daemonset-complete"));
    assert_eq!(waiting.wait(secs(20.0)).code(), Some(0));
}

#[test]
fn refusals_are_said_in_words_and_waited_through() {
    let cluster = Cluster::new("refused");
    cluster.api.state.lock().unwrap().forbidden.push(JOB.into());
    let mut waiting = Running::spawn(&mut cluster.waitfor(&["-v", "-t", "60", "k8s:job/migrate"]));
    waiting.wait_for_line(
        "forbidden: the service account shop/default may not get jobs.batch in namespace shop: give it a Role with apiGroups [\"batch\"], resources [\"jobs\"], verbs [\"get\"] and a RoleBinding",
        secs(20.0),
    );
    // The RoleBinding is made while waitfor waits.
    cluster.api.state.lock().unwrap().forbidden.clear();
    cluster.api.put(JOB, &fixture("job-complete"));
    assert_eq!(waiting.wait(secs(20.0)).code(), Some(0));

    let pods = "/api/v1/namespaces/shop/pods";
    cluster
        .api
        .state
        .lock()
        .unwrap()
        .forbidden
        .push(pods.into());
    cluster.run(&["-t", "2", "k8s:pods?app=db"]).says(
        "the service account shop/default may not list pods in namespace shop: give it a Role with apiGroups [\"\"], resources [\"pods\"], verbs [\"list\"]",
    );

    // A token the API server does not know (expired, of another cluster).
    cluster.api.state.lock().unwrap().tokens = vec!["another".into()];
    let run = cluster.run(&["-t", "2", "k8s:job/migrate"]);
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the API server does not accept the credentials of kubeconfig context \"test\" (401 Unauthorized")
        .never_says("bm90LWEtcmVhbC1zaWduYXR1cmU");

    // No API server there at all.
    let nowhere = TempDir::new("k8s-nowhere");
    let kubeconfig = nowhere.0.join("config");
    let server = format!("https://127.0.0.1:{}", free_port());
    common::kube::kubeconfig(
        &kubeconfig,
        &server,
        &cluster.certs.ca,
        "shop",
        &format!("    token: {TOKEN}"),
    );
    let run = run_within(
        waitfor()
            .env("KUBECONFIG", &kubeconfig)
            .args(["-t", "2", "k8s:job/migrate"]),
        secs(30.0),
    );
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the API server 127.0.0.1:")
        .says(" (kubeconfig context \"test\"): ")
        .says("refused");
}

#[test]
fn a_hostile_api_server_gets_nothing_and_is_quoted() {
    let cluster = Cluster::new("hostile");
    // A redirect to a listener of its own: never followed, the token never sent there.
    let elsewhere = FakeServer::start(|_, _| {});
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{}/steal\r\nContent-Length: 0\r\n\r\n",
        elsewhere.port
    );
    cluster.api.state.lock().unwrap().raw = Some(redirect.into_bytes());
    let run = cluster.run(&["-t", "3", "k8s:job/migrate"]);
    assert_eq!(run.code(), 124, "{run:?}");
    run.says("the API server answered 302 Found");
    // An answer that echoes the token in its message: masked.
    let echo = format!(
        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"bad token {TOKEN}\",\"code\":500}}"
    );
    let reply = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: {}\r\n\r\n{echo}",
        echo.len()
    );
    cluster.api.state.lock().unwrap().raw = Some(reply.into_bytes());
    let run = cluster.run(&["-v", "-t", "3", "k8s:job/migrate"]);
    run.says("the API server answered 500 Internal Server Error: bad token ***")
        .never_says("bm90LWEtcmVhbC1zaWduYXR1cmU");
    // An endless answer is read no further than its bound.
    let flood = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{{\"items\":[{}",
        20 << 20,
        "0,".repeat(5 << 20)
    );
    cluster.api.state.lock().unwrap().raw = Some(flood.into_bytes());
    let run = cluster.run(&["-t", "5", "k8s:job/migrate"]);
    run.says("the API server's answer for job migrate is not JSON of at most 8 MiB");
}

#[test]
fn kubeconfig_forms_and_what_is_refused_before_waiting() {
    // A client certificate and key, in files named relative to the kubeconfig.
    let cluster = Cluster::new("identity");
    client_identity(
        &cluster.dir.0,
        &cluster.certs,
        "tester",
        &["genrsa", "2048"],
    );
    let relative = "    client-certificate: tester.pem\n    client-key: tester.key";
    let server = format!("https://127.0.0.1:{}", cluster.api.address.port());
    common::kube::kubeconfig(
        &cluster.kubeconfig,
        &server,
        &cluster.certs.ca,
        "shop",
        relative,
    );
    cluster.api.put(JOB, &fixture("job-complete"));
    let run = cluster.run(&["-t", "20", "k8s:job/migrate"]);
    assert_eq!(run.code(), 0, "{run:?}");
    let seen = cluster.api.seen();
    assert!(
        seen[0].client_certificate && seen[0].authorization.is_none(),
        "{seen:?}"
    );

    // A token in a file, read for each request.
    let token_file = cluster.dir.0.join("token");
    fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    common::kube::kubeconfig(
        &cluster.kubeconfig,
        &server,
        &cluster.certs.ca,
        "shop",
        "    tokenFile: token",
    );
    assert_eq!(cluster.run(&["-t", "20", "k8s:job/migrate"]).code(), 0);

    // What cannot be used is said before anything is asked, with exit 2.
    let plugin = "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [\"eks\", \"get-token\"]";
    common::kube::kubeconfig(
        &cluster.kubeconfig,
        &server,
        &cluster.certs.ca,
        "shop",
        plugin,
    );
    let run = cluster.run(&["k8s:job/migrate"]);
    assert_eq!(run.code(), 2, "{run:?}");
    run.says("a flow collection");
    let plugin =
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws";
    common::kube::kubeconfig(
        &cluster.kubeconfig,
        &server,
        &cluster.certs.ca,
        "shop",
        plugin,
    );
    cluster
        .run(&["k8s:job/migrate"])
        .says("logs in through an exec plugin, which waitfor does not run");
    let home = TempDir::new("k8s-home");
    let run = run_within(
        waitfor().env("HOME", &home.0).arg("k8s:job/migrate"),
        secs(10.0),
    );
    assert_eq!(run.code(), 2, "{run:?}");
    run.says("no Kubernetes cluster to ask: not in a Pod (KUBERNETES_SERVICE_HOST is not set), KUBECONFIG is not set and there is no");
    for (target, said) in [
        ("k8s:job/Migrate", "is not a Kubernetes object name"),
        ("k8s:widget/x", "write k8s:[NAMESPACE/]KIND/NAME"),
        (
            "k8s:job/x#min=2",
            "#min: only a k8s:service target counts endpoints",
        ),
    ] {
        let run = cluster.run(&[target]);
        assert_eq!(run.code(), 2, "{run:?}");
        run.says(said);
    }
    assert_eq!(
        cluster.api.seen().len(),
        2,
        "nothing asked for the refused ones"
    );
}

#[test]
fn a_check_asks_once() {
    let cluster = Cluster::new("check");
    cluster.api.put(JOB, &fixture("job-complete"));
    let run = cluster.run(&["--check", "k8s:job/migrate"]);
    assert_eq!((run.code(), run.stderr.as_str()), (0, ""));
    cluster.api.put(JOB, &fixture("job-running"));
    let run = cluster.run(&["--check", "k8s:job/migrate"]);
    assert_eq!(run.code(), 1, "{run:?}");
    run.says("k8s:job/migrate is not ready: job migrate has not completed: 1 active");
    assert_eq!(cluster.api.seen().len(), 2);
}

/// As in a Pod: no kubeconfig, `KUBERNETES_SERVICE_HOST` at the cluster's
/// service address (10.96.0.1, in a namespace of the test's own), the service
/// account mounted where Kubernetes mounts it, laid out as the kubelet lays a
/// projected volume out (`token` → `..data/token`), and its token rotated
/// during the wait as the kubelet rotates it: by swapping `..data`.
#[test]
fn in_a_pod_with_its_service_account_and_a_rotated_token() {
    let dir = TempDir::new("k8s-pod");
    let certs = certificates_for(
        &dir.0,
        "DNS:kubernetes,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1",
    );
    let namespace = Namespace::new("k8s", "10.96.0.1", "127.0.0.1 localhost\n");
    let api = FakeApiServer::start(namespace.listener("10.96.0.1:443"), &certs, TOKEN);
    let account = dir.0.join("serviceaccount");
    let volume = |name: &str, token: &str| {
        let data = account.join(name);
        fs::create_dir_all(&data).unwrap();
        fs::copy(&certs.ca, data.join("ca.crt")).unwrap();
        fs::write(data.join("namespace"), "shop").unwrap();
        fs::write(data.join("token"), token).unwrap();
    };
    volume("..2026_11_26_10_00_00.1", TOKEN);
    symlink("..2026_11_26_10_00_00.1", account.join("..data")).unwrap();
    for file in ["ca.crt", "namespace", "token"] {
        symlink(format!("..data/{file}"), account.join(file)).unwrap();
    }
    let mount_point = "/var/run/secrets/kubernetes.io/serviceaccount";
    fs::create_dir_all(mount_point).unwrap();
    api.put(JOB, &fixture("job-running"));
    let mut command = waitfor();
    command
        .env("KUBERNETES_SERVICE_HOST", "10.96.0.1")
        .env("KUBERNETES_SERVICE_PORT", "443")
        .env("HOME", &dir.0)
        .args(["-v", "-t", "60", "k8s:job/migrate"]);
    let mut waiting =
        Running::spawn(&mut namespace.wrap_mounting(&command, Some((&account, mount_point))));
    waiting.wait_for_line("job migrate has not completed", secs(20.0));
    // The kubelet rotates the token: a new directory, then `..data` swapped to it at once.
    let rotated = "eyJhbGciOiJSUzI1NiJ9.cm90YXRlZC10b2tlbi1mb3Itd2FpdGZvcg.c2lnbmF0dXJlLXR3bw";
    volume("..2026_11_26_10_48_00.2", rotated);
    symlink("..2026_11_26_10_48_00.2", account.join("..data.tmp")).unwrap();
    fs::rename(account.join("..data.tmp"), account.join("..data")).unwrap();
    api.state.lock().unwrap().tokens = vec![rotated.into()];
    api.put(JOB, &fixture("job-complete"));
    assert_eq!(
        waiting.wait(secs(20.0)).code(),
        Some(0),
        "{}",
        waiting.last_lines()
    );
    let seen = api.seen();
    let tokens: Vec<&str> = seen
        .iter()
        .filter_map(|s| s.authorization.as_deref())
        .collect();
    assert_eq!(tokens.first(), Some(&&*format!("Bearer {TOKEN}")));
    assert_eq!(tokens.last(), Some(&&*format!("Bearer {rotated}")));
    assert!(
        seen.iter().all(|s| s.path == JOB),
        "the Pod's namespace: {seen:?}"
    );

    // Without the token mounted (automountServiceAccountToken: false): said, exit 2.
    fs::remove_file(account.join("token")).unwrap();
    let run = run_within(
        &mut namespace.wrap_mounting(&command, Some((&account, mount_point))),
        secs(20.0),
    );
    assert_eq!(run.code(), 2, "{run:?}");
    run.says("in a Pod, but its service account token cannot be read");
}

/// The README's example grants exactly what its init containers ask: each
/// runs against an API server that enforces that Role (and nothing more), and
/// every rule of it is used.
#[test]
fn the_example_role_is_exactly_what_the_example_asks() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/kubernetes/wait-for-objects.yaml"
    );
    let json = run_ok(Command::new("python3").args([
        "-c",
        "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        example,
    ]));
    let documents: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let of_kind = |kind: &str| documents.iter().find(|d| d["kind"] == kind).unwrap();
    let mut granted = Vec::new();
    for rule in of_kind("Role")["rules"].as_array().unwrap() {
        let words = |key: &str| -> Vec<String> {
            rule[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        for group in words("apiGroups") {
            for resource in words("resources") {
                for verb in words("verbs") {
                    granted.push((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    let cluster = Cluster::new("example");
    cluster.api.state.lock().unwrap().granted = Some(granted.clone());
    let apps = "/apis/apps/v1/namespaces/shop";
    for (path, object) in [
        (JOB.to_owned(), fixture("job-complete")),
        (format!("{apps}/statefulsets/db"), fixture("statefulset-complete")),
        (
            "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Ddb".into(),
            fixture("slices-no-selector"),
        ),
        (
            "/api/v1/namespaces/shop/pods?labelSelector=app.kubernetes.io%2Fname%3Dcache".into(),
            pod_list(&["pod-ready"]),
        ),
        ("/api/v1/namespaces/shop/pods/search-0".into(), fixture("pod-ready")),
        (format!("{apps}/deployments/auth"), fixture("deployment-complete")),
        (format!("{apps}/daemonsets/log-agent"), fixture("daemonset-complete")),
    ] {
        cluster.api.put(&path, &object);
    }
    let deployment = documents
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    let init_containers = deployment["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .unwrap();
    for container in init_containers {
        let args: Vec<&str> = container["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|arg| arg.as_str().unwrap())
            .filter(|arg| !arg.starts_with("--timeout"))
            .collect();
        let run = cluster.run(&[&["-t", "20"], &args[..]].concat());
        assert_eq!(run.code(), 0, "{}: {run:?}", container["name"]);
    }
    let asked: std::collections::HashSet<(String, String)> = cluster
        .api
        .seen()
        .iter()
        .map(|seen| {
            let (path, query) = seen.path.split_once('?').unwrap_or((&seen.path, ""));
            let parts: Vec<&str> = path.split('/').collect();
            let resource = parts[parts.len() - if query.is_empty() { 2 } else { 1 }];
            let verb = if query.is_empty() { "get" } else { "list" };
            (resource.to_owned(), verb.to_owned())
        })
        .collect();
    let rules: std::collections::HashSet<(String, String)> = granted
        .into_iter()
        .map(|(_, resource, verb)| (resource, verb))
        .collect();
    assert_eq!(asked, rules, "every rule of the Role is used, and no other");
}
