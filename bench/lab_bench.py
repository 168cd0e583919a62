#!/usr/bin/env python3
"""Benchmark of the one-command lab. Run by hand; prints a table (machines are noisy:
each figure is the median of --runs, and comparisons are ratios taken in the same run).

    python bench/lab_bench.py [--runs 3]

Needs the lab's images (`invoke build`) and a Docker engine. It works on labs of its
own (own names, subnet and container prefix) and removes them; your lab is not touched,
except that the no-op `up` and `status` rows run against the lab of ./hosts.yaml
(or $K8SM_HOSTS), which must be up (`invoke up`).

Rows:
  run (11 containers) vs a sequential `docker run` loop making the same containers; target <= 0.7
  etcd + ZooKeeper healthy through `invoke up` vs the slowest member's own time to ready,
      started by hand in parallel; target <= 1.5
  no-op `up` on a healthy lab (<= 1.0 s), `status` (<= 0.6 s), `invoke --list` (<= 0.35 s),
      and the peak memory of the CLI
  the original scripts' floor: their `sleep 1` steps alone add >= 40 s to a full bring-up
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from k8sm import topology  # noqa: E402

#: The seed's 11 nodes and their roles.
SEED = {**{f"etcd-{i}": "etcd" for i in range(3)}, **{f"mesos-master-{i}": "mesos-master" for i in range(3)},
        "kubernetes-mesos": "framework", **{f"kubernetes-minion-{i}": "minion" for i in range(4)}}


def free_subnet(api: docker.APIClient) -> str:
    used = [ipaddress.ip_network(c["Subnet"], strict=False) for n in api.networks()
            for c in (n.get("IPAM") or {}).get("Config") or [] if c.get("Subnet") and ":" not in c["Subnet"]]
    for second in range(150, 200):
        candidate = ipaddress.ip_network(f"10.{second}.0.0/16")
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    raise SystemExit("benchmark: no free /16 subnet")


def write_lab(directory: Path, name: str, subnet: str, images: str, nodes: list[str]) -> Path:
    first = ipaddress.ip_network(subnet).network_address + 257
    path = directory / f"{name}.yaml"
    path.write_text(
        f"lab: {{name: {name}, container_prefix: {name}-}}\n"
        f"network: {{name: {name}, subnet: {subnet}, first_ip: {first}}}\n"
        f"images: {{prefix: {images}}}\n"
        "nodes:\n" + "".join(f"  - {{name: {n}, role: {SEED[n]}}}\n" for n in nodes))
    return path


def timed(argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"benchmark: `{' '.join(argv)}` exited {code}: {proc.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss


def invoke(hosts: Path, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    return timed([sys.executable, "-m", "invoke", *args], {"K8SM_HOSTS": str(hosts)}, ok)


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


def probe_ok(api: docker.APIClient, container: str, argv: list[str], healthy: str) -> bool:
    exec_id = api.exec_create(container, argv)
    return healthy in api.exec_start(exec_id).decode(errors="replace")


def members_own_ready(api: docker.APIClient, lab: topology.Lab) -> float:
    """Start etcd and ZooKeeper on every member by hand, all at once; the slowest member's time to healthy."""
    jobs = [(n, "etcd", ["etcdctl", "--endpoints=http://127.0.0.1:2379", "endpoint", "health"], "is healthy")
            for n in lab.role("etcd")]
    jobs += [(n, "zookeeper", ["bash", "-c", 'exec 3<>/dev/tcp/127.0.0.1/2181 && printf srvr >&3 && cat <&3'],
              "Mode: ") for n in lab.role("mesos-master")]
    ready: dict[str, float] = {}

    def one(node, daemon, probe, healthy):
        started = time.perf_counter()
        api.exec_start(api.exec_create(node.container, ["k8sm-daemon", "start", daemon]))
        while not probe_ok(api, node.container, probe, healthy):
            time.sleep(0.05)
        ready[f"{node.name}/{daemon}"] = time.perf_counter() - started

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return max(ready.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per figure (default 3)")
    args = parser.parse_args()
    api = docker.APIClient(version="auto")
    home = topology.load(topology.default_hosts_file())
    missing = [home.images.ref(r) for r in ("etcd", "mesos-master", "framework", "minion")
               if not api.images(name=home.images.ref(r))]
    if missing:
        raise SystemExit(f"benchmark: build the images first (`invoke build`): missing {', '.join(missing)}")
    rows: list[tuple[str, float, float, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="k8sm-bench-") as tmp:
        directory = Path(tmp)
        full = write_lab(directory, "k8smbench", free_subnet(api), home.images.prefix, list(SEED))
        full_lab = topology.load(full)
        k8sm_runs, loop_runs = [], []
        try:
            for _ in range(args.runs):
                k8sm_runs.append(invoke(full, "run")[0])
                invoke(full, "rm", "--volumes")
                loop_runs.append(docker_loop_seconds(full_lab))
        finally:
            invoke(full, "rm", "--volumes", ok=(0, 1))
        a, b = statistics.median(k8sm_runs), statistics.median(loop_runs)
        rows.append(("run: 11 containers vs a sequential docker run loop", a, b, f"{a / b:.2f}x", "<= 0.7x"))

        small = write_lab(directory, "k8smbench2", free_subnet(api), home.images.prefix,
                          ["etcd-0", "etcd-1", "etcd-2", "mesos-master-0", "mesos-master-1", "mesos-master-2"])
        small_lab = topology.load(small)
        ups, owns = [], []
        try:
            for _ in range(args.runs):
                invoke(small, "run")
                ups.append(invoke(small, "up", "--no-build")[0])
                invoke(small, "rm", "--volumes")
                invoke(small, "run")
                owns.append(members_own_ready(api, small_lab))
                invoke(small, "rm", "--volumes")
        finally:
            invoke(small, "rm", "--volumes", ok=(0, 1))
        a, b = statistics.median(ups), statistics.median(owns)
        rows.append(("etcd + ZooKeeper healthy: `up` vs slowest member's own", a, b, f"{a / b:.2f}x", "<= 1.5x"))

    home_hosts = topology.default_hosts_file()
    for label, argv, target in (("no-op `up` on a healthy lab", ["up"], 1.0),
                                ("`status`", ["status"], 0.6), ("`invoke --list`", ["--list"], 0.35)):
        samples = [invoke(home_hosts, *argv, ok=tuple(range(16))) for _ in range(max(5, args.runs))]
        seconds = statistics.median(s for s, _ in samples)
        rows.append((label, seconds, target, "met" if seconds <= target else "NOT met", f"<= {target} s"))
        if argv == ["status"]:
            peak = max(kib for _, kib in samples) / 1024
    rows.append(("original scripts: their `sleep 1` steps alone", 40.0, float("nan"), "floor", ">= 40 s"))

    print(f"{'measure':58} {'k8sm s':>8} {'vs s':>8} {'result':>8}  target")
    for label, value, other, result, target in rows:
        other_text = "" if other != other else f"{other:8.2f}"  # NaN: no comparison
        print(f"{label:58} {value:8.2f} {other_text:>8} {result:>8}  {target}")
    print(f"peak memory of the CLI (`status`): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
