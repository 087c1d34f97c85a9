#!/usr/bin/env python3
"""waitfor against the tools users use today, measured in one run, on loopback only.

Run it through bench/run, which installs the peers and builds waitfor. Every
measurement interleaves the tools trial by trial (in a shuffled order each
trial), so a noisy moment of the machine falls on all of them alike, and
reports medians. Results: bench/results/latest.{md,json} and latency.png.

Measurements (see README "Benchmark"):
 1. fast path: dependency already listening -> command done (`true`), as `waitfor HOST:PORT --
    true`: wall time, and its ratio to `true` alone paired trial by trial; peak RSS; for each
    waitfor build, the system calls and page faults before exec (scripts/check-fast-path)
 2. detection latency: a port opens at a random moment -> the command's first timestamp
 3. honest deadline: refused and black-holed port, 2 s deadline: elapsed, exit code, command run?
 4. idle cost: CPU time while waiting 10 s on 10 refused targets
 5. PID 1: SIGTERM to the waiting tool as PID 1 of a PID namespace: time to exit, status
 6. scale (waitfor): 1,000 and 10,000 targets opening over 2 s under ulimit -n 1024
 7. footprint: bytes on disk
 8. health checks: `waitfor --check` beside what a HEALTHCHECK runs instead (curl -f,
    wget --spider, pg_isready, redis-cli ping), each against the same ready real server
"""

import argparse
import atexit
import contextlib
import datetime
import json
import os
import platform
import random
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"
# A stand-in for a black-holed dependency: a port whose packets are dropped on lo.
DROP_RULE = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", "{port}", "-j", "DROP"]


def free_port():
    """A port nothing listens on, below the ephemeral range (no self-connects)."""
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, port))
                return port
            except OSError:
                continue


class Tool:
    """How one tool is run: wait for `targets` (host, port pairs), then run `command`."""

    name = ""

    def argv(self, targets, timeout, command):
        raise NotImplementedError


class Bare(Tool):
    name = "command alone"

    def argv(self, targets, timeout, command):
        return command


class Waitfor(Tool):
    def __init__(self, binary, *options, name="waitfor"):
        self.binary, self.options = binary, list(options)
        self.name = " ".join([name, *options])

    def argv(self, targets, timeout, command):
        return [self.binary, "-q", "-t", f"{timeout or 0}s", *self.options,
                *(f"{h}:{p}" for h, p in targets), "--", *command]


class Plain(Waitfor):
    """waitfor as most images run it: TARGETs and a COMMAND, no option (its default deadline)."""

    def argv(self, targets, timeout, command):
        return [self.binary, *(f"{h}:{p}" for h, p in targets), "--", *command]


class Floor(Tool):
    """bench/floor.c or floor.rs: one connect, then exec; what no waiter can beat."""

    def __init__(self, binary, name):
        self.binary, self.name = binary, name

    def argv(self, targets, timeout, command):
        (host, port), = targets
        return [self.binary, host, str(port), *command]


class WaitForIt(Tool):
    """Debian's wait-for-it.sh: one target per invocation, nested for several; -s so a
    timeout never runs the command."""
    name = "wait-for-it"

    def argv(self, targets, timeout, command):
        argv = command
        for host, port in reversed(targets):
            argv = ["wait-for-it", "-q", "-s", "-t", str(int(timeout or 0)), f"{host}:{port}", "--", *argv]
        return argv


class NodeTool(Tool):
    """wait-on and wait-port only wait: the command follows `&&` in a shell, as their docs show."""

    def __init__(self, name, bin_dir):
        self.name, self.binary = name, str(Path(bin_dir) / name)

    def waits(self, targets, timeout):
        raise NotImplementedError

    def argv(self, targets, timeout, command):
        script = " && ".join([*(shlex.join(w) for w in self.waits(targets, timeout)), "exec " + shlex.join(command)])
        return ["sh", "-c", script]


class WaitOn(NodeTool):
    def waits(self, targets, timeout):
        limit = ["--timeout", str(int(timeout * 1000))] if timeout else []
        return [[self.binary, *limit, *(f"tcp:{h}:{p}" for h, p in targets)]]


class WaitPort(NodeTool):
    def waits(self, targets, timeout):
        limit = ["-t", str(int(timeout * 1000))] if timeout else []
        return [[self.binary, "--output", "silent", *limit, f"{h}:{p}"] for h, p in targets]


def run(argv, limit=None):
    """Runs argv to its end (killed after `limit` s, if given): (elapsed s, exit code, rusage).
    Without a limit no watchdog thread is started, so nothing but the tool is timed."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    watchdog = threading.Timer(limit, process.kill) if limit else None
    if watchdog:
        watchdog.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if watchdog:
        watchdog.cancel()
    return elapsed, os.waitstatus_to_exitcode(status), usage


def peak_rss_kib(argv):
    """Peak RSS as GNU time reports it (%M). Not ru_maxrss of our own child: Linux carries
    the high-water mark of the forked harness (tens of MiB of Python) across exec."""
    with tempfile.NamedTemporaryFile(mode="r") as report:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *argv],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(report.read().split()[-1])


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def interleaved(tools, trials):
    """(trial, tool) pairs: every trial runs every tool once, in a shuffled order."""
    for trial in range(trials):
        order = list(tools)
        random.shuffle(order)
        for tool in order:
            yield trial, tool


def fast_path(tools, trials, rss_trials=10, calls=5):
    """Each trial runs every tool `calls` times, interleaved; a tool's ratio to the command
    alone is the median over trials of (its median ÷ the command's median in that trial)."""
    port = free_port()
    bare = next(tool for tool in tools if isinstance(tool, Bare))
    with socket.create_server((LOOPBACK, port), backlog=4096):
        wall = {tool.name: [] for tool in tools}
        ratios = {tool.name: [] for tool in tools}
        for _ in range(trials):
            times = {tool.name: [] for tool in tools}
            for _, tool in interleaved(tools, calls):
                elapsed, code, _ = run(tool.argv([(LOOPBACK, port)], 30, ["true"]))
                assert code == 0, f"{tool.name} exited {code}"
                times[tool.name].append(elapsed * 1000)
            for tool in tools:
                wall[tool.name] += times[tool.name]
                ratios[tool.name].append(statistics.median(times[tool.name])
                                         / statistics.median(times[bare.name]))
        rss = {tool.name: [] for tool in tools}
        for _, tool in interleaved(tools, rss_trials):
            rss[tool.name].append(peak_rss_kib(tool.argv([(LOOPBACK, port)], 30, ["true"])))
    counted = {tool.name: counts(tool.binary) for tool in tools if isinstance(tool, Waitfor)}
    return {tool.name: {"median_ms": statistics.median(wall[tool.name]),
                        "p90_ms": percentile(wall[tool.name], 0.9),
                        "ratio_to_command": statistics.median(ratios[tool.name]),
                        "peak_rss_kib": statistics.median(rss[tool.name]),
                        **counted.get(tool.name, {})}
            for tool in tools}


def counts(binary):
    """System calls and minor faults before exec, as CI counts them."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "check-fast-path"
    report = subprocess.run([str(script), "--report", binary], capture_output=True, text=True,
                            check=True)
    return json.loads(report.stdout)


def detection_latency(tools, trials):
    """From listen() to the command's own first timestamp (`date +%s%N`)."""
    samples = {tool.name: [] for tool in tools}
    for _, tool in interleaved(tools, trials):
        port = free_port()
        process = subprocess.Popen(tool.argv([(LOOPBACK, port)], 60, ["date", "+%s%N"]),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.3, 1.3))
        with socket.create_server((LOOPBACK, port)):
            opened = time.time_ns()
            out, _ = process.communicate(timeout=60)
        samples[tool.name].append((int(out) - opened) / 1e6)
    return {name: {"median_ms": statistics.median(s), "p90_ms": percentile(s, 0.9),
                   "max_ms": max(s), "samples_ms": s}
            for name, s in samples.items()}


def iptables(action, port):
    rule = [part.format(port=port) for part in DROP_RULE]
    subprocess.run(["iptables", action, *rule], check=True)


def honest_deadline(tools, trials):
    results = {}
    for kind in ("refused", "black-holed"):
        port = free_port()
        listener = socket.create_server((LOOPBACK, port)) if kind == "black-holed" else None
        if listener:
            iptables("-I", port)
        try:
            samples = {tool.name: [] for tool in tools}
            for _, tool in interleaved(tools, trials):
                with tempfile.TemporaryDirectory() as scratch:
                    marker = Path(scratch) / "ran"
                    elapsed, code, _ = run(tool.argv([(LOOPBACK, port)], 2, ["touch", str(marker)]), limit=60)
                    samples[tool.name].append((elapsed, code, marker.exists()))
        finally:
            if listener:
                iptables("-D", port)
                listener.close()
        results[kind] = {name: {"median_s": statistics.median(e for e, _, _ in s),
                                "max_s": max(e for e, _, _ in s),
                                "exit_codes": sorted({c for _, c, _ in s}),
                                "command_ran": any(r for _, _, r in s)}
                         for name, s in samples.items()}
    return results


def idle_cost(tools, seconds=10, targets=10):
    """CPU seconds over `seconds` of waiting on `targets` refused ports. Tools that wait
    for one target at a time (wait-for-it, wait-port) run one process per target, at once."""
    ports = [(LOOPBACK, free_port()) for _ in range(targets)]
    results = {}
    for tool in tools:
        per_process = [ports] if isinstance(tool, (Waitfor, WaitOn)) else [[p] for p in ports]
        processes = [subprocess.Popen(tool.argv(t, seconds, ["true"]), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for t in per_process]
        cpu = 0.0
        for process in processes:
            _, _, usage = os.wait4(process.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
        results[tool.name] = {"cpu_s": cpu, "percent_of_a_core": 100 * cpu / seconds,
                              "processes": len(processes)}
    return results


def backoff(binary, seconds=60, appears_after=30.0, trials=3):
    """A fixed 100 ms interval against --backoff 5s: attempts per minute and CPU over `seconds`
    of waiting on a refused port, and the latency from a listener opening after
    `appears_after` s to the command. The two run side by side, each on its own port."""
    ways = {"fixed 100ms": [], "--backoff 5s": ["--backoff", "5s"]}
    idle = {}
    processes = {}
    for name, options in ways.items():
        argv = [binary, "-v", "-t", f"{seconds}s", *options, f"{LOOPBACK}:{free_port()}"]
        processes[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for name, process in processes.items():
        attempts = sum(": attempt " in line for line in process.stderr)
        _, _, usage = os.wait4(process.pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        idle[name] = {"attempts_per_minute": attempts * 60 / seconds, "cpu_s": cpu,
                      "percent_of_a_core": 100 * cpu / seconds}
    latency = {name: [] for name in ways}
    for _ in range(trials):
        ports = {name: free_port() for name in ways}
        running = {name: subprocess.Popen([binary, "-q", "-t", f"{2 * appears_after}s", *options,
                                           f"{LOOPBACK}:{ports[name]}", "--", "true"],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                   for name, options in ways.items()}
        time.sleep(appears_after)
        listeners = [socket.create_server((LOOPBACK, port)) for port in ports.values()]
        opened = time.perf_counter()
        for name, process in running.items():
            process.wait()
            latency[name].append((time.perf_counter() - opened) * 1000)
        for listener in listeners:
            listener.close()
    for name in ways:
        idle[name]["appeared_after_30s_median_ms"] = statistics.median(latency[name])
        idle[name]["appeared_after_30s_max_ms"] = max(latency[name])
    return idle


def children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pid_one(tools, trials, patience=5.0):
    """SIGTERM to the tool as PID 1 of a new PID namespace, while it waits."""
    results = {}
    samples = {tool.name: [] for tool in tools}
    for _, tool in interleaved(tools, trials):
        port = free_port()
        unshare = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child",
                                    *tool.argv([(LOOPBACK, port)], 0, ["true"])],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        first = children(unshare.pid)
        assert first, f"{tool.name}: nothing runs in the namespace"
        sent = time.perf_counter()
        os.kill(first[0], 15)
        try:
            code = unshare.wait(timeout=patience)
            samples[tool.name].append(((time.perf_counter() - sent) * 1000, code))
        except subprocess.TimeoutExpired:
            unshare.kill()
            unshare.wait()
            samples[tool.name].append((None, "ignored SIGTERM"))
    for name, s in samples.items():
        exited = [ms for ms, _ in s if ms is not None]
        results[name] = {"median_ms": statistics.median(exited) if len(exited) == len(s) else None,
                         "outcomes": sorted({str(code) for _, code in s})}
    return results


def scale(binary, counts, spread=2.0, nofile=1024):
    """waitfor on `count` targets (one port on many 127.3.x.y addresses) whose listeners
    open over `spread` seconds, under ulimit -n `nofile`: from the last opening to the
    command, peak RSS, most descriptors open, EMFILE errors seen."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = {}
    for count in counts:
        port = free_port()
        addresses = [f"127.3.{i // 250}.{i % 250 + 1}" for i in range(count)]
        report = tempfile.NamedTemporaryFile(mode="r")
        # Through GNU time, for a peak RSS that is waitfor's own (see peak_rss_kib).
        argv = ["/usr/bin/time", "-f", "%M", "-o", report.name,
                binary, "-v", "-t", "120", *(f"{a}:{port}" for a in addresses), "--", "date", "+%s%N"]
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, preexec_fn=limit)
        emfile = [0]

        def read_errors():
            for line in process.stderr:
                if b"too many open files" in line.lower():
                    emfile[0] += 1

        reader = threading.Thread(target=read_errors)
        reader.start()
        most_fds = [0]

        def sample_fds():
            while process.poll() is None:
                for waitfor in children(process.pid):
                    try:
                        most_fds[0] = max(most_fds[0], len(os.listdir(f"/proc/{waitfor}/fd")))
                    except OSError:
                        pass
                time.sleep(0.01)

        sampler = threading.Thread(target=sample_fds)
        sampler.start()
        listeners, last_opened = [], None
        started = time.perf_counter()
        for i, address in enumerate(addresses):
            delay = started + spread * (i + 1) / count - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            listeners.append(socket.create_server((address, port), backlog=16))
            last_opened = time.time_ns()
        out = process.stdout.read()
        _, status, _ = os.wait4(process.pid, 0)
        reader.join()
        sampler.join()
        for listener in listeners:
            listener.close()
        results[str(count)] = {"exit_code": os.waitstatus_to_exitcode(status),
                               "last_open_to_command_ms": (int(out) - last_opened) / 1e6,
                               "peak_rss_kib": int(report.read().split()[-1]), "most_descriptors": most_fds[0],
                               "emfile_errors": emfile[0], "ulimit_n": nofile}
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return results


def footprint(binary, bin_dir):
    node = subprocess.run(["sh", "-c", "command -v node"], capture_output=True, text=True).stdout.strip()
    node_bytes = Path(node).stat().st_size
    modules = Path(bin_dir).parent
    package = lambda name: sum(f.stat().st_size for f in (modules / name).rglob("*") if f.is_file())
    return {"waitfor": {"bytes": Path(binary).stat().st_size, "what": "the static binary"},
            "wait-for-it": {"bytes": Path("/usr/bin/wait-for-it").stat().st_size
                            + Path("/bin/bash").stat().st_size, "what": "the script + bash"},
            "wait-on": {"bytes": node_bytes + sum(f.stat().st_size for f in modules.rglob("*") if f.is_file()),
                        "what": "node + node_modules (wait-on and wait-port share it)"},
            "wait-port": {"bytes": node_bytes + package("wait-port"), "what": "node + its package"}}


@contextlib.contextmanager
def health_servers(binary):
    """nginx (`/health` answers 200), PostgreSQL and Redis on loopback, ready: their ports."""
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        work.chmod(0o755)  # for the postgres user
        http, pg, redis = free_port(), free_port(), free_port()
        (work / "logs").mkdir()
        (work / "nginx.conf").write_text(
            f"daemon off; worker_processes 1; pid {work}/nginx.pid; error_log stderr;"
            f"events {{ worker_connections 64; }} http {{ access_log off;"
            f" client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;"
            f" fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;"
            f" server {{ listen {LOOPBACK}:{http}; location /health {{ return 200 ok; }} }} }}")
        data = work / "pg"
        data.mkdir()
        shutil.chown(data, "postgres", "postgres")
        pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        as_postgres = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*as_postgres, pg_bin / "initdb", "-A", "trust", "-U", "postgres", "--no-sync",
                        "-D", data], check=True, capture_output=True)
        quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        servers = [
            subprocess.Popen(["nginx", "-p", work, "-c", work / "nginx.conf", "-e", "stderr"], **quiet),
            subprocess.Popen([*as_postgres, pg_bin / "postgres", "-D", data, "-p", str(pg), "-k", data,
                              "-c", f"listen_addresses={LOOPBACK}", "-c", "fsync=off"], **quiet),
            subprocess.Popen(["redis-server", "--bind", LOOPBACK, "--port", str(redis), "--save", "",
                              "--appendonly", "no", "--dir", work], **quiet),
        ]
        try:
            subprocess.run([binary, "-q", "-t", "60", f"http://{LOOPBACK}:{http}/health",
                            f"postgres://postgres@{LOOPBACK}:{pg}/postgres", f"redis://{LOOPBACK}:{redis}"],
                           check=True)
            yield http, pg, redis
        finally:
            for server in servers:
                server.terminate()
                server.wait()


def health_checks(binary, trials=20, calls=5):
    """`waitfor --check` and the command a HEALTHCHECK would run instead, against the same ready
    server, interleaved with `true` as the fast path is: each one's median ms, its ratio to
    `true` (median of each trial's ratio) and peak RSS."""
    with health_servers(binary) as (http, pg, redis):
        url = f"http://{LOOPBACK}:{http}/health"
        commands = {
            "true": ["true"],
            "waitfor --check http://…/health": [binary, "--check", url],
            "curl -fsS -o /dev/null http://…/health": ["curl", "-fsS", "-o", "/dev/null", url],
            "wget -q --spider http://…/health": ["wget", "-q", "--spider", url],
            "waitfor --check postgres://…": [binary, "--check", f"postgres://postgres@{LOOPBACK}:{pg}/postgres"],
            "pg_isready -h … -p …": ["pg_isready", "-q", "-h", LOOPBACK, "-p", str(pg)],
            "waitfor --check redis://…": [binary, "--check", f"redis://{LOOPBACK}:{redis}"],
            "redis-cli -h … -p … ping": ["redis-cli", "-h", LOOPBACK, "-p", str(redis), "ping"],
            f"waitfor --check {LOOPBACK}:PORT": [binary, "--check", f"{LOOPBACK}:{redis}"],
        }
        wall = {name: [] for name in commands}
        ratios = {name: [] for name in commands}
        for _ in range(trials):
            times = {name: [] for name in commands}
            for _, name in interleaved(commands, calls):
                elapsed, code, _ = run(commands[name])
                assert code == 0, f"{name} exited {code}"
                times[name].append(elapsed * 1000)
            for name in commands:
                wall[name] += times[name]
                ratios[name].append(statistics.median(times[name]) / statistics.median(times["true"]))
        rss = {name: statistics.median(peak_rss_kib(argv) for _ in range(5))
               for name, argv in commands.items()}
    return {name: {"median_ms": statistics.median(wall[name]), "p90_ms": percentile(wall[name], 0.9),
                   "ratio_to_true": statistics.median(ratios[name]), "peak_rss_kib": rss[name]}
            for name in commands}


def plot(latency, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(latency)
    figure, axes = plt.subplots(figsize=(9, 4.5))
    axes.boxplot([latency[n]["samples_ms"] for n in names], vert=False, showfliers=False)
    axes.set_yticks(range(1, len(names) + 1), names)
    for row, name in enumerate(names, start=1):
        samples = latency[name]["samples_ms"]
        axes.scatter(samples, [row + random.uniform(-0.15, 0.15) for _ in samples], s=8, alpha=0.6)
    axes.set_xscale("log")
    axes.set_xlabel("port open -> command started (ms, log scale)")
    axes.set_title("Detection latency at each tool's defaults")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def describe(machine):
    return f"{machine['date']} on {machine['cpu']}, {machine['cores']} cores, {machine['kernel']}"


def markdown(results, machine):
    lines = [f"Measured {describe(machine)}; `bench/run`."]
    for step, where in results.get("remeasured", {}).items():
        lines.append(f"`{step}` measured again {describe(where)}; `bench/run --only {step}`.")
    lines.append("")
    lines += ["**Fast path** (dependency already listening → `true` done; waitfor as `waitfor HOST:PORT "
              f"-- true`), {results['trials']['fast']} trials of 5 calls each; ÷ is the median of "
              "each trial's ratio to the command alone; system calls and minor faults are "
              "waitfor's before exec (`scripts/check-fast-path`):", "",
              "| tool | ÷ command alone | median ms | p90 ms | peak RSS KiB (GNU time %M) "
              "| system calls | minor faults |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in results["fast_path"].items():
        ratio = f"{r['ratio_to_command']:.2f}×" if "ratio_to_command" in r else "—"
        calls, faults = r.get("syscalls", "—"), r.get("faults", "—")
        lines.append(f"| {name} | {ratio} | {r['median_ms']:.2f} | {r['p90_ms']:.2f} | "
                     f"{r['peak_rss_kib']:.0f} | {calls} | {faults} |")
    lines += ["", "**Detection latency** (port opens at a random moment → the command's first timestamp), "
              f"{results['trials']['latency']} trials each:", "",
              "| tool | median ms | p90 ms | max ms |", "| --- | ---: | ---: | ---: |"]
    for name, r in results["detection_latency"].items():
        lines.append(f"| {name} | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | {r['max_ms']:.1f} |")
    lines += ["", "**Honest deadline** (2 s):", "",
              "| tool | refused: median s | exit | ran? | black-holed: median s | max s | exit | ran? |",
              "| --- | ---: | --- | --- | ---: | ---: | --- | --- |"]
    refused, holed = results["deadline"]["refused"], results["deadline"]["black-holed"]
    for name in refused:
        r, b = refused[name], holed[name]
        lines.append(f"| {name} | {r['median_s']:.3f} | {r['exit_codes']} | {r['command_ran']} | "
                     f"{b['median_s']:.3f} | {b['max_s']:.3f} | {b['exit_codes']} | {b['command_ran']} |")
    lines += ["", "**Idle cost** (10 s waiting on 10 refused targets):", "",
              "| tool | CPU s | % of a core | processes |", "| --- | ---: | ---: | ---: |"]
    for name, r in results["idle"].items():
        lines.append(f"| {name} | {r['cpu_s']:.3f} | {r['percent_of_a_core']:.2f} | {r['processes']} |")
    if "backoff" in results:
        lines += ["", "**Backoff** (one refused target for 60 s; then a service that appears after 30 s, "
                  "both run side by side):", "",
                  "| pacing | attempts per minute | CPU s | % of a core | appears after 30 s → command: median ms | max ms |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for name, r in results["backoff"].items():
            lines.append(f"| {name} | {r['attempts_per_minute']:.0f} | {r['cpu_s']:.3f} | "
                         f"{r['percent_of_a_core']:.2f} | {r['appeared_after_30s_median_ms']:.0f} | "
                         f"{r['appeared_after_30s_max_ms']:.0f} |")
    lines += ["", "**PID 1** (SIGTERM while waiting, as PID 1 of a PID namespace):", "",
              "| tool | median ms to exit | outcome |", "| --- | ---: | --- |"]
    for name, r in results["pid1"].items():
        ms = f"{r['median_ms']:.1f}" if r["median_ms"] is not None else "—"
        lines.append(f"| {name} | {ms} | {', '.join(r['outcomes'])} |")
    lines += ["", "**Scale** (waitfor; listeners open over 2 s; `ulimit -n 1024`):", "",
              "| targets | last opening → command ms | peak RSS KiB | most descriptors | EMFILE | exit |",
              "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for count, r in results["scale"].items():
        lines.append(f"| {count} | {r['last_open_to_command_ms']:.1f} | {r['peak_rss_kib']} | "
                     f"{r['most_descriptors']} | {r['emfile_errors']} | {r['exit_code']} |")
    if "health_checks" in results:
        lines += ["", "**Health checks** (one check of a ready real server, as a HEALTHCHECK runs it; "
                  "÷ is the median of each trial's ratio to `true`):", "",
                  "| command | ÷ `true` | median ms | p90 ms | peak RSS KiB |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for name, r in results["health_checks"].items():
            lines.append(f"| `{name}` | {r['ratio_to_true']:.2f}× | {r['median_ms']:.2f} | "
                         f"{r['p90_ms']:.2f} | {r['peak_rss_kib']:.0f} |")
    lines += ["", "**Footprint**:", "", "| tool | bytes | what |", "| --- | ---: | --- |"]
    for name, r in results["footprint"].items():
        lines.append(f"| {name} | {r['bytes']:,} | {r['what']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--waitfor", required=True)
    parser.add_argument("--peers", required=True, help="node_modules/.bin holding wait-on and wait-port")
    parser.add_argument("--out", default="bench/results")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--latency-trials", type=int, default=60)
    parser.add_argument("--baseline", metavar="BINARY",
                        help="an earlier waitfor to measure beside this one in the fast path")
    parser.add_argument("--reference", metavar="BINARY",
                        help="the fixed reference build (bench/run: the kept release archive's)")
    parser.add_argument("--floor", metavar="BINARY", help="bench/floor.c, built static with musl")
    parser.add_argument("--floor-rust", metavar="BINARY", help="bench/floor.rs, built static with musl")
    parser.add_argument("--only", nargs="+", metavar="STEP",
                        help="measure only these steps again, keeping the others from latest.json")
    args = parser.parse_args()

    # Every build and floor runs from a copy written as an image layer's extraction writes it
    # (sequentially), in one directory: a binary as the linker wrote it (in place, through
    # mmap) sits in the page cache in small pieces and starts some 30 µs slower, the same
    # bytes; measured from where they were built, waitfor and the floors paid that and a
    # baseline copied elsewhere did not.
    copies = Path(tempfile.mkdtemp(prefix="waitfor-bench-"))
    atexit.register(shutil.rmtree, copies, True)
    for option in ("waitfor", "baseline", "reference", "floor", "floor_rust"):
        binary = getattr(args, option)
        if binary:
            (copies / option).mkdir()
            setattr(args, option, shutil.copy(binary, copies / option / Path(binary).name))
    waitfor = Waitfor(args.waitfor)
    peers = [WaitForIt(), WaitOn("wait-on", args.peers), WaitPort("wait-port", args.peers)]
    builds = [Plain(args.waitfor)]
    if args.baseline:
        builds.append(Plain(args.baseline, name="waitfor (baseline)"))
    if args.reference:
        builds.append(Plain(args.reference, name="waitfor (reference)"))
    floor = [Floor(binary, name) for binary, name in [(args.floor, "C: connect, then exec"),
                                                      (args.floor_rust, "Rust std: the same")]
             if binary]
    fast_tools = [Bare(), *builds, *floor, *peers]
    waiting_tools = [waitfor, Waitfor(args.waitfor, "-i", "10ms"), *peers]
    out = Path(args.out)
    results = {"trials": {"fast": args.trials, "latency": args.latency_trials}}
    if args.only:
        results = json.loads((out / "latest.json").read_text())
        # The steps not measured again keep the machine and date they were measured on.
        measured_on = results.pop("machine")
    steps = [
        ("fast_path", lambda: fast_path(fast_tools, args.trials)),
        ("detection_latency", lambda: detection_latency(waiting_tools, args.latency_trials)),
        ("deadline", lambda: honest_deadline([waitfor, *peers], 5)),
        ("idle", lambda: idle_cost(waiting_tools)),
        ("pid1", lambda: pid_one([waitfor, *peers], 5)),
        ("backoff", lambda: backoff(args.waitfor)),
        ("scale", lambda: scale(args.waitfor, [1000, 10000])),
        ("footprint", lambda: footprint(args.waitfor, args.peers)),
        ("health_checks", lambda: health_checks(args.waitfor)),
    ]
    for key, measure in steps:
        if args.only and key not in args.only:
            continue
        print(f"bench: {key} ...", flush=True)
        results[key] = measure()

    machine = {"date": datetime.date.today().isoformat(), "kernel": platform.release(),
               "cores": os.cpu_count(),
               "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                            if l.startswith("model name")), platform.machine())}
    if args.only:
        results.setdefault("remeasured", {}).update({step: machine for step in args.only})
        machine = measured_on
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"machine": machine, **results}, indent=2))
    (out / "latest.md").write_text(markdown(results, machine))
    plot(results["detection_latency"], out / "latency.png")
    print((out / "latest.md").read_text())


if __name__ == "__main__":
    main()
