//! waitfor as containers use it: the static binary in an empty root, the
//! scratch image (built around a binary built here, nothing pulled) as an
//! entrypoint and under `docker stop`, the image's binary copied into another
//! image, and the docker-compose and Kubernetes examples.
//!
//! These need the static release binary (`WAITFOR_STATIC_BINARY`, which
//! `scripts/test` sets; otherwise it is built here) and, for the image tests,
//! a Docker engine that `scripts/test` starts (no bridge, no iptables: the
//! containers use the host's network).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;

/// The Debian client, whose built-in BuildKit builds only the stages it needs.
const DOCKER: &str = "/usr/bin/docker";

fn static_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WAITFOR_STATIC_BINARY") {
        return PathBuf::from(path);
    }
    let built = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/build-static"))
        .stderr(Stdio::inherit())
        .output()
        .expect("scripts/build-static runs");
    assert!(built.status.success(), "scripts/build-static failed");
    PathBuf::from(String::from_utf8(built.stdout).unwrap().trim())
}

fn copy_executable(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

/// A root holding only waitfor, busybox (static, as the COMMAND), /etc/hosts,
/// a resolv.conf pointing at 127.0.0.1 and the device nodes a container has.
/// waitfor waits there for a hosts-file name whose port opens late.
#[test]
fn runs_in_an_empty_root() {
    let root = TempDir::new("empty-root");
    let r = &root.0;
    for dir in ["etc", "dev", "bin", "tmp"] {
        fs::create_dir_all(r.join(dir)).unwrap();
    }
    copy_executable(&static_binary(), &r.join("waitfor"));
    copy_executable(Path::new("/bin/busybox"), &r.join("bin/busybox"));
    fs::write(
        r.join("etc/hosts"),
        "127.0.0.1 localhost\n127.0.0.1 db.internal\n",
    )
    .unwrap();
    fs::write(r.join("etc/resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("random", 1, 8),
        ("urandom", 1, 9),
    ] {
        run_ok(
            Command::new("mknod")
                .args(["-m", "666"])
                .arg(r.join("dev").join(name))
                .args(["c", &major.to_string(), &minor.to_string()]),
        );
    }
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(1.0));
    let run = run_within(
        Command::new("chroot")
            .arg(r)
            .args(["/waitfor", "-t", "20", &format!("db.internal:{port}"), "--"])
            .args(["/bin/busybox", "echo", "started in an empty root"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        secs(30.0),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    assert_eq!(run.stdout, "started in an empty root\n");
    assert!(run.elapsed >= secs(1.0), "{run:?}");
}

/// An image tag of this test run's, removed with the images when dropped.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        let _ = Command::new(DOCKER)
            .arg("rmi")
            .arg("-f")
            .args(&self.0)
            .output();
    }
}

/// Runs a docker command (`run`, mostly) to its end, its output captured, within a minute.
fn docker(command: &mut Command) -> Run {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_within(command, secs(60.0))
}

/// A container of this test run's, removed when dropped.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new(DOCKER).args(["rm", "-f", &self.0]).output();
    }
}

fn docker_build(tag: &str, context: &Path, dockerfile: &Path, build_args: &[&str]) {
    run_ok(
        Command::new(DOCKER)
            .env("DOCKER_BUILDKIT", "1")
            .args(["build", "-q", "-t", tag, "-f"])
            .arg(dockerfile)
            .args(build_args)
            .arg(context),
    );
}

/// `scripts/image` builds the image for three platforms around the binaries
/// built here and pushes one manifest list to a registry on 127.0.0.1 (Debian's
/// docker-registry, configured by the test); each platform's image is then
/// pulled by `--platform` and, with binfmt_misc sending its binary to
/// qemu-user, waits for a port and execs its own architecture's binary.
#[test]
fn a_multi_arch_image_through_a_local_registry() {
    let dir = TempDir::new("registry");
    let (registry_port, port) = (free_port(), free_port());
    let config = dir.0.join("config.yml");
    fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{registry_port}\n",
            dir.0.join("data").display()
        ),
    )
    .unwrap();
    let _registry = common::servers::Service::start(
        "registry",
        &dir.0,
        Command::new("docker-registry").arg("serve").arg(&config),
    );
    let image = format!(
        "127.0.0.1:{registry_port}/waitfor-test:{}",
        std::process::id()
    );
    let _images = Images(
        ["", "-amd64", "-arm64", "-armv7"]
            .iter()
            .map(|suffix| format!("{image}{suffix}"))
            .collect(),
    );
    // The registry answers once it is up: waitfor says when.
    let up = run_within(
        waitfor().args(["-t", "30", &format!("http://127.0.0.1:{registry_port}/v2/")]),
        secs(40.0),
    );
    assert_eq!(up.code(), 0, "{up:?}");
    let built = run_within(
        Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/image"))
            .arg(&image)
            .env("DOCKER", DOCKER)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        secs(900.0),
    );
    assert_eq!(built.code(), 0, "{built:?}");
    assert_eq!(built.stdout.trim(), image);

    let listed = run_ok(
        Command::new(DOCKER)
            .env("DOCKER_CLI_EXPERIMENTAL", "enabled")
            .args(["manifest", "inspect", "--insecure", &image]),
    );
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let platforms: Vec<String> = listed["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|manifest| {
            let platform = &manifest["platform"];
            let variant = platform["variant"].as_str().map(|v| format!("/{v}"));
            format!(
                "{}/{}{}",
                platform["os"].as_str().unwrap(),
                platform["architecture"].as_str().unwrap(),
                variant.unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "linux/arm/v7"]);

    let _listener = listen_after(([127, 0, 0, 1], port), secs(0.0));
    for (platform, qemu, target) in [
        ("linux/amd64", None, "x86_64-unknown-linux-musl"),
        ("linux/arm64", Some("aarch64"), "aarch64-unknown-linux-musl"),
        ("linux/arm/v7", Some("arm"), "armv7-unknown-linux-gnueabihf"),
    ] {
        docker(Command::new(DOCKER).args(["pull", "-q", "--platform", platform, &image]));
        let pulled = run_ok(Command::new(DOCKER).args([
            "image",
            "inspect",
            "-f",
            "{{.Os}}/{{.Architecture}}{{with .Variant}}/{{.}}{{end}}",
            &image,
        ]));
        assert_eq!(pulled.trim(), platform);
        let _binfmt = match qemu.map(Binfmt::register).transpose() {
            Ok(binfmt) => binfmt,
            Err(reason) => {
                eprintln!("SKIPPED running the {platform} image: {reason}");
                continue;
            }
        };
        let run = docker(Command::new(DOCKER).args([
            "run",
            "--rm",
            "--network",
            "host",
            "--platform",
            platform,
            &image,
            "-t",
            "60",
            &format!("127.0.0.1:{port}"),
            "--",
            "/waitfor",
            "--version",
        ]));
        assert_eq!(run.code(), 0, "{platform}: {run:?}");
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            run.stdout,
            format!("waitfor {version} ({target})\n"),
            "{run:?}"
        );
    }
}

#[test]
fn the_scratch_image_waits_execs_and_stops_at_once() {
    let id = std::process::id();
    let image = format!("waitfor-test:{id}");
    let app_image = format!("waitfor-test-app:{id}");
    let _images = Images(vec![image.clone(), app_image.clone()]);

    // The final stage of the project's Dockerfile, around the binary built here.
    let context = TempDir::new("image");
    fs::create_dir_all(context.0.join("linux/amd64")).unwrap();
    copy_executable(&static_binary(), &context.0.join("linux/amd64/waitfor"));
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The incumbents' names: symbolic links, copied as links.
    run_ok(
        Command::new("cp")
            .arg("-a")
            .arg(project.join("dropin"))
            .arg(context.0.join("dropin")),
    );
    let dockerfile = project.join("Dockerfile");
    docker_build(
        &image,
        &context.0,
        &dockerfile,
        &["--build-arg", "WAITFOR_BINARY=prebuilt"],
    );
    let size: u64 =
        run_ok(Command::new(DOCKER).args(["image", "inspect", "-f", "{{.Size}}", &image]))
            .trim()
            .parse()
            .unwrap();
    assert!(size < 3 * 1024 * 1024, "the image is {size} bytes");
    let layers = run_ok(Command::new(DOCKER).args(["history", "-q", "--no-trunc", &image]));
    assert!(
        layers.lines().count() <= 4,
        "only the binary's layer, the names' and metadata: {layers}"
    );

    // As an entrypoint, waiting for a port that opens late.
    let port = free_port();
    let _listener = listen_after(([127, 0, 0, 1], port), secs(1.0));
    let run = docker(
        Command::new(DOCKER)
            .args(["run", "--rm", "--network", "host", &image, "-t", "30"])
            .arg(format!("127.0.0.1:{port}")),
    );
    assert_eq!(run.code(), 0, "{run:?}");
    run.says(&format!("127.0.0.1:{port} is ready after"));

    // Under each incumbent's name, as the image offers it.
    let target = format!("127.0.0.1:{port}");
    let url = format!("tcp://{target}");
    for (entrypoint, args, env, says) in [
        (
            "/wait-for-it.sh",
            vec![target.as_str(), "-t", "30"],
            "X=",
            "wait-for-it.sh: waiting 30 seconds for",
        ),
        (
            "/usr/local/bin/wait-for-it",
            vec![target.as_str()],
            "X=",
            "wait-for-it: waiting 15 seconds for",
        ),
        ("/usr/local/bin/wait-for", vec![target.as_str()], "X=", ""),
        (
            "/wait",
            vec![],
            &*format!("WAIT_HOSTS={target}"),
            "Host [127.0.0.1",
        ),
        (
            "/usr/local/bin/dockerize",
            vec!["-wait", url.as_str()],
            "X=",
            "Connected to tcp://",
        ),
    ] {
        let run = docker(
            Command::new(DOCKER)
                .args([
                    "run",
                    "--rm",
                    "--network",
                    "host",
                    "-e",
                    env,
                    "--entrypoint",
                    entrypoint,
                    &image,
                ])
                .args(&args),
        );
        assert_eq!(run.code(), 0, "{entrypoint}: {run:?}");
        run.says(says);
    }

    // grpc_health_probe where images install it: -version answers on stdout.
    let run = docker(Command::new(DOCKER).args([
        "run",
        "--rm",
        "--entrypoint",
        "/bin/grpc_health_probe",
        &image,
        "-version",
    ]));
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(run.stdout.contains("as grpc_health_probe"), "{run:?}");

    // COPY --from the image into an app image whose ENTRYPOINT is waitfor ... -- app.
    let app = TempDir::new("app-image");
    copy_executable(Path::new("/bin/busybox"), &app.0.join("busybox"));
    fs::write(
        app.0.join("Dockerfile"),
        format!(
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY --from={image} /waitfor /usr/local/bin/waitfor\n\
             COPY --from={image} /waitfor /usr/local/lib/waitfor/wait-for-it.sh\n\
             COPY --from={image} /usr/local/lib/waitfor/shims/wait-for-it.sh /wait-for-it.sh\n\
             ENTRYPOINT [\"waitfor\", \"127.0.0.1:{port}\", \"--\", \"/bin/busybox\", \"echo\", \"app started\"]\n"
        ),
    )
    .unwrap();
    docker_build(&app_image, &app.0, &app.0.join("Dockerfile"), &[]);
    let run = docker(Command::new(DOCKER).args(["run", "--rm", "--network", "host", &app_image]));
    assert_eq!(
        (run.code(), run.stdout.as_str()),
        (0, "app started\n"),
        "{run:?}"
    );
    // `sh wait-for-it.sh …`, as many images run it: the shim execs waitfor under that name.
    let run = docker(
        Command::new(DOCKER)
            .args([
                "run",
                "--rm",
                "--network",
                "host",
                "--entrypoint",
                "/bin/busybox",
            ])
            .args([&app_image, "sh", "/wait-for-it.sh", &target, "--"])
            .args(["/bin/busybox", "echo", "via the shim"]),
    );
    assert_eq!(
        (run.code(), run.stdout.as_str()),
        (0, "via the shim\n"),
        "{run:?}"
    );
    run.says(&format!(
        "wait-for-it.sh: waiting 15 seconds for {target}\n"
    ));

    // docker stop on a container still waiting: PID 1 handles SIGTERM at once.
    let name = format!("waitfor-test-stop-{id}");
    let _container = Container(name.clone());
    let never = free_port();
    run_ok(
        Command::new(DOCKER)
            .args([
                "run",
                "-d",
                "--name",
                &name,
                "--network",
                "host",
                &image,
                "-t",
                "0",
            ])
            .arg(format!("127.0.0.1:{never}")),
    );
    // The container's stderr (waitfor's output) is what `docker logs` writes to its stderr.
    let logs = || {
        String::from_utf8_lossy(
            &Command::new(DOCKER)
                .args(["logs", &name])
                .output()
                .unwrap()
                .stderr,
        )
        .into_owned()
    };
    let started = Instant::now();
    while !logs().contains("waiting with no deadline") {
        assert!(
            started.elapsed() < secs(30.0),
            "the container never started waiting: {}",
            logs()
        );
        std::thread::sleep(secs(0.05));
    }
    let stopping = Instant::now();
    run_ok(Command::new(DOCKER).args(["stop", "-t", "10", &name]));
    let took = stopping.elapsed();
    let code = run_ok(Command::new(DOCKER).args(["inspect", "-f", "{{.State.ExitCode}}", &name]));
    assert_eq!(
        code.trim(),
        "143",
        "ended by SIGTERM, not killed after the grace period"
    );
    assert!(
        took < secs(5.0),
        "docker stop took {took:?} of its 10 s grace period"
    );
}

/// A scratch image of busybox's httpd serving `/www` on `port`, with waitfor
/// at `/waitfor` as its `HEALTHCHECK` of `/health` (every second, unhealthy
/// after one failure).
fn health_checked_image(tag: &str, port: u16) -> TempDir {
    let context = TempDir::new(&format!("health-image-{port}"));
    copy_executable(&static_binary(), &context.0.join("waitfor"));
    copy_executable(Path::new("/bin/busybox"), &context.0.join("busybox"));
    fs::create_dir_all(context.0.join("www")).unwrap();
    fs::write(context.0.join("www/health"), "ok\n").unwrap();
    fs::write(
        context.0.join("Dockerfile"),
        format!(
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY waitfor /waitfor\nCOPY www /www\n\
             HEALTHCHECK --interval=1s --timeout=5s --retries=1 \
             CMD [\"/waitfor\", \"--check\", \"http://127.0.0.1:{port}/health\"]\n\
             ENTRYPOINT [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"127.0.0.1:{port}\", \"-h\", \"/www\"]\n"
        ),
    )
    .unwrap();
    docker_build(tag, &context.0, &context.0.join("Dockerfile"), &[]);
    context
}

/// What `docker inspect -f FORMAT` says of a container.
fn inspect(name: &str, format: &str) -> String {
    run_ok(Command::new(DOCKER).args(["inspect", "-f", format, name]))
        .trim()
        .to_owned()
}

/// Polls the container's health until it is `status` (within 60 s).
fn until_health(name: &str, status: &str) {
    let started = Instant::now();
    loop {
        let health = inspect(name, "{{.State.Health.Status}}");
        if health == status {
            return;
        }
        assert!(
            started.elapsed() < secs(60.0),
            "still {health}, not {status}: {}",
            inspect(name, "{{json .State.Health}}")
        );
        std::thread::sleep(secs(0.2));
    }
}

/// `HEALTHCHECK CMD ["/waitfor", "--check", URL]` in a scratch image: the
/// container turns healthy, then unhealthy once its endpoint fails, with
/// waitfor's line saying why in `docker inspect`'s health log.
#[test]
fn a_scratch_image_health_check_turns_healthy_then_unhealthy() {
    let id = std::process::id();
    let image = format!("waitfor-test-health:{id}");
    let _images = Images(vec![image.clone()]);
    let port = free_port();
    let _context = health_checked_image(&image, port);
    let name = format!("waitfor-test-health-{id}");
    let _container = Container(name.clone());
    run_ok(Command::new(DOCKER).args(["run", "-d", "--name", &name, "--network", "host", &image]));
    until_health(&name, "healthy");
    run_ok(Command::new(DOCKER).args(["exec", &name, "/bin/busybox", "rm", "/www/health"]));
    until_health(&name, "unhealthy");
    let log = inspect(&name, "{{json .State.Health.Log}}");
    assert!(
        log.contains(&format!(
            "http://127.0.0.1:{port}/health is not ready: answered HTTP 404"
        )) && log.contains("\"ExitCode\":1"),
        "{log}"
    );
}

/// A compose service whose health check is waitfor, and another that
/// `depends_on` it with `condition: service_healthy`: docker-compose starts
/// the second only once the first's endpoint answers (it appears 2 s late).
#[test]
fn compose_waits_for_a_service_healthy_by_waitfor() {
    let id = std::process::id();
    let image = format!("waitfor-test-compose-health:{id}");
    let _images = Images(vec![image.clone()]);
    let port = free_port();
    let context = health_checked_image(&image, port);
    let health = format!("http://127.0.0.1:{port}/health");
    let file = context.0.join("compose.yml");
    fs::write(
        &file,
        format!(
            "version: \"2.4\"
services:
  web:
    image: {image}
    network_mode: host
    entrypoint: [\"/bin/busybox\", \"sh\", \"-c\"]
    command: [\"mv /www/health /health; (sleep 2; mv /health /www/health) & exec /bin/busybox httpd -f -p 127.0.0.1:{port} -h /www\"]
    healthcheck:
      test: [\"CMD\", \"/waitfor\", \"--check\", \"{health}\"]
      interval: 1s
      timeout: 5s
      retries: 30
  app:
    image: {image}
    network_mode: host
    entrypoint: [\"/bin/busybox\", \"wget\", \"-q\", \"-O\", \"-\", \"{health}\"]
    depends_on:
      web:
        condition: service_healthy
"
        ),
    )
    .unwrap();
    let project = format!("waitfor-test-{id}");
    let compose = |args: &[&str]| {
        let mut command = Command::new("docker-compose");
        command.args(["-p", &project, "-f"]).arg(&file).args(args);
        command
    };
    struct Down(Command);
    impl Drop for Down {
        fn drop(&mut self) {
            let _ = self.0.output();
        }
    }
    let _down = Down(compose(&["down", "-t", "1"]));
    let up = run_within(
        compose(&["up", "--exit-code-from", "app", "app"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
        secs(120.0),
    );
    assert_eq!(up.code(), 0, "the app ran before /health answered? {up:?}");
    assert!(up.stdout.contains("ok"), "{up:?}");
}

#[test]
fn the_compose_example_is_valid() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.example.yml");
    run_ok(Command::new("docker-compose").args(["-f", file, "config", "-q"]));
}

#[test]
fn the_kubernetes_example_is_valid() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/kubernetes");
    for manifest in fs::read_dir(dir).unwrap() {
        let path = manifest.unwrap().path();
        let output = run_ok(
            Command::new("kubernetes-validate")
                .arg("--strict")
                .arg(&path),
        );
        assert!(!output.contains("ERROR"), "{}: {output}", path.display());
    }
}
