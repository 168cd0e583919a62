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

What bounds a figure is measured in the same run: the engine's CPU seconds while `run`, the loop,
`up`, `status` and `--list` run (its processes' counters in /proc, so this must run on the
engine's machine), each CLI process's own CPU seconds, the floors (`python -c pass`, a bare
Invoke), and one cProfile run each of no-op `up` and `status` split into their parts. The load
averages before and after are printed: other users of the machine and of the engine count too.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Timing:
    """One process: wall seconds, peak RSS (KiB), its own CPU seconds and the engine's meanwhile."""

    seconds: float
    peak_kib: int
    own_cpu: float
    engine_cpu: float


def timed(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,),
          cwd: Path = ROOT) -> Timing:
    """Run argv to its end and time it."""
    cpu, started = engine_cpu(), time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=environment(env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    cpu = engine_cpu() - cpu
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"benchmark: `{' '.join(argv)}` exited {code}: {proc.stderr.read().decode()[-500:]}")
    return Timing(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, cpu)


def invoke(hosts: Path, *args: str, ok: tuple[int, ...] = (0,)) -> Timing:
    return timed([sys.executable, "-m", "invoke", *args], {"K8SM_HOSTS": str(hosts)}, ok)


def median(fn: Callable[[], float], runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


#: The engine's processes by their /proc comm (cut to 15 characters: containerd-shim-runc-v2 is
#: "containerd-shim"). runc, and the processes of execs, are their children: counted once reaped.
ENGINE_PROCESSES = ("dockerd", "containerd", "containerd-shim", "docker-proxy")


def engine_cpu() -> float:
    """CPU seconds the engine's processes have used so far, with the children they reaped (runc, the
    processes of execs): what a container start or an exec costs the engine, whoever asks.

    Only this PID namespace's engine (a minion's own dockerd is not it). Differences of two readings
    are exact only while no shim exits in between (a shim that exits takes its count with it), so
    they are taken around `run`, `up`, `status` and the docker run loop, never around `rm`. Other
    users of the same engine meanwhile count too: that is why the load is printed.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    ours = os.readlink("/proc/self/ns/pid")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != ours:  # an engine inside a minion is not this one
                continue
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.index("(") + 1: stat.rindex(")")] in ENGINE_PROCESSES:
            total += sum(int(x) for x in stat[stat.rindex(")") + 2:].split()[11:15])
    return total / ticks


def docker_loop_seconds(lab: topology.Lab) -> float:
    """A plain sequential `docker run` loop creating the same containers (network, IPs, hostnames)."""
    return docker_loop(lab)[0]


def docker_loop(lab: topology.Lab) -> tuple[float, float]:
    """docker_loop_seconds, and the engine's CPU seconds during the loop."""
    lines = [shlex.join(["docker", "network", "create", "--subnet", lab.network.subnet, lab.network.name])
             + " >/dev/null"]
    for n in lab.nodes:
        lines.append(shlex.join(["docker", "run", "-d", "--name", n.container, "--hostname", n.name,
                                 "--network", lab.network.name, "--ip", n.ip, lab.images.ref(n.image_name),
                                 "sleep", "infinity"]) + " >/dev/null")
    cpu, started = engine_cpu(), time.perf_counter()
    subprocess.run(["bash", "-ec", "\n".join(lines)], check=True)
    elapsed, cpu = time.perf_counter() - started, engine_cpu() - cpu
    subprocess.run(["bash", "-c", shlex.join(["docker", "rm", "-f", *[n.container for n in lab.nodes]]) + " >/dev/null; "
                    + shlex.join(["docker", "network", "rm", lab.network.name]) + " >/dev/null"], check=False)
    return elapsed, cpu


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

    def remove(self, name: str) -> None:
        """Remove one lab now (remove_all removes it again at the end, which is a no-op then)."""
        invoke(self.directory / f"{name}.yaml", "rm", "--volumes", ok=(0, 1))


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
    scale: list[Scale] = []
    profile: list[tuple[str, float]] = []
    skipped: list[str] = []
    before = load_averages()
    with tempfile.TemporaryDirectory(prefix="k8sm-bench-") as tmp:
        labs = Labs(api, Path(tmp), base)
        try:
            build_images(labs)
            rows += run_rows(labs, args.runs)
            rows += bring_up_rows(api, labs, args.runs)
            rows += running_lab_rows(labs, args.runs, profile)
            for size in sizes:
                try:
                    scale.append(scale_row(labs, size))
                except SystemExit as exc:  # what the machine cannot hold: said, and the next size is tried
                    skipped.append(f"{size} nodes skipped: {exc}")
                    print(skipped[-1], flush=True)
                    labs.remove(f"k8smbenchs{size}")
        finally:
            labs.remove_all()
            if not args.keep_images:
                invoke(labs.made[0], "rm", "--images", ok=(0, 1))
    print_tables(rows, scale, profile, (before, load_averages()))
    for line in skipped:
        print(line)


def load_averages() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_rows(labs: Labs, runs: int) -> list[tuple[str, float, float, str, str]]:
    hosts, lab = labs.make("k8smbench", SEED)
    mine, loop, mine_cpu, loop_cpu = [], [], [], []
    for _ in range(runs):
        timing = invoke(hosts, "run")
        mine.append(timing.seconds)
        mine_cpu.append(timing.engine_cpu)
        invoke(hosts, "rm", "--volumes")
        seconds, cpu = docker_loop(lab)
        loop.append(seconds)
        loop_cpu.append(cpu)
    a, b = statistics.median(mine), statistics.median(loop)
    return [("run: 11 containers vs a sequential docker run loop", a, b, f"{a / b:.2f}x", "<= 0.6x"),
            ("  the engine's CPU seconds meanwhile (run vs loop)", statistics.median(mine_cpu),
             statistics.median(loop_cpu), f"{statistics.median(mine_cpu) / statistics.median(loop_cpu):.2f}x", "")]


def bring_up_rows(api: docker.APIClient, labs: Labs, runs: int) -> list[tuple[str, float, float, str, str]]:
    hosts, lab = labs.make("k8smbench2", {n: r for n, r in SEED.items() if r in ("etcd", "mesos-master")})
    ups, owns = [], []
    for _ in range(runs):
        invoke(hosts, "run")
        ups.append(invoke(hosts, "up", "--no-build").seconds)
        invoke(hosts, "rm", "--volumes")
        invoke(hosts, "run")
        owns.append(members_own_ready(api, lab))
        invoke(hosts, "rm", "--volumes")
    a, b = statistics.median(ups), statistics.median(owns)
    return [("etcd + ZooKeeper healthy: `up` vs slowest member's own", a, b, f"{a / b:.2f}x", "<= 1.3x")]


def running_lab_rows(labs: Labs, runs: int, profile: list[tuple[str, float]]
                     ) -> list[tuple[str, float, float, str, str]]:
    hosts, _ = labs.make("k8smbench3", SEED)
    invoke(hosts, "run")
    invoke(hosts, "up", "--no-build")
    rows = []
    for label, argv, target in (("no-op `up` on a healthy 11-node lab", ["up"], 0.5),
                                ("`status` of a healthy 11-node lab", ["status"], 0.35),
                                ("`invoke --list`", ["--list"], 0.35)):
        invoke(hosts, *argv)  # warm-up: bytecode cache, page cache, the engine's own caches
        samples = [invoke(hosts, *argv) for _ in range(max(5, runs))]
        seconds = statistics.median(s.seconds for s in samples)
        rows.append((label, seconds, float("nan"), "met" if seconds <= target else "NOT met", f"<= {target} s"))
        rows.append(("  its own CPU s, and the engine's (exec, requests)", statistics.median(s.own_cpu for s in samples),
                     statistics.median(s.engine_cpu for s in samples), "", ""))
        if argv == ["status"]:
            peak = max(s.peak_kib for s in samples) / 1024
            rows.append(("peak memory of the CLI (`status`), MiB", peak, float("nan"), "", ""))
    seconds = statistics.median(timed([sys.executable, "-c", "pass"]).seconds for _ in range(max(5, runs)))
    rows.append(("floor: `python -c pass` (interpreter start-up)", seconds, float("nan"), "", ""))
    # k8sm's --list and a bare Invoke's, taken in turns so that a change of load hits both alike
    bare = bare_tasks(labs.directory)
    pairs = [(invoke(hosts, "--list").seconds, timed([sys.executable, "-m", "invoke", "--list"], cwd=bare).seconds)
             for _ in range(max(7, runs))]
    listed, floor = statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)
    rows.append(("floor: `invoke --list` of a one-task tasks.py", floor, float("nan"), "", ""))
    rows.append(("`invoke --list` vs a bare Invoke's (taken in turns)", listed, floor, f"{listed / floor:.2f}x",
                 "<= 1.07x (kept)"))
    for command in PROFILE_PARTS:
        profile += command_profile(hosts, labs.directory, command)
    invoke(hosts, "rm", "--volumes")
    return rows


#: Where a command spends its time: (label, file name ending, function name); the cumulative seconds of each.
IMPORTS = (
    ("importing modules (all of them, Invoke and k8sm included)", "", "_find_and_load"),
    ("  of which k8sm.tasks (the task modules)", "k8sm/tasks/__init__.py", "<module>"),
)
PROFILE_PARTS = {
    "status": (
        *IMPORTS,
        ("the status task (collect, print)", "k8sm/tasks/lab.py", "status"),
        ("  reading hosts.yaml (topology.load)", "k8sm/topology.py", "load"),
        ("  listing the lab's containers (one engine request)", "k8sm/lab.py", "list_containers"),
        ("  the daemons' network probes (all at once)", "k8sm/probes.py", "ask_all"),
        ("  execs where the network left a doubt", "k8sm/daemons/control.py", "check_nodes"),
    ),
    "up": (
        *IMPORTS,
        ("  of which the Docker SDK (docker, requests, urllib3)", "docker/__init__.py", "<module>"),
        ("the up task", "k8sm/tasks/lab.py", "up"),
        ("  images: each one's inputs against the engine's (ensure_images)", "k8sm/up.py", "ensure_images"),
        ("  containers: all there and running (lab.run)", "k8sm/lab.py", "run"),
        ("  daemons: states over the network (bring_up)", "k8sm/up.py", "bring_up"),
        ("  workload images in each minion (one exec per minion)", "k8sm/workloads.py", "load"),
    ),
}


def command_profile(hosts: Path, directory: Path, command: str) -> list[tuple[str, float]]:
    """`invoke COMMAND` once under cProfile: its total and the cumulative seconds of PROFILE_PARTS[command]."""
    return profiled(["-m", "invoke", command], {"K8SM_HOSTS": str(hosts)}, directory / f"{command}.prof",
                    f"`{command}`", PROFILE_PARTS[command])


Parts = Sequence[tuple[str, str, str]]


def profiled(args: list[str], env: dict[str, str], out: Path, title: str, parts: Parts) -> list[tuple[str, float]]:
    """`python -m cProfile ARGS` once: its total (after the interpreter's start) and the cumulative
    seconds of each part, (label, file name ending, function name), summed over its matches."""
    import pstats

    timed([sys.executable, "-m", "cProfile", "-o", str(out), *args], env)
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in stats.values())
    found = [(f"{title}: the whole process after the interpreter's start", total)]
    for label, file_end, function in parts:
        seconds = sum(ct for (file, _, name), (_, _, _, ct, _) in stats.items()
                      if name == function and file.endswith(file_end))
        found.append((label, seconds))
    return found


def bare_tasks(directory: Path) -> Path:
    """A directory whose tasks.py holds one task: what Invoke costs on its own."""
    bare = directory / "bare"
    bare.mkdir(exist_ok=True)
    (bare / "tasks.py").write_text("from invoke import task\n\n\n@task\ndef hello(c):\n    pass\n")
    return bare


@dataclass(frozen=True)
class Scale:
    """One lab size: wall seconds of `run`, `up` and `status` (median of 5), and of the docker run loop making
    the same containers; the engine's CPU seconds during `run` and during the loop; status's own CPU
    seconds (median of the same 5: what status itself does per node, whatever the machine's load)."""

    nodes: int
    run: float
    up: float
    status: float
    loop: float
    run_engine: float
    loop_engine: float
    status_cpu: float


def scale_row(labs: Labs, size: int) -> Scale:
    """A fresh lab of `size` nodes: the loop (the engine's own cost of the same containers), then run, up, status."""
    hosts, lab = labs.make(f"k8smbenchs{size}", nodes_for(size))
    print(f"scaling: {size} nodes ...", flush=True)
    loop, loop_engine = docker_loop(lab)
    run = invoke(hosts, "run")
    up = invoke(hosts, "up", "--no-build").seconds
    invoke(hosts, "status")  # warm-up, as for the other status rows
    samples = [invoke(hosts, "status") for _ in range(5)]
    invoke(hosts, "rm", "--volumes")
    return Scale(size, run.seconds, up, statistics.median(s.seconds for s in samples), loop, run.engine_cpu,
                 loop_engine, statistics.median(s.own_cpu for s in samples))


def print_tables(rows: list[tuple[str, float, float, str, str]], scale: list[Scale],
                 profile: list[tuple[str, float]], loads: tuple[str, str]) -> None:
    print(f"\nload averages (1, 5, 15 min): before {loads[0]}; after {loads[1]}")
    print(f"\n{'measure':58} {'k8sm s':>8} {'vs s':>8} {'result':>8}  target")
    for label, value, other, result, target in rows:
        other_text = "" if other != other else f"{other:8.2f}"  # NaN: no comparison
        print(f"{label:58} {value:8.2f} {other_text:>8} {result:>8}  {target}")
    if profile:
        print("\nno-op `up` and `status` of the healthy 11-node lab under cProfile (one run each, main thread;"
              " the profiler slows Python code):")
        for label, seconds in profile:
            print(f"  {label:56} {seconds:8.3f}")
    if not scale:
        return
    print(f"\n{'nodes':>5} {'run s':>7} {'up s':>7} {'status s':>9} {'its CPU s':>9} {'loop s':>7} "
          f"{'engine CPU s: run':>18} {'loop':>6}")
    for r in scale:
        print(f"{r.nodes:>5} {r.run:7.2f} {r.up:7.2f} {r.status:9.3f} {r.status_cpu:9.3f} {r.loop:7.2f} "
              f"{r.run_engine:18.2f} {r.loop_engine:6.2f}")
    for r in scale:
        print(f"{r.nodes} nodes, per node: run {1000 * r.run / r.nodes:.0f} ms, up {1000 * r.up / r.nodes:.0f} ms, "
              f"status {1000 * r.status / r.nodes:.1f} ms, docker run loop {1000 * r.loop / r.nodes:.0f} ms")
    for a, b in ((scale[0], later) for later in scale[1:]):
        per = b.nodes - a.nodes

        def ms(x: float, y: float) -> float:
            return 1000 * (y - x) / per  # noqa: B023 - used at once, in this iteration

        run_ms, loop_ms, status_ms = ms(a.run, b.run), ms(a.loop, b.loop), ms(a.status, b.status)
        print(f"per extra node ({a.nodes} -> {b.nodes}): run {run_ms:.0f} ms "
              f"(target <= the loop's {loop_ms:.0f} ms: {'met' if run_ms <= loop_ms else 'NOT met'}), "
              f"up {ms(a.up, b.up):.0f} ms, status {status_ms:.1f} ms (target <= 5: {'met' if status_ms <= 5 else 'NOT met'}; "
              f"its own CPU {ms(a.status_cpu, b.status_cpu):.1f} ms); "
              f"engine CPU: run {ms(a.run_engine, b.run_engine):.0f} ms, loop {ms(a.loop_engine, b.loop_engine):.0f} ms")


if __name__ == "__main__":
    main()
