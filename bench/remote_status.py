#!/usr/bin/env python3
"""Benchmark: `status` through -H (SSH to a throwaway sshd on 127.0.0.1) against local `status`.

Run by hand:

    python bench/remote_status.py [--runs 7]

Brings up an 11-node lab of its own (the k8smbench/ images of bench/lab_bench.py, built
here if missing; own name and subnet), prints a table of whole-process wall times
(median of --runs, after one warm-up each) and the ratio remote/local measured in the
same run, then removes the lab (and the images, if it built them). Target: <= 1.3x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from bench.lab_bench import IMPORTS, PREFIX, SEED, Labs, build_images, environment, invoke, profiled  # noqa: E402
from k8sm import topology  # noqa: E402
from tests.sshd import Sshd  # noqa: E402 - the same throwaway sshd the tests use

TARGET = 1.3
#: Where `k8sm -H status` spends its time (see lab_bench.profiled).
REMOTE_PARTS = (
    *IMPORTS,
    ("  of which paramiko", "paramiko/__init__.py", "<module>"),
    ("  of which Fabric (paramiko included)", "fabric/__init__.py", "<module>"),
    ("SSH: connect, key exchange, authenticate (sshconnect.open_all)", "k8sm/sshconnect.py", "open_all"),
    ("the container list: engine socket channel + the docker CLI's check", "k8sm/target.py", "containers"),
    ("the daemons' network probes through direct-tcpip channels", "k8sm/probes.py", "ask_all"),
    ("execs where the network left a doubt", "k8sm/daemons/control.py", "check_nodes"),
)


def wall(argv: list[str], hosts: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          env=environment({"K8SM_HOSTS": str(hosts)}))
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"benchmark: `{' '.join(argv[2:])}` failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def median_of(argv: list[str], hosts: Path, runs: int) -> float:
    wall(argv, hosts)  # warm-up: page cache, .pyc files, the engine's own caches
    return statistics.median(wall(argv, hosts) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    args = parser.parse_args()
    api = docker.APIClient(version="auto")
    base = topology.load(topology.default_hosts_file()).images.base
    before = load_averages()
    with tempfile.TemporaryDirectory(prefix="k8sm-bench-") as tmp:
        labs = Labs(api, Path(tmp), base)
        sshd = Sshd(Path(tmp) / "sshd").start()
        built = False
        try:
            if not api.images(name=f"{PREFIX}minion"):
                built = True  # removed at the end, as lab_bench.py does (kept when they were there before)
                build_images(labs)
            hosts, _ = labs.make("k8smbenchr", SEED)
            invoke(hosts, "run")
            invoke(hosts, "up", "--no-build")
            rows = [
                ("invoke status (local)", [sys.executable, "-m", "invoke", "status"]),
                ("k8sm status (local)", [sys.executable, "-m", "k8sm", "status"]),
                ("k8sm -H status (SSH)", [sys.executable, "-m", "k8sm", *sshd.k8sm_args(), "status"]),
            ]
            ssh = ["ssh", "-o", "BatchMode=yes", "-F", str(sshd.ssh_config), "-i", str(sshd.client_key)]
            rows.append(("one SSH session: `true`", [*ssh, "-p", str(sshd.port), "root@127.0.0.1", "true"]))
            times = {name: median_of(argv, hosts, args.runs) for name, argv in rows}
            env = {"K8SM_HOSTS": str(hosts)}
            profile = [*profiled(["-m", "k8sm", "status"], env, Path(tmp) / "local.prof", "`k8sm status`",
                                 REMOTE_PARTS),
                       *profiled(["-m", "k8sm", *sshd.k8sm_args(), "status"], env, Path(tmp) / "remote.prof",
                                 "`k8sm -H status`", REMOTE_PARTS)]
        finally:
            sshd.stop()
            labs.remove_all()
            if built:
                invoke(labs.made[0], "rm", "--images", ok=(0, 1))
    print(f"load averages (1, 5, 15 min): before {before}; after {load_averages()}")
    local = times["k8sm status (local)"]
    print(f"{'command':<24} {'median s':>9} {'vs local':>9}")
    for name, seconds in times.items():
        print(f"{name:<24} {seconds:>9.2f} {seconds / local:>8.2f}x")
    ratio = times["k8sm -H status (SSH)"] / local
    print(f"\nremote/local = {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}")
    print("(`-H` status: SSH connect, one session for the docker CLI's check of the container list, the list\n"
          " itself through a streamlocal channel, the daemons' answers through direct-tcpip channels)")
    print("\nunder cProfile (one run each, main thread; the profiler slows Python code):")
    for label, seconds in profile:
        print(f"  {label:68} {seconds:7.3f}")


def load_averages() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
