#!/usr/bin/env python3
"""Detection latency: from a port opening to the COMMAND starting.

For each trial, waitfor waits on a free loopback port whose listener opens at
a random moment 0.3-1.3 s later; the COMMAND is `date +%s%N`, so the time it
prints is taken just after the exec. Latency = that time - the time just after
listen(). Reports median, p90 and max for each interval setting.

Usage: bench/latency.py [--trials N] [--binary PATH]
(default binary: the static release build, built by scripts/build-static)
"""

import argparse
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trial(binary, extra):
    port = free_port()
    waiting = subprocess.Popen(
        [binary, "-q", "-t", "30", *extra, f"127.0.0.1:{port}", "--", "date", "+%s%N"],
        stdout=subprocess.PIPE,
    )
    try:
        time.sleep(random.uniform(0.3, 1.3))
        listener = socket.create_server(("127.0.0.1", port))
        opened = time.time_ns()
        out, _ = waiting.communicate(timeout=30)
        listener.close()
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    if waiting.returncode != 0:
        sys.exit(f"waitfor exited {waiting.returncode}")
    return (int(out) - opened) / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--binary")
    args = parser.parse_args()
    binary = args.binary or subprocess.run(
        [ROOT / "scripts" / "build-static"], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(f"binary: {binary} ({Path(binary).stat().st_size} bytes), {args.trials} trials each")
    print("| setting | median ms | p90 ms | max ms |")
    print("| --- | ---: | ---: | ---: |")
    for label, extra in [("defaults (--interval 100ms)", []), ("--interval 10ms", ["-i", "10ms"])]:
        samples = sorted(trial(binary, extra) for _ in range(args.trials))
        p90 = samples[int(0.9 * (len(samples) - 1))]
        print(f"| {label} | {statistics.median(samples):.1f} | {p90:.1f} | {samples[-1]:.1f} |")


if __name__ == "__main__":
    main()
