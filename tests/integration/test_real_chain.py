"""The REAL chain, opt-in: Apache Mesos and km built from upstream source, end to end.

Runs only where the engine holds upstream dists under the checkout's image prefix
(`k8sm/mesos-dist:VERSION`, `k8sm/kubernetes-dist:REF`, labelled
io.k8sm.dist-origin=upstream by build.mesos / build.k8s); skipped otherwise, with
the reason. CI has none: there the stand-in contract tests (test_mesos_k8sm.py) run.
DEVELOPERS.md says how to build the dists from the public source.

What it shows: 3 real masters elect one leader through ZooKeeper, 4 real agents
register with the Docker and Mesos containerizers, a command task and a Docker task
finish, the leading master fails over, an agent re-registers after a restart, km's
scheduler registers as a framework, and the seed's nginx pod runs on a minion's
engine and answers HTTP from the framework node; `kubectl delete` ends its Mesos task.
"""

from __future__ import annotations

import json
import time

import docker.errors
import pytest

from k8sm import topology
from k8sm.dists import DIST_ORIGIN_LABEL
from tests.cli import ROOT
from tests.integration.conftest import SEED_NODES, image_prefix, succeeded, wait_for

pytestmark = pytest.mark.real

CHECKOUT = topology.load(ROOT / "hosts.yaml")
SOURCE_PREFIX = CHECKOUT.images.prefix
MESOS_DIST = f"mesos-dist:{CHECKOUT.mesos.version}"
KUBERNETES_DIST = f"kubernetes-dist:{CHECKOUT.kubernetes.ref}"
PREFIX = image_prefix("real")


def upstream(engine, ref: str) -> str:
    """Why ref is not an upstream dist on this engine, or "" when it is."""
    try:
        labels = engine.inspect_image(ref)["Config"]["Labels"] or {}
    except docker.errors.ImageNotFound:
        return f"no {ref} on this engine"
    if labels.get(DIST_ORIGIN_LABEL) != "upstream":
        return f"{ref} is not built from upstream source (label {DIST_ORIGIN_LABEL}={labels.get(DIST_ORIGIN_LABEL)})"
    return ""


@pytest.fixture(scope="module")
def real_lab(make_lab, engine, base_image):
    reasons = [r for r in (upstream(engine, SOURCE_PREFIX + MESOS_DIST), upstream(engine, SOURCE_PREFIX + KUBERNETES_DIST))
               if r]
    if reasons:
        pytest.skip("real-chain tests need real Mesos and km dists: " + "; ".join(reasons) +
                    " (build them as DEVELOPERS.md says; CI runs the stand-in tests instead)")
    # the dists under this session's prefix: the test lab never removes the checkout's own images
    for name in (MESOS_DIST, KUBERNETES_DIST):
        repository, _, tag = (PREFIX + name).rpartition(":")
        engine.tag(SOURCE_PREFIX + name, repository, tag)
    lab = make_lab(SEED_NODES, images=f"{{base: {base_image}, prefix: {PREFIX}}}",
                   kubernetes=f"{{ref: {CHECKOUT.kubernetes.ref}, run_proxy: {str(CHECKOUT.kubernetes.run_proxy).lower()}}}")
    started = time.monotonic()
    lab.up_run = succeeded(lab.invoke("up", timeout=3600))
    lab.up_seconds = time.monotonic() - started
    yield lab
    succeeded(lab.invoke("down", "--volumes", "--images", timeout=900))


def status_json(lab) -> dict:
    run = lab.invoke("status", "--json")
    return {"code": run.code, **json.loads(run.stdout)}


def daemons_of(status: dict, daemon: str) -> list[dict]:
    return [d for n in status["nodes"] for d in n["daemons"] if d["name"] == daemon]


def test_up_brings_every_layer_up_with_real_mesos_and_km(real_lab):
    status = status_json(real_lab)
    assert status["code"] == 0, status
    masters = daemons_of(status, "mesos-master")
    assert sorted(d["detail"] for d in masters) == ["leader", "standby", "standby"], masters
    agents = daemons_of(status, "mesos-slave")
    assert len(agents) == 4 and all(d["state"] == "healthy" and d["detail"].startswith("registered with")
                                   for d in agents), agents
    scheduler = daemons_of(status, "scheduler")
    assert scheduler[0]["state"] == "healthy" and scheduler[0]["detail"].startswith("registered with Mesos as")


def test_the_real_binaries_are_what_runs(real_lab):
    code, out = real_lab.exec("mesos-master-0", "mesos-master", "--version")
    assert code == 0 and out.strip() == f"mesos {CHECKOUT.mesos.version}", out
    code, out = real_lab.exec("kubernetes-mesos", "km", "apiserver", "--version=true")
    assert code == 0 and "Kubernetes v" in out, out


def test_mesos_status_lists_the_four_registered_agents(real_lab):
    run = succeeded(real_lab.invoke("mesos.slave", "--status"))
    line = next(line for line in run.stdout.splitlines() if line.startswith("registered agents"))
    assert all(f"kubernetes-minion-{i}" in line for i in range(4)), line


def test_smoke_tasks_finish_through_the_leading_master(real_lab):
    run = succeeded(real_lab.invoke("mesos.smoke", timeout=600))
    rows = [line for line in run.stdout.splitlines() if line.startswith("k8sm-smoke-")]
    assert len(rows) == 2 and all("PASS (TASK_FINISHED)" in row for row in rows), run.stdout
    docker_row = next(row for row in rows if " docker " in row)
    assert "kubernetes-minion-" in docker_row


def test_nginx_pod_runs_on_a_minion_and_answers(real_lab):
    succeeded(real_lab.invoke("kubectl", "--", "get", "nodes"))
    nodes = wait_for(lambda: _names(real_lab, "nodes"), 120, "the minions as Kubernetes nodes")
    assert set(nodes) <= {f"kubernetes-minion-{i}" for i in range(4)} and nodes
    succeeded(real_lab.invoke("kubectl", "--", "create", "-f", "/opt/nginx.yaml"))
    try:
        pod = wait_for(lambda: _running_pod(real_lab), 300, "the nginx pod Running")
        host, port = pod["status"]["hostIP"], _host_port(pod)
        code, out = real_lab.exec("kubernetes-mesos", "curl", "-s", "--max-time", "5", f"http://{host}:{port}/")
        assert code == 0 and out.startswith("k8sm nginx on "), out
        task = wait_for(lambda: _mesos_task(real_lab, "TASK_RUNNING"), 60, "the pod's Mesos task")
        assert task
    finally:
        succeeded(real_lab.invoke("kubectl", "--", "delete", "pod", "nginx"))
    wait_for(lambda: not _mesos_task(real_lab, "TASK_RUNNING"), 120, "the pod's Mesos task to end")


def test_master_and_agent_drills_pass(real_lab):
    run = succeeded(real_lab.invoke("drill", "--only", "mesos-master", "--only", "mesos-agent", timeout=900))
    assert run.stdout.count(" PASS ") == 2, run.stdout
    # km's scheduler (2015) exits with its master: the drill starts it again, and it re-registers
    assert "km scheduler exited with its master and re-registered" in run.stdout or \
        "km scheduler stayed registered" in run.stdout, run.stdout
    scheduler = daemons_of(status_json(real_lab), "scheduler")
    assert scheduler[0]["state"] == "healthy" and scheduler[0]["detail"].startswith("registered with Mesos as")


def _names(lab, kind: str) -> list[str]:
    run = lab.invoke("kubectl", "--", "get", kind, "-o", "json")
    if run.code != 0:
        return []
    return [item["metadata"]["name"] for item in json.loads(run.stdout).get("items", [])]


def _running_pod(lab) -> dict | None:
    run = lab.invoke("kubectl", "--", "get", "pod", "nginx", "-o", "json")
    if run.code != 0:
        return None
    pod = json.loads(run.stdout)
    return pod if pod.get("status", {}).get("phase") == "Running" else None


def _host_port(pod: dict) -> int:
    """The host port km mapped the pod's port 80 to (its annotation), else the declared hostPort."""
    annotations = pod["metadata"].get("annotations") or {}
    mapped = [v for k, v in annotations.items() if k.endswith("port_TCP_80")]
    if mapped:
        return int(mapped[0])
    return int(pod["spec"]["containers"][0]["ports"][0].get("hostPort") or 80)


def _mesos_task(lab, state: str) -> bool:
    master = topology.load(lab.hosts).node("mesos-master-0")  # Mesos listens on its node's address only
    code, out = lab.exec(master.name, "curl", "-sL", "--max-time", "5", f"http://{master.ip}:5050/master/tasks")
    try:
        tasks = json.loads(out).get("tasks", []) if code == 0 else []
    except ValueError:
        return False
    return any("nginx" in t.get("name", "") and t.get("state") == state for t in tasks)
