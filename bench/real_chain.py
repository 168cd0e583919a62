#!/usr/bin/env python3
"""Benchmark of the REAL chain (Apache Mesos + km). Run by hand; prints a table.

    python bench/real_chain.py

Needs dists built from upstream source under the checkout's image prefix
(k8sm/mesos-dist:VERSION, k8sm/kubernetes-dist:REF, see DEVELOPERS.md); exits with
the reason otherwise. Works on a lab of its own (own name, subnet, container and
image prefixes; the dists are tagged under its prefix) and removes it afterwards.

Rows:
  `invoke up` with the images present, from no container to every layer healthy:
      3 masters (one leading), 4 agents registered, km's framework registered
  the leading Mesos master killed -> another leads (`invoke drill --only mesos-master`)
  `invoke up` -> the seed's nginx pod Running (`kubectl create -f /opt/nginx.yaml`),
      beside the original's >= 40 s of `sleep` before its first kubectl command
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from bench.lab_bench import free_subnet  # noqa: E402
from k8sm import topology  # noqa: E402
from k8sm.dists import DIST_ORIGIN_LABEL  # noqa: E402

SEED = {**{f"etcd-{i}": "etcd" for i in range(3)}, **{f"mesos-master-{i}": "mesos-master" for i in range(3)},
        "kubernetes-mesos": "framework", **{f"kubernetes-minion-{i}": "minion" for i in range(4)}}


def upstream_dists(api: docker.APIClient, checkout: topology.Lab) -> list[str]:
    refs = [f"{checkout.images.prefix}mesos-dist:{checkout.mesos.version}",
            f"{checkout.images.prefix}kubernetes-dist:{checkout.kubernetes.ref}"]
    for ref in refs:
        try:
            labels = api.inspect_image(ref)["Config"]["Labels"] or {}
        except docker.errors.ImageNotFound:
            raise SystemExit(f"benchmark: no {ref} on this engine (DEVELOPERS.md says how to build it)") from None
        if labels.get(DIST_ORIGIN_LABEL) != "upstream":
            raise SystemExit(f"benchmark: {ref} is not built from upstream source")
    return refs


def invoke(hosts: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, text=True, capture_output=True,
                            env={**os.environ, "K8SM_HOSTS": str(hosts)})
    if check and result.returncode != 0:
        raise SystemExit(f"benchmark: invoke {' '.join(args)} exited {result.returncode}:\n{result.stdout[-1500:]}"
                         f"{result.stderr[-500:]}")
    return result


def pod_phase(hosts: Path) -> str:
    got = invoke(hosts, "kubectl", "--", "get", "pod", "nginx", "-o", "json", check=False)
    return json.loads(got.stdout).get("status", {}).get("phase", "") if got.returncode == 0 else ""


def main() -> None:
    api = docker.APIClient(version="auto")
    checkout = topology.load(ROOT / "hosts.yaml")
    dists = upstream_dists(api, checkout)
    name = f"k8smbench{secrets.token_hex(2)}"
    prefix = f"{name}/"
    for ref in dists:
        repository, _, tag = (prefix + ref[len(checkout.images.prefix):]).rpartition(":")
        api.tag(ref, repository, tag)
    subnet = free_subnet(api)
    first = ipaddress.ip_network(subnet).network_address + 257
    with tempfile.TemporaryDirectory() as directory:
        hosts = Path(directory) / "hosts.yaml"
        hosts.write_text(
            f"lab: {{name: {name}, container_prefix: {name}-}}\n"
            f"network: {{name: {name}, subnet: {subnet}, first_ip: {first}}}\n"
            f"images: {{base: {checkout.images.base}, prefix: {prefix}}}\n"
            f"kubernetes: {{ref: {checkout.kubernetes.ref}, "
            f"run_proxy: {str(checkout.kubernetes.run_proxy).lower()}}}\n"
            "nodes:\n" + "".join(f"  - {{name: {n}, role: {r}}}\n" for n, r in SEED.items()))
        try:
            print("building the images (not timed) ...", flush=True)
            invoke(hosts, "build")
            print("invoke up (timed) ...", flush=True)
            started = time.monotonic()
            invoke(hosts, "up")
            up_seconds = time.monotonic() - started
            status = json.loads(invoke(hosts, "status", "--json").stdout)
            invoke(hosts, "kubectl", "--", "create", "-f", "/opt/nginx.yaml")
            while pod_phase(hosts) != "Running":
                if time.monotonic() - started > 900:
                    raise SystemExit("benchmark: the nginx pod did not run within 15 minutes")
                time.sleep(0.5)
            pod_seconds = time.monotonic() - started
            invoke(hosts, "kubectl", "--", "delete", "pod", "nginx")
            drill = invoke(hosts, "drill", "--only", "mesos-master").stdout
            failover = re.search(r"leads ([0-9.]+) s after", drill)
        finally:
            invoke(hosts, "down", "--volumes", "--images", check=False)
            for ref in dists:
                try:
                    api.remove_image(prefix + ref[len(checkout.images.prefix):])
                except docker.errors.APIError:
                    pass
    agents = sum(1 for n in status["nodes"] for d in n["daemons"] if d["name"] == "mesos-slave" and d["state"] == "healthy")
    rows = [
        ("`invoke up`, images present -> every layer healthy "
         f"({agents} agents registered, framework registered)", f"{up_seconds:.1f} s"),
        ("leading Mesos master killed -> another leads", f"{failover.group(1)} s" if failover else "drill failed"),
        ("`invoke up` -> the nginx pod Running", f"{pod_seconds:.1f} s"),
        ("the original: its `sleep` steps alone, before its first kubectl", ">= 40 s"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure'.ljust(width)}  seconds")
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
