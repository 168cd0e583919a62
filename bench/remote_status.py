#!/usr/bin/env python3
"""Benchmark: `status` through -H (SSH to a throwaway sshd on 127.0.0.1) against local `status`.

Run by hand on a running lab (`invoke run etcd --start mesos.zk --start` first):

    python bench/remote_status.py [--runs 7]

Prints a table of whole-process wall times (median of --runs, after one warm-up
each) and the ratio remote/local, measured in the same run. Target: <= 2x.
Uses hosts.yaml as k8sm does ($K8SM_HOSTS, else ./hosts.yaml).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sshd import Sshd  # noqa: E402 - the same throwaway sshd the tests use


def wall(argv: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 3):
        sys.exit(f"benchmark: `{' '.join(argv[2:])}` failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def median_of(argv: list[str], runs: int) -> float:
    wall(argv)  # warm-up: page cache, .pyc files, the engine's own caches
    return statistics.median(wall(argv) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="k8sm-bench-") as tmp:
        sshd = Sshd(Path(tmp)).start()
        try:
            rows = [
                ("invoke status (local)", [sys.executable, "-m", "invoke", "status"]),
                ("k8sm status (local)", [sys.executable, "-m", "k8sm", "status"]),
                ("k8sm -H status (SSH)", [sys.executable, "-m", "k8sm", *sshd.k8sm_args(), "status"]),
            ]
            times = {name: median_of(argv, args.runs) for name, argv in rows}
        finally:
            sshd.stop()
    local = times["k8sm status (local)"]
    print(f"{'command':<24} {'median s':>9} {'vs local':>9}")
    for name, seconds in times.items():
        print(f"{name:<24} {seconds:>9.2f} {seconds / local:>8.2f}x")
    ratio = times["k8sm -H status (SSH)"] / local
    print(f"\nremote/local = {ratio:.2f}x (target <= 2.0x): {'met' if ratio <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
