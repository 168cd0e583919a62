"""The one-command lab on the real engine: up, status, logs, doctor, drills, down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.cli import ROOT
from tests.integration.conftest import succeeded

NODES = """
  - {name: etcd-0, role: etcd}
  - {name: etcd-1, role: etcd}
  - {name: etcd-2, role: etcd}
  - {name: mesos-master-0, role: mesos-master}
  - {name: mesos-master-1, role: mesos-master}
  - {name: mesos-master-2, role: mesos-master}
  - {name: kubernetes-mesos, role: framework}
  - {name: kubernetes-minion-0, role: minion}
"""


@pytest.fixture(scope="module")
def lab(make_lab, built):
    return make_lab(NODES)


def daemon_processes(lab, node: str, pattern: str) -> int:
    code, out = lab.exec(node, "pgrep", "-c", "-f", pattern)
    return int(out.strip() or 0)


def background(lab, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "K8SM_HOSTS": str(lab.hosts)}
    return subprocess.Popen([sys.executable, "-m", "invoke", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_interrupted_up_finishes_on_the_rerun_without_duplicates(lab):
    proc = background(lab, "up")
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while "etcd: starting" not in seen and time.monotonic() < deadline and proc.poll() is None:
            seen += proc.stdout.readline()
        assert "etcd: starting" in seen, seen
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "k8sm: interrupted; running the task again finishes the job" in err and "Traceback" not in err
    run = succeeded(lab.invoke("up", timeout=600))
    assert "lab " + lab.name + ": up" in run.stdout
    for node in ("etcd-0", "etcd-1", "etcd-2"):
        assert daemon_processes(lab, node, "^etcd --name") == 1
    for node in ("mesos-master-0", "mesos-master-1", "mesos-master-2"):
        assert daemon_processes(lab, node, "QuorumPeerMain") == 1


def test_up_skips_what_is_not_installed_with_one_line_each(lab):
    run = succeeded(lab.invoke("up"))
    assert "Mesos master: skipped: not installed (invoke build.mesos provides it)" in run.stdout
    assert "km apiserver: skipped: not installed (invoke build.k8s provides it)" in run.stdout
    rows = {line.split()[0]: line for line in run.stdout.splitlines() if line.startswith(("etcd-", "mesos-", "kub"))}
    assert all("etcd: healthy" in rows[f"etcd-{i}"] for i in range(3))
    assert all("zookeeper: healthy" in rows[f"mesos-master-{i}"] for i in range(3))
    assert "docker: healthy" in rows["kubernetes-minion-0"]


def test_a_second_up_only_checks(lab):
    pids = {n: lab.exec(n, "k8sm-daemon", "status", "etcd")[1] for n in ("etcd-0", "etcd-1", "etcd-2")}
    ids = {c["Id"] for c in lab.containers()}
    run = succeeded(lab.invoke("up"))
    assert f"lab {lab.name}: up (nothing to start)" in run.stdout and "images: all up to date" in run.stdout
    assert "starting on" not in run.stdout and "created" not in run.stdout
    assert {c["Id"] for c in lab.containers()} == ids
    assert {n: lab.exec(n, "k8sm-daemon", "status", "etcd")[1] for n in pids} == pids


def test_strict_up_refuses_missing_stages(lab):
    run = lab.invoke("up", "--strict")
    assert run.code == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("k8sm: not installed: mesos-master, mesos-slave, apiserver, controller-manager, "
                                 "scheduler; build them (invoke build.k8s, invoke build.mesos)")


def test_status_json_and_exit_bits(lab):
    run = succeeded(lab.invoke("status", "--json"))
    status = json.loads(run.stdout)
    assert status["exit_code"] == 0 and status["layers"]["etcd/zookeeper"] == "healthy"
    etcd0 = next(n for n in status["nodes"] if n["name"] == "etcd-0")
    assert etcd0["daemons"][0]["name"] == "etcd" and etcd0["daemons"][0]["state"] == "healthy"
    fw = next(n for n in status["nodes"] if n["name"] == "kubernetes-mesos")
    assert {d["state"] for d in fw["daemons"]} == {"not installed"}
    lab.ok("mesos.zk", "--kill", "--node", "mesos-master-2")
    try:
        run = lab.invoke("status", "--json")
        assert run.code == 2  # only the etcd/ZooKeeper bit
        assert json.loads(run.stdout)["layers"]["etcd/zookeeper"] == "unhealthy"
    finally:
        succeeded(lab.invoke("up"))


def test_a_hundred_status_checks_on_a_healthy_lab_raise_no_false_alarm(lab):
    # the real exec path, in-process (a new process per check would only add Python's start-up)
    from invoke import Context

    from k8sm import status, topology
    from k8sm.target import Target

    lab.ok("up")
    topo, target = topology.load(lab.hosts), Target(Context())
    try:
        alarms = []
        for i in range(100):
            rows = status.collect(target, topo)
            if status.exit_code(rows):
                alarms.append((i, [(r.node.name, d.daemon, d.summary) for r in rows for d in r.daemons
                                   if d.word not in ("healthy", "not installed")]))
    finally:
        target.close()
    assert alarms == []


def test_network_and_exec_paths_agree_on_a_real_lab(lab):
    from invoke import Context

    from k8sm import daemons, topology
    from k8sm.daemons import control, health
    from k8sm.target import Target

    lab.ok("up")
    topo, target = topology.load(lab.hosts), Target(Context())
    jobs = [(n, daemons.for_role(n.role)) for n in topo.nodes if daemons.for_role(n.role)]
    execs: list = []
    exec_each = target.exec_each
    target.exec_each = lambda batch: (execs.append(batch), exec_each(batch))[1]
    try:
        cheap = health.check(target, topo, jobs)
        assert execs == []  # a healthy lab: every state from the network or the image's labels
        by_exec = control.check_nodes(target, jobs)

        def lost(ip: str, port: int, timeout: float):
            raise ConnectionRefusedError(ip, port)

        target.open_tcp = lost  # every network answer lost: all of it by exec
        fallback = health.check(target, topo, jobs)
    finally:
        target.close()

    def seen(found):
        return [[(s.node, s.daemon, s.word, s.detail) for s in node_states] for node_states in found]

    assert seen(cheap) == seen(by_exec) == seen(fallback)
    assert {(s.daemon, s.via) for node_states in cheap for s in node_states} == {
        ("etcd", "network"), ("zookeeper", "network"), ("docker", "network"), ("mesos-master", "image"),
        ("mesos-slave", "image"), ("apiserver", "image"), ("controller-manager", "image"), ("scheduler", "image")}
    assert {s.daemon for node_states in fallback for s in node_states if s.via == "exec"} == {
        "etcd", "zookeeper", "docker"}


def test_up_rewrites_daemon_files_that_were_removed(lab):
    lab.ok("etcd", "--kill", "--node", "etcd-1")
    for node in ("kubernetes-mesos", "etcd-1"):
        code, _ = lab.exec(node, "sh", "-c", "rm -f /etc/k8sm/daemons/*")
        assert code == 0
    status = lab.invoke("status")
    assert "etcd: not configured" in status.stdout
    assert "apiserver: not installed" in status.stdout  # the image says so, whatever its files
    run = succeeded(lab.invoke("up"))
    assert "etcd: starting on" in run.stdout
    assert "km apiserver: skipped: not installed (invoke build.k8s provides it)" in run.stdout
    code, listing = lab.exec("etcd-1", "k8sm-daemon", "list")
    assert listing.split() == ["etcd"]
    assert succeeded(lab.invoke("status")).code == 0


def test_a_pid_file_naming_another_live_process_does_not_hold_up(lab):
    lab.ok("etcd", "--kill", "--node", "etcd-1")
    # PID 1 of the container, with its real start time: alive, but not etcd
    code, _ = lab.exec("etcd-1", "sh", "-c",
                       "echo \"1 $(cut -d' ' -f22 /proc/1/stat)\" > /run/k8sm/etcd.pid")
    assert code == 0
    assert lab.exec("etcd-1", "k8sm-daemon", "status", "etcd")[1].strip() == "stopped"
    started = time.monotonic()
    run = succeeded(lab.invoke("up"))
    assert "etcd: starting on" in run.stdout
    assert time.monotonic() - started < 60  # etcd's timeout is 60 s: it must not be waited out
    assert daemon_processes(lab, "etcd-1", "^etcd --name") == 1


def test_a_stopped_etcd_container_sets_the_container_and_the_etcd_bits(lab, engine):
    engine.stop(lab.container("etcd-2"), timeout=2)
    try:
        run = lab.invoke("status", "--json")
        assert run.code == 1 + 2, run
        etcd2 = next(n for n in json.loads(run.stdout)["nodes"] if n["name"] == "etcd-2")
        assert etcd2["container"] == "exited" and etcd2["daemons"][0]["state"] == "stopped"
    finally:
        succeeded(lab.invoke("up"))


def test_status_watch_refreshes_until_interrupted(lab):
    proc = background(lab, "status", "--watch", "--interval", "1")
    seen, deadline = "", time.monotonic() + 60  # two refreshes, however slow a loaded machine makes each
    while seen.count("NODE ") < 2 and time.monotonic() < deadline and proc.poll() is None:
        seen += proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert (seen + out).count("NODE ") >= 2, seen + out
    assert proc.returncode == 0 and "Traceback" not in err


def test_logs_of_a_node_and_one_daemon(lab):
    run = succeeded(lab.invoke("logs", "etcd-1", "--lines", "5"))
    assert run.stdout.startswith("== etcd ==\n") and len(run.stdout.splitlines()) <= 6
    run = succeeded(lab.invoke("logs", "mesos-master-0", "--daemon", "zookeeper", "--lines", "3"))
    assert run.stdout.startswith("== zookeeper ==\n")
    run = lab.invoke("logs", "etcd-1", "--daemon", "zookeeper")
    assert run.code == 1 and run.stderr.strip() == "k8sm: etcd-1 runs no daemon 'zookeeper'; its daemons: etcd"


def test_logs_export_writes_a_bundle(lab, tmp_path):
    succeeded(lab.invoke("logs.export", str(tmp_path / "bundle")))
    bundle = tmp_path / "bundle"
    assert (bundle / "hosts.yaml").read_text() == lab.hosts.read_text()
    assert json.loads((bundle / "status.json").read_text())["lab"] == lab.name
    versions = (bundle / "versions.txt").read_text()
    assert "docker engine " in versions and "etcd-0: etcd-server 3.4" in versions and "zookeeper 3.8" in versions
    assert json.loads((bundle / "containers" / "etcd-0.json").read_text())["Config"]["Hostname"] == "etcd-0"
    assert "etcd" in (bundle / "logs" / "etcd-0" / "etcd.log").read_text()
    assert (bundle / "logs" / "mesos-master-1" / "zookeeper.log").exists()


def test_doctor_passes_on_a_good_lab(lab):
    run = succeeded(lab.invoke("doctor", "--json"))
    checks = {f["check"]: f for f in json.loads(run.stdout)["findings"]}
    assert checks["docker engine"]["status"] == checks["subnet"]["status"] == checks["base image"]["status"] == "ok"
    assert checks["mesos binaries"]["status"] == "warn" and "invoke build.mesos" in checks["mesos binaries"]["fix"]


def test_doctor_finds_a_subnet_taken_by_another_network(lab, make_lab, engine):
    other = make_lab(NODES)
    net = engine.create_network(f"{other.name}-squatter", driver="bridge",
                                ipam={"Driver": "default", "Config": [{"Subnet": other.subnet}]})
    try:
        run = other.invoke("doctor", "--json")
    finally:
        engine.remove_network(net["Id"])
    assert run.code == 1 == json.loads(run.stdout)["exit_code"]
    subnet = next(f for f in json.loads(run.stdout)["findings"] if f["check"] == "subnet")
    assert subnet["status"] == "fail" and f"{other.subnet} overlaps Docker network {other.name}-squatter" in subnet["detail"]
    assert subnet["fix"].startswith("choose another network.subnet in hosts.yaml")


def test_drills_pass(lab):
    run = succeeded(lab.invoke("drill", timeout=600))
    verdicts = {line.split()[0]: line for line in run.stdout.splitlines() if " PASS " in line or " FAIL " in line}
    assert set(verdicts) == {"etcd", "zookeeper", "repair"}
    assert all(" PASS " in v for v in verdicts.values()), run.stdout


def test_down_stops_daemons_then_removes_the_lab(lab, engine):
    run = succeeded(lab.invoke("down"))
    assert "stopping the daemons on 8 nodes" in run.stdout
    assert f"lab {lab.name}: removed 8 containers, 1 network" in run.stdout
    assert lab.containers() == []
    assert engine.volumes(filters={"label": f"io.k8sm.lab={lab.name}"})["Volumes"]  # data stays without --volumes
    run = succeeded(lab.invoke("down", "--volumes"))
    assert not engine.volumes(filters={"label": f"io.k8sm.lab={lab.name}"})["Volumes"]
