#!/usr/bin/env python3
"""Benchmark of the one-command lab. Run by hand; prints two tables (machines are noisy:
each figure is the median of --runs, and comparisons are ratios taken in the same run).

    python bench/lab_bench.py [--runs 3] [--sizes 11,21,41]

Needs the base image (`invoke build.base`) and a Docker engine. Everything runs on labs
of its own (own names, subnets, container prefix and image prefix `k8smbench/`, built
from this checkout without Mesos or km, so `up` means etcd + ZooKeeper + the minions'
Docker engines) and is removed at the end; no other lab is touched.

Rows:
  run (11 containers) vs a sequential `docker run` loop making the same containers; target <= 0.6x
  etcd + ZooKeeper healthy through `invoke up` vs the slowest member's own time to ready
      (every member started by hand at once, readiness asked over the network); target <= 1.3x
  on a running 11-node lab: no-op `up` (<= 0.5 s), `status` (<= 0.35 s), `invoke --list`
      (<= 0.35 s), and the peak memory of the CLI
  how cost grows: `run`, `up` and `status` for labs of each --sizes, with seconds per extra node
      beside the engine's own cost (the docker run loop); target: status <= 5 ms per extra node,
      run <= the loop's per-container cost
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from k8sm import daemons, probes, topology  # noqa: E402

#: The seed's 11 nodes and their roles.
SEED = {**{f"etcd-{i}": "etcd" for i in range(3)}, **{f"mesos-master-{i}": "mesos-master" for i in range(3)},
        "kubernetes-mesos": "framework", **{f"kubernetes-minion-{i}": "minion" for i in range(4)}}
#: The benchmark's own images: built from this checkout, without Mesos or km.
PREFIX = "k8smbench/"


def nodes_for(size: int) -> dict[str, str]:
    """The seed's nodes, plus minions up to `size` nodes."""
    extra = {f"kubernetes-minion-{i}": "minion" for i in range(4, 4 + max(0, size - len(SEED)))}
    return {**SEED, **extra}


def free_subnet(api: docker.APIClient) -> str:
    used = [ipaddress.ip_network(c["Subnet"], strict=False) for n in api.networks()
            for c in (n.get("IPAM") or {}).get("Config") or [] if c.get("Subnet") and ":" not in c["Subnet"]]
    for second in range(150, 200):
        candidate = ipaddress.ip_network(f"10.{second}.0.0/16")
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    raise SystemExit("benchmark: no free /16 subnet")


def write_lab(directory: Path, name: str, subnet: str, nodes: dict[str, str], base: str) -> Path:
    first = ipaddress.ip_network(subnet).network_address + 257
    path = directory / f"{name}.yaml"
    path.write_text(
        f"lab: {{name: {name}, container_prefix: {name}-}}\n"
        f"network: {{name: {name}, subnet: {subnet}, first_ip: {first}}}\n"
        f"images: {{base: {base}, prefix: {PREFIX}}}\n"
        "nodes:\n" + "".join(f"  - {{name: {n}, role: {role}}}\n" for n, role in nodes.items()))
    return path


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with Python's bytecode cache on, as an installed k8sm runs (some shells
    set PYTHONDONTWRITEBYTECODE, which makes every run compile k8sm again: ~0.1 s)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def timed(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,),
          cwd: Path = ROOT) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=environment(env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"benchmark: `{' '.join(argv)}` exited {code}: {proc.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss


def invoke(hosts: Path, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    return timed([sys.executable, "-m", "invoke", *args], {"K8SM_HOSTS": str(hosts)}, ok)


def median(fn: Callable[[], float], runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def docker_loop_seconds(lab: topology.Lab) -> float:
    """A plain sequential `docker run` loop creating the same containers (network, IPs, hostnames)."""
    lines = [shlex.join(["docker", "network", "create", "--subnet", lab.network.subnet, lab.network.name])
             + " >/dev/null"]
    for n in lab.nodes:
        lines.append(shlex.join(["docker", "run", "-d", "--name", n.container, "--hostname", n.name,
                                 "--network", lab.network.name, "--ip", n.ip, lab.images.ref(n.image_name),
                                 "sleep", "infinity"]) + " >/dev/null")
    started = time.perf_counter()
    subprocess.run(["bash", "-ec", "\n".join(lines)], check=True)
    elapsed = time.perf_counter() - started
    subprocess.run(["bash", "-c", shlex.join(["docker", "rm", "-f", *[n.container for n in lab.nodes]]) + " >/dev/null; "
                    + shlex.join(["docker", "network", "rm", lab.network.name]) + " >/dev/null"], check=False)
    return elapsed


def members_own_ready(api: docker.APIClient, lab: topology.Lab) -> float:
    """Start etcd and ZooKeeper on every member by hand, all at once; the slowest member's time to healthy.

    Readiness is asked over the network every 20 ms (no exec: nothing takes CPU from the members).
    """
    def opener(ip: str, port: int, timeout: float):
        import socket

        return socket.create_connection((ip, port), timeout=timeout)

    jobs = [(n, d) for d in (daemons.by_name("etcd"), daemons.by_name("zookeeper")) for n in lab.role(d.role)]
    ready: dict[str, float] = {}

    def one(node: topology.Node, daemon) -> None:
        started = time.perf_counter()
        exec_id = api.exec_create(node.container, ["k8sm-daemon", "start", daemon.name])
        threading.Thread(target=api.exec_start, args=(exec_id,), daemon=True).start()
        probe = daemon.net_probe(lab, node)
        while time.perf_counter() - started < 120:
            if daemon.parse_probe(probe.combine(probes.ask_all(opener, probe.asks, 0.5))).healthy:
                ready[f"{node.name}/{daemon.name}"] = time.perf_counter() - started
                return
            time.sleep(0.02)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(130)
    if len(ready) != len(jobs):
        raise SystemExit(f"benchmark: not every member became healthy by hand ({sorted(ready)})")
    return max(ready.values())


class Labs:
    """The benchmark's labs: each in a subnet of its own, removed with its volumes at the end."""

    def __init__(self, api: docker.APIClient, directory: Path, base: str) -> None:
        self.api, self.directory, self.base = api, directory, base
        self.made: list[Path] = []

    def make(self, name: str, nodes: dict[str, str]) -> tuple[Path, topology.Lab]:
        hosts = write_lab(self.directory, name, free_subnet(self.api), nodes, self.base)
        self.made.append(hosts)
        return hosts, topology.load(hosts)

    def remove_all(self) -> None:
        for hosts in self.made:
            invoke(hosts, "rm", "--volumes", ok=(0, 1))


def build_images(labs: Labs) -> None:
    """The benchmark's images (not timed): those of a lab with every role, under PREFIX."""
    hosts, _ = labs.make("k8smbenchimg", SEED)
    print("building the benchmark's images (not timed) ...", flush=True)
    invoke(hosts, "build")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per figure (default 3)")
    parser.add_argument("--sizes", default="11,21,41", help="lab sizes for the scaling table (default 11,21,41)")
    parser.add_argument("--keep-images", action="store_true", help="keep the k8smbench/ images afterwards")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    api = docker.APIClient(version="auto")
    base = topology.load(topology.default_hosts_file()).images.base
    rows: list[tuple[str, float, float, str, str]] = []
    scale: list[tuple[int, float, float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="k8sm-bench-") as tmp:
        labs = Labs(api, Path(tmp), base)
        try:
            build_images(labs)
            rows += run_rows(labs, args.runs)
            rows += bring_up_rows(api, labs, args.runs)
            rows += running_lab_rows(labs, args.runs)
            for size in sizes:
                scale.append(scale_row(labs, size))
        finally:
            labs.remove_all()
            if not args.keep_images:
                invoke(labs.made[0], "rm", "--images", ok=(0, 1))
    print_tables(rows, scale)


def run_rows(labs: Labs, runs: int) -> list[tuple[str, float, float, str, str]]:
    hosts, lab = labs.make("k8smbench", SEED)
    mine, loop = [], []
    for _ in range(runs):
        mine.append(invoke(hosts, "run")[0])
        invoke(hosts, "rm", "--volumes")
        loop.append(docker_loop_seconds(lab))
    a, b = statistics.median(mine), statistics.median(loop)
    return [("run: 11 containers vs a sequential docker run loop", a, b, f"{a / b:.2f}x", "<= 0.6x")]


def bring_up_rows(api: docker.APIClient, labs: Labs, runs: int) -> list[tuple[str, float, float, str, str]]:
    hosts, lab = labs.make("k8smbench2", {n: r for n, r in SEED.items() if r in ("etcd", "mesos-master")})
    ups, owns = [], []
    for _ in range(runs):
        invoke(hosts, "run")
        ups.append(invoke(hosts, "up", "--no-build")[0])
        invoke(hosts, "rm", "--volumes")
        invoke(hosts, "run")
        owns.append(members_own_ready(api, lab))
        invoke(hosts, "rm", "--volumes")
    a, b = statistics.median(ups), statistics.median(owns)
    return [("etcd + ZooKeeper healthy: `up` vs slowest member's own", a, b, f"{a / b:.2f}x", "<= 1.3x")]


def running_lab_rows(labs: Labs, runs: int) -> list[tuple[str, float, float, str, str]]:
    hosts, _ = labs.make("k8smbench3", SEED)
    invoke(hosts, "run")
    invoke(hosts, "up", "--no-build")
    rows = []
    for label, argv, target in (("no-op `up` on a healthy 11-node lab", ["up"], 0.5),
                                ("`status` of a healthy 11-node lab", ["status"], 0.35),
                                ("`invoke --list`", ["--list"], 0.35)):
        invoke(hosts, *argv)  # warm-up: bytecode cache, page cache, the engine's own caches
        samples = [invoke(hosts, *argv) for _ in range(max(5, runs))]
        seconds = statistics.median(s for s, _ in samples)
        rows.append((label, seconds, float("nan"), "met" if seconds <= target else "NOT met", f"<= {target} s"))
        if argv == ["status"]:
            peak = max(kib for _, kib in samples) / 1024
            rows.append(("peak memory of the CLI (`status`), MiB", peak, float("nan"), "", ""))
    for label, argv, cwd in (("floor: `python -c pass` (interpreter start-up)", [sys.executable, "-c", "pass"], ROOT),
                             ("floor: `invoke --list` of a one-task tasks.py", [sys.executable, "-m", "invoke", "--list"],
                              bare_tasks(labs.directory))):
        seconds = statistics.median(timed(argv, cwd=cwd)[0] for _ in range(max(5, runs)))
        rows.append((label, seconds, float("nan"), "", ""))
    invoke(hosts, "rm", "--volumes")
    return rows


def bare_tasks(directory: Path) -> Path:
    """A directory whose tasks.py holds one task: what Invoke costs on its own."""
    bare = directory / "bare"
    bare.mkdir(exist_ok=True)
    (bare / "tasks.py").write_text("from invoke import task\n\n\n@task\ndef hello(c):\n    pass\n")
    return bare


def scale_row(labs: Labs, size: int) -> tuple[int, float, float, float, float]:
    """(nodes, run s, up s, status s, docker run loop s) for a fresh lab of `size` nodes."""
    hosts, lab = labs.make(f"k8smbenchs{size}", nodes_for(size))
    print(f"scaling: {size} nodes ...", flush=True)
    loop = docker_loop_seconds(lab)
    run = invoke(hosts, "run")[0]
    up = invoke(hosts, "up", "--no-build")[0]
    status = statistics.median(invoke(hosts, "status")[0] for _ in range(5))
    invoke(hosts, "rm", "--volumes")
    return size, run, up, status, loop


def print_tables(rows: list[tuple[str, float, float, str, str]], scale: list[tuple[int, float, float, float, float]]
                 ) -> None:
    print(f"\n{'measure':58} {'k8sm s':>8} {'vs s':>8} {'result':>8}  target")
    for label, value, other, result, target in rows:
        other_text = "" if other != other else f"{other:8.2f}"  # NaN: no comparison
        print(f"{label:58} {value:8.2f} {other_text:>8} {result:>8}  {target}")
    if not scale:
        return
    print(f"\n{'nodes':>5} {'run s':>7} {'up s':>7} {'status s':>9} {'loop s':>7}")
    for size, run, up, status, loop in scale:
        print(f"{size:>5} {run:7.2f} {up:7.2f} {status:9.3f} {loop:7.2f}")
    if len(scale) > 1:
        (n0, run0, up0, st0, loop0), (n1, run1, up1, st1, loop1) = scale[0], scale[-1]
        per = n1 - n0
        print(f"per extra node ({n0} -> {n1}): run {1000 * (run1 - run0) / per:.0f} ms, up {1000 * (up1 - up0) / per:.0f} ms, "
              f"status {1000 * (st1 - st0) / per:.1f} ms (target <= 5), docker run loop {1000 * (loop1 - loop0) / per:.0f} ms")


if __name__ == "__main__":
    main()
