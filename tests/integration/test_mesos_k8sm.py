"""Mesos and km tasks against STAND-INS, by contract (flags, order, waits, pids, kills, health).

Apache Mesos and km cannot be obtained on this machine. The stand-ins of
tests/standins are built into the images through the same path real binaries
take (`invoke build.mesos --tarball`, `invoke build.k8s`, `invoke build`). What
these tests show is k8sm's side: the exact command lines from a non-default
topology, the start order and its waits, idempotent starts, kills that hit
only the named daemon, and status. They show nothing about Mesos or km.
ZooKeeper, etcd and the minions' Docker engines here are real.
"""

from __future__ import annotations

import pytest

from k8sm import topology
from k8sm.daemons import km, mesos
from tests.integration.conftest import BASE_IMAGE, image_prefix, succeeded, wait_for
from tests.integration.standin_dists import K8S_REF, kubernetes_repository, mesos_source_tarball

PREFIX = image_prefix("stand")
MASTERS = ("mesos-master-0", "mesos-master-1", "mesos-master-2")
MINIONS = ("kubernetes-minion-0", "kubernetes-minion-1")
NODES = """
  - {name: etcd-0, role: etcd}
  - {name: mesos-master-0, role: mesos-master}
  - {name: mesos-master-1, role: mesos-master}
  - {name: mesos-master-2, role: mesos-master}
  - {name: kubernetes-mesos, role: framework}
  - {name: kubernetes-minion-0, role: minion}
  - {name: kubernetes-minion-1, role: minion}
"""
#: Not the defaults: the command lines must follow hosts.yaml.
PORTS = "{zookeeper_client: 12181, etcd_client_legacy: 14001, apiserver: 18080, controller_manager: 20252, scheduler: 20251}"


@pytest.fixture(scope="module")
def lab(make_lab, built, tmp_path_factory, engine):
    directory = tmp_path_factory.mktemp("standin-releases")
    repo = kubernetes_repository(directory)
    lab = make_lab(NODES, images=f"{{base: {BASE_IMAGE}, prefix: {PREFIX}}}", ports=PORTS,
                   mesos="{cluster: standin-cluster}",
                   kubernetes=f"{{repo: {repo}, ref: {K8S_REF}, checkout: {directory / 'checkout'}, "
                              "cluster_dns: 10.10.10.53, log_level: 3}")
    succeeded(lab.invoke("build.mesos", "--tarball", str(mesos_source_tarball(directory)), timeout=1800))
    succeeded(lab.invoke("build.k8s", "--release", timeout=600))
    build = succeeded(lab.invoke("build", timeout=1800))
    assert f"mesos: {PREFIX}mesos-dist:1.11.0" in build.stdout and f"kubernetes: {PREFIX}kubernetes-dist:" in build.stdout
    succeeded(lab.invoke("run"))
    lab.topology = topology.load(lab.hosts)
    yield lab
    for name in ("mesos-dist:1.11.0", f"kubernetes-dist:{K8S_REF}", "mesos-builder:latest", "dist-empty:latest"):
        try:
            engine.remove_image(f"{PREFIX}{name}", force=True)
        except Exception:  # noqa: BLE001 - already gone is fine
            pass


def recorded(lab, node: str, path: str) -> list[str]:
    code, out = lab.exec(node, "cat", path)
    assert code == 0, out
    return out.splitlines()


def pid(lab, node: str, daemon: str) -> str:
    code, out = lab.exec(node, "k8sm-daemon", "status", daemon)
    return out.split()[1] if code == 0 else ""


def rows(run) -> dict[str, str]:
    return {line.split()[0]: line for line in run.stdout.splitlines()[1:] if line.strip() and not line.startswith(" ")}


def test_the_stand_ins_are_what_the_images_took_in(lab):
    code, out = lab.exec("mesos-master-0", "sh", "-c", "command -v mesos-master; head -n 3 \"$(command -v mesos-master)\"")
    assert code == 0 and out.startswith("/opt/mesos/sbin/mesos-master") and "STAND-IN" in out
    code, out = lab.exec("kubernetes-mesos", "sh", "-c", "command -v km")
    assert (code, out.strip()) == (0, "/opt/kubernetes/bin/km")
    assert "build.k8s" in lab.ok("kubectl", "--which").stdout


def test_each_start_waits_for_what_it_needs(lab):
    run = lab.invoke("k8sm.api", "--start", "--timeout", "2")
    assert run.code == 1 and run.stderr.startswith("k8sm: km apiserver needs a healthy etcd; after 2s: 0 of 1 etcd")
    assert run.stderr.strip().endswith("run `invoke etcd --start` first")
    run = lab.invoke("mesos.master", "--start", "--timeout", "2")
    assert run.code == 1 and "Mesos master needs a ZooKeeper quorum" in run.stderr
    lab.ok("etcd", "--start", timeout=120)
    lab.ok("mesos.zk", "--start", timeout=120)
    run = lab.invoke("k8sm.sd", "--start", "--timeout", "3")
    assert run.code == 1 and "km scheduler needs a leading Mesos master" in run.stderr
    assert "run `invoke mesos.master --start` first" in run.stderr
    for node in ("kubernetes-mesos",):
        assert pid(lab, node, "scheduler") == ""  # nothing was started by the refused starts


def test_masters_start_and_one_leads(lab):
    run = lab.ok("mesos.master", "--start", timeout=180)
    assert "Mesos master: 3/3 healthy" in run.stdout
    status = lab.ok("mesos.master", "--status", timeout=120)
    details = [rows(status)[m] for m in MASTERS]
    assert sum("healthy (leader)" in d for d in details) == 1, status.stdout
    assert sum("healthy (standby)" in d for d in details) == 2, status.stdout
    leader = next(m for m in MASTERS if "leader" in rows(status)[m])
    assert f"leading master (ZooKeeper /mesos): {leader} (" in status.stdout


def test_master_command_lines_follow_the_topology(lab):
    t = lab.topology
    for node in MASTERS:
        argv = recorded(lab, node, "/var/lib/k8sm/mesos/standin-argv")
        assert argv[1:] == mesos.master_argv(t, t.node(node))[1:]
    assert "--quorum=2" in argv and "--cluster=standin-cluster" in argv
    assert f"--zk=zk://{lab.ip(1)}:12181,{lab.ip(2)}:12181,{lab.ip(3)}:12181/mesos" in argv


def test_a_second_start_changes_nothing(lab):
    before = {m: pid(lab, m, "mesos-master") for m in MASTERS}
    run = lab.ok("mesos.master", "--start", timeout=120)
    assert run.stdout.count("already running") == 3
    assert {m: pid(lab, m, "mesos-master") for m in MASTERS} == before


def test_agents_start_after_their_docker_and_register(lab):
    run = lab.ok("mesos.slave", "--start", timeout=180)
    assert run.stdout.index("Docker (in the minions): starting") < run.stdout.index("Mesos agent: starting")
    status = wait_for(lambda: (r := lab.invoke("mesos.slave", "--status")).code == 0 and r, 30, "registered agents")
    assert all("registered with mesos-master-" in rows(status)[m] for m in MINIONS)
    assert "registered agents (mesos-master-" in status.stdout
    assert status.stdout.split("registered agents (")[1].split(":", 1)[1].strip() == ", ".join(MINIONS)
    t = lab.topology
    for node in MINIONS:
        argv = recorded(lab, node, "/var/lib/k8sm/mesos/standin-argv")
        assert argv[1:] == mesos.agent_argv(t, t.node(node))[1:]


def test_killing_the_leading_master_elects_another(lab):
    status = lab.ok("mesos.master", "--status", timeout=120)
    old = next(m for m in MASTERS if "leader" in rows(status)[m])
    lab.ok("mesos.master", "--kill", "--node", old)

    def new_leader():
        s = lab.invoke("mesos.master", "--status", timeout=120)
        return next((m for m in MASTERS if m != old and "(leader)" in rows(s).get(m, "")), None)

    assert wait_for(new_leader, 30, "a new leading master") != old
    lab.ok("mesos.master", "--start", "--node", old, timeout=120)


def test_km_daemons_start_in_order_with_the_topologys_flags(lab):
    t = lab.topology
    fw = t.node("kubernetes-mesos")
    for task, daemon, argv_of in (("k8sm.api", "apiserver", km.apiserver_argv),
                                  ("k8sm.cm", "controller-manager", km.controller_manager_argv),
                                  ("k8sm.sd", "scheduler", km.scheduler_argv)):
        run = lab.ok(task, "--start", timeout=180)
        assert "1/1 healthy" in run.stdout, run.stdout
        argv = recorded(lab, "kubernetes-mesos", f"/var/lib/k8sm/standin/km-{daemon}.argv")
        assert argv[1:] == argv_of(t, fw)[1:]
    sd = recorded(lab, "kubernetes-mesos", "/var/lib/k8sm/standin/km-scheduler.argv")
    assert f"--api-servers=http://{lab.ip(4)}:18080" in sd and "--cluster-dns=10.10.10.53" in sd and "--v=3" in sd
    assert f"--etcd-servers=http://{lab.ip(0)}:14001" in recorded(
        lab, "kubernetes-mesos", "/var/lib/k8sm/standin/km-apiserver.argv")


def test_killing_one_km_daemon_leaves_the_others(lab):
    before = {d: pid(lab, "kubernetes-mesos", d) for d in ("apiserver", "scheduler")}
    lab.ok("k8sm.cm", "--kill")
    assert pid(lab, "kubernetes-mesos", "controller-manager") == ""
    assert {d: pid(lab, "kubernetes-mesos", d) for d in ("apiserver", "scheduler")} == before
    assert lab.invoke("k8sm.cm", "--status").code == 3
    lab.ok("k8sm.cm", "--start", timeout=120)


def test_killing_one_agent_leaves_the_rest(lab):
    others = {m: pid(lab, m, "mesos-slave") for m in MINIONS[1:]}
    docker_pid = pid(lab, MINIONS[0], "docker")
    lab.ok("mesos.slave", "--kill", "--node", MINIONS[0])
    assert pid(lab, MINIONS[0], "mesos-slave") == ""
    assert pid(lab, MINIONS[0], "docker") == docker_pid  # its Docker engine stays
    assert {m: pid(lab, m, "mesos-slave") for m in MINIONS[1:]} == others
    lab.ok("mesos.slave", "--start", "--node", MINIONS[0], timeout=120)


def test_status_shows_every_daemon_healthy(lab):
    run = lab.ok("status", timeout=120)
    table = rows(run)
    assert "etcd: healthy" in table["etcd-0"]
    assert all("zookeeper: healthy" in table[m] and "mesos-master: healthy" in table[m] for m in MASTERS)
    assert all("docker: healthy" in table[m] and "mesos-slave: healthy" in table[m] for m in MINIONS)
    fw = table["kubernetes-mesos"]
    assert "apiserver: healthy" in fw and "controller-manager: healthy" in fw and "scheduler: healthy" in fw


def test_kill_all_km_needs_all_and_stops_all(lab):
    run = lab.invoke("k8sm.kill")
    assert run.code == 1 and "say so with --all" in run.stderr
    lab.ok("k8sm.kill", "--all")
    assert all(pid(lab, "kubernetes-mesos", d) == "" for d in ("apiserver", "controller-manager", "scheduler"))
    assert pid(lab, "etcd-0", "etcd") != ""  # nothing else was touched


def test_up_brings_every_stage_back_in_order(lab):
    lab.ok("mesos.slave", "--kill")
    lab.ok("mesos.master", "--kill")
    run = lab.ok("up", timeout=600)  # nothing is skipped: the stand-ins are installed
    assert "skipped" not in run.stdout
    assert run.stdout.index("Mesos master: starting") < run.stdout.index("Mesos agent: starting")
    assert run.stdout.index("km apiserver: starting") < run.stdout.index("km controller-manager: starting")
    assert run.stdout.index("Mesos master: 3/3 healthy") < run.stdout.index("km scheduler: starting")
    started = run.stdout.split("(started: ")[1].split(")")[0].split(", ")
    assert set(started) == {"mesos-master", "mesos-slave", "apiserver", "controller-manager", "scheduler"}
    assert lab.invoke("status").code == 0
