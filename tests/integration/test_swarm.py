"""One lab across two engines joined in a Docker Swarm, through real sshds: the multi-host mode for real.

Host a is this machine's engine, reached through a throwaway sshd on 127.0.0.1
(tests/sshd.py). Host b is a container of the test's own running its own dockerd
and sshd (tests/swarmhost.py) on a Docker network of the test's own. k8sm joins
the two engines in a Swarm, puts etcd-0 and mesos-master-0 on a and etcd-1,
etcd-2, mesos-master-1, mesos-master-2 and a minion on b, on one overlay network,
and the etcd cluster and the ZooKeeper ensemble must become healthy across it.
Then b's engine is stopped (status names b's nodes unreachable) and started
again (`up` repairs). Everything made is removed at the end, also on failure;
the host engine leaves the Swarm only if this test made it.
"""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.integration.conftest import (
    BASE_IMAGE,
    SESSION,
    SMALL_NODES,
    TEST_IMAGE_PREFIX,
    TestLab,
    free_subnet,
    succeeded,
    wait_for,
)
from tests.sshd import Sshd
from tests.swarmhost import LABEL, DockerHost, build_image

pytestmark = pytest.mark.timeout(3600)  # builds and image loads on a busy 2-core machine

NODES = """
  - {name: etcd-0, role: etcd}
  - {name: etcd-1, role: etcd, host: b}
  - {name: etcd-2, role: etcd, host: b}
  - {name: mesos-master-0, role: mesos-master}
  - {name: mesos-master-1, role: mesos-master, host: b}
  - {name: mesos-master-2, role: mesos-master, host: b}
  - {name: kubernetes-minion-0, role: minion, host: b}
"""
ON_B = ("etcd-1", "etcd-2", "mesos-master-1", "mesos-master-2", "kubernetes-minion-0")
WORKLOADS = ("busybox", "pause", "nginx")
HOST_IMAGE = f"{TEST_IMAGE_PREFIX}swarm-host:latest"
GWBRIDGE = "docker_gwbridge"
LAB_NAME = f"k8smt{SESSION}s"
#: The ID of the Swarm swarm.init made on the host engine: the teardown ends that one only.
made: dict[str, str] = {}


def swarm_of(engine) -> dict:
    return engine.info().get("Swarm") or {}


@pytest.fixture(scope="module")
def outside_swarm(engine):
    """The host engine's Swarm state before: the test runs only on an engine in no Swarm (it never leaves
    one it did not make); whether docker_gwbridge was there (the Swarm makes it; the test removes it if so)."""
    if swarm_of(engine).get("LocalNodeState") != "inactive":
        pytest.skip("the host engine is already in a Swarm; this test makes (and ends) its own")
    return {"gwbridge": any(n["Name"] == GWBRIDGE for n in engine.networks(names=[GWBRIDGE]))}


@pytest.fixture(scope="module")
def workloads(built, engine, tmp_path_factory):
    """The minion's workload images under this session's prefix (built here, removed after)."""
    lab = TestLab(engine, tmp_path_factory.mktemp("workloads"), f"k8smw{SESSION}", free_subnet(engine), SMALL_NODES)
    lab.write()
    succeeded(lab.invoke("build", *[a for w in WORKLOADS for a in ("--image", w)], timeout=1800))
    refs = [f"{TEST_IMAGE_PREFIX}{w}:latest" for w in WORKLOADS]
    yield refs
    for ref in refs:
        _quietly(engine.remove_image, ref, force=True)


@pytest.fixture(scope="module")
def two_hosts(outside_swarm, built, workloads, engine, tmp_path_factory):
    """Host a (this engine, over a local sshd) and host b (a container with its own engine), on a network
    of the test's own; b holds the images its nodes need. Yields (sshd of a, host b, network gateway)."""
    from docker.types import IPAMConfig, IPAMPool

    base = tmp_path_factory.mktemp("swarm")
    subnet = ipaddress.ip_network(free_subnet(engine))
    gateway, b_ip, c_ip = (str(subnet.network_address + i) for i in (1, 2, 3))
    network = f"k8smt-swarm-{SESSION}"
    hosts: list[DockerHost] = []
    sshd = Sshd(base / "sshd-a").start()
    try:
        engine.create_network(network, driver="bridge", labels={LABEL: SESSION},
                              ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=gateway)]))
        build_image(engine, f"{TEST_IMAGE_PREFIX}minion:latest", HOST_IMAGE, SESSION)
        for name, ip in (("b", b_ip), ("c", c_ip)):
            host = DockerHost(engine, f"k8smt-swarm-{SESSION}-{name}", HOST_IMAGE, network, ip, base / name, SESSION)
            hosts.append(host)
            host.authorize(sshd.client_key.with_suffix(".pub"))
            with sshd.known_hosts.open("a") as known:
                known.write(host.known_hosts_line())
            host.start_engine()
        hosts[0].load_images([BASE_IMAGE, *(f"{TEST_IMAGE_PREFIX}{n}:latest" for n in (
            "node", "etcd", "mesos-master", "minion", "dist-empty")), *workloads])
        yield sshd, hosts[0], hosts[1], gateway
    finally:
        for host in hosts:
            host.remove()  # its engine, its Swarm membership and its containers with it
        _remove_leftovers(engine)
        if made.get("swarm") and (swarm_of(engine).get("Cluster") or {}).get("ID") == made["swarm"]:
            engine.leave_swarm(force=True)  # the Swarm's networks (the lab's overlay, ingress) go with it
        for net in engine.networks(filters={"label": f"io.k8sm.lab={LAB_NAME}"}):
            _quietly(engine.remove_network, net["Id"])
        if not outside_swarm["gwbridge"]:
            for net in engine.networks(names=[GWBRIDGE]):
                _quietly(engine.remove_network, net["Id"])
        _quietly(engine.remove_network, network)
        _quietly(engine.remove_image, HOST_IMAGE, force=True)
        sshd.stop()


@pytest.fixture(scope="module")
def spread_lab(two_hosts, engine, tmp_path_factory):
    """The lab's hosts.yaml: a is the first host (the manager), b holds most nodes."""
    sshd, b, _, gateway = two_hosts
    hosts = (f"{{a: {{address: '{sshd.address}', advertise_address: {gateway}}}, "
             f"b: {{address: '{b.address}', advertise_address: {b.ip}}}}}")
    lab = TestLab(engine, tmp_path_factory.mktemp("spread"), LAB_NAME, free_subnet(engine), NODES, {"hosts": hosts})
    lab.write()
    lab.via = ["-S", str(sshd.ssh_config), "-i", str(sshd.client_key)]
    return lab


def _remove_leftovers(engine) -> None:
    """The containers and volumes the lab left on the host engine if the tests' own `rm` did not run."""
    selector = {"label": f"io.k8sm.lab={LAB_NAME}"}
    for c in engine.containers(all=True, filters=selector):
        _quietly(engine.remove_container, c["Id"], force=True)
    for v in (engine.volumes(filters=selector) or {}).get("Volumes") or []:
        _quietly(engine.remove_volume, v["Name"], force=True)


def _quietly(action, *args, **kwargs) -> None:
    import docker.errors

    try:
        action(*args, **kwargs)
    except docker.errors.NotFound:
        pass


def k8sm(lab: TestLab, *args: str, timeout: float = 1800):
    return lab.k8sm(*lab.via, *args, timeout=timeout)


# --------------------------------------------------------------------------- the tests, in order


def test_swarm_init_joins_the_two_engines(spread_lab, two_hosts, engine):
    _, b, _, gateway = two_hosts
    run = k8sm(spread_lab, "swarm.init")
    if swarm_of(engine).get("LocalNodeState") == "active":
        made["swarm"] = swarm_of(engine)["Cluster"]["ID"]  # from here on the teardown ends it
    succeeded(run)
    assert "a: manager of Swarm " in run.stdout and f"at {gateway} (created)" in run.stdout, run
    assert "b: worker (joined)" in run.stdout, run
    assert swarm_of(engine)["LocalNodeState"] == "active"
    info = json.loads(b.sh("docker info -f '{{json .Swarm}}'").stdout)
    assert info["LocalNodeState"] == "active" and info["NodeAddr"] == b.ip
    again = succeeded(k8sm(spread_lab, "swarm.init"))
    assert "(already)" in again.stdout and "b: worker (already)" in again.stdout, again
    status = succeeded(k8sm(spread_lab, "swarm.status"))
    rows = {line.split()[0]: line for line in status.stdout.splitlines()[1:]}
    assert "manager" in rows["a"] and "worker" in rows["b"], status


def test_a_host_in_another_swarm_is_refused(spread_lab, two_hosts):
    sshd, _, c, _ = two_hosts
    c.sh(f"docker swarm init --advertise-addr {c.ip} >/dev/null")
    run = k8sm(spread_lab, "-H", f"a,{c.address}", "swarm.init")
    assert run.code == 1 and "Traceback" not in run.stderr, run
    assert run.stderr.strip().splitlines() == [
        f"k8sm: host {c.address} is already in another Swarm (its managers: {c.ip}:2377); take it out there "
        f"(`docker swarm leave` on {c.address}) or list that Swarm's manager first"], run
    first_a_worker = k8sm(spread_lab, "-H", "b,a", "swarm.init")
    assert first_a_worker.code == 1 and "host b is a worker in a Swarm" in first_a_worker.stderr, first_a_worker


def test_up_across_two_hosts(spread_lab, engine):
    run = succeeded(k8sm(spread_lab, "up"))
    assert "etcd: 3/3 healthy" in run.stdout and "ZooKeeper: 3/3 healthy" in run.stdout, run
    assert "host b: images: all up to date" in run.stdout, run
    mine = {c["Labels"]["io.k8sm.node"] for c in spread_lab.containers()}
    assert mine == {"etcd-0", "mesos-master-0"}  # the rest run on b's engine
    network = engine.inspect_network(spread_lab.name)
    assert network["Driver"] == "overlay" and network["Attachable"] and network["Scope"] == "swarm"
    assert network["IPAM"]["Config"][0]["Subnet"] == spread_lab.subnet


def test_containers_on_b_have_their_fixed_ips_and_labels(spread_lab, two_hosts):
    _, b, _, _ = two_hosts
    out = b.sh(f"docker ps --filter label=io.k8sm.lab={spread_lab.name} "
               "--format '{{.Label \"io.k8sm.node\"}} {{.Names}}'").stdout.decode()
    on_b = dict(line.split() for line in out.splitlines())
    assert set(on_b) == set(ON_B)
    ip = b.sh(f"docker inspect -f '{{{{(index .NetworkSettings.Networks \"{spread_lab.name}\").IPAddress}}}}' "
              f"{spread_lab.container('etcd-1')}").stdout.decode().strip()
    assert ip == spread_lab.ip(1)


def test_status_shows_each_nodes_host(spread_lab):
    run = k8sm(spread_lab, "status")
    assert run.code == 0, run  # Mesos and km are not installed here: they do not count
    rows = {line.split()[0]: line.split() for line in run.stdout.splitlines()[1:]}
    assert run.stdout.splitlines()[0].split()[:3] == ["NODE", "HOST", "ROLE"], run
    assert rows["etcd-0"][1] == "a" and rows["etcd-1"][1] == "b" and rows["kubernetes-minion-0"][1] == "b"
    assert "etcd: healthy" in run.stdout and "zookeeper: healthy" in run.stdout
    refused = k8sm(spread_lab, "-H", "a", "status")  # k8sm finds a multi-host lab's hosts itself
    assert refused.code == 1 and refused.stderr.strip() == (
        f"k8sm: lab {spread_lab.name} places its nodes on several hosts (a, b) and k8sm connects to each of them "
        "itself, from hosts.yaml; run the task without -H"), refused


def test_etcd_cluster_and_zookeeper_ensemble_across_hosts(spread_lab):
    code, out = spread_lab.exec("etcd-0", "etcdctl", "--endpoints=http://127.0.0.1:2379", "endpoint", "health",
                                "--cluster")
    assert code == 0 and {line.split()[0] for line in out.splitlines() if ":2379 is healthy" in line} == {
        f"http://{spread_lab.ip(i)}:2379" for i in range(3)}, out
    zk = succeeded(k8sm(spread_lab, "mesos.zk", "--status"))
    roles = [line.split()[-1] for line in zk.stdout.splitlines()[1:]]
    assert sorted(r.strip("()") for r in roles).count("leader") == 1, zk


def test_a_container_in_the_remote_minion_reaches_the_etcd_leader(spread_lab, two_hosts):
    _, b, _, _ = two_hosts
    leader_ip = wait_for(lambda: etcd_leader_ip(spread_lab), 30, "the etcd leader's address")
    minion = spread_lab.container("kubernetes-minion-0")
    run = b.sh(f"docker exec {minion} docker run --rm k8sm/busybox:latest wget -qO- http://{leader_ip}:2379/version",
               check=False)
    assert run.returncode == 0 and b"etcdserver" in run.stdout, run


def etcd_leader_ip(lab: TestLab) -> str | None:
    """The etcd leader's IP, as etcd-0 sees the cluster; None while unknown (or the exec's output was lost)."""
    code, out = lab.exec("etcd-0", "etcdctl", "--endpoints=http://127.0.0.1:2379", "endpoint", "status",
                         "--cluster", "-w", "json")
    try:
        members = json.loads(out) if code == 0 else []
    except ValueError:
        return None
    leader = next((m for m in members if m["Status"]["leader"] == m["Status"]["header"]["member_id"]), None)
    return leader["Endpoint"].split("//")[1].rsplit(":", 1)[0] if leader else None


def test_doctor_checks_the_overlay(spread_lab):
    run = k8sm(spread_lab, "doctor", "--json")
    status = {f["check"]: f["status"] for f in json.loads(run.stdout)["findings"]}
    for check in ("swarm", "a: kernel vxlan", "b: kernel vxlan", "a: swarm ports", "b: swarm ports",
                  "overlay data path"):
        assert status.get(check) == "ok", f"{check}:\n{run}"


def test_status_marks_the_nodes_of_a_stopped_engine_unreachable(spread_lab, two_hosts):
    _, b, _, _ = two_hosts
    b.stop_engine()
    try:
        run = k8sm(spread_lab, "status")
        assert "Traceback" not in run.stderr, run
        assert run.code & 32 and run.code & 1 and run.code & 16, run  # unreachable, containers, unknown
        rows = {line.split()[0]: line for line in run.stdout.splitlines()[1:]}
        for node in ON_B:
            assert f"unreachable (host b: no Docker engine is running on {b.address}" in rows[node], run
        assert " running " in rows["etcd-0"] and " running " in rows["mesos-master-0"], run
    finally:
        b.start_engine()


def test_up_repairs_after_the_engine_comes_back(spread_lab):
    run = succeeded(k8sm(spread_lab, "up"))
    for node in ON_B:
        assert f"  {node}: started" in run.stdout, run
    assert "etcd: 3/3 healthy" in run.stdout and "ZooKeeper: 3/3 healthy" in run.stdout, run
    assert k8sm(spread_lab, "status").code == 0


def test_a_node_moved_to_another_host_is_moved_by_up(spread_lab, two_hosts):
    _, b, _, _ = two_hosts
    spread_lab.nodes_yaml = NODES.replace("role: minion, host: b}", "role: minion}")
    spread_lab.write()
    refused = k8sm(spread_lab, "run")
    assert refused.code == 1 and refused.stderr.strip() == (
        "k8sm: node kubernetes-minion-0 has its container on host b, but hosts.yaml places it on host a; "
        "`invoke run --recreate` (or `invoke up`) moves it; its volumes stay on b"), refused
    run = succeeded(k8sm(spread_lab, "up"))
    assert "  kubernetes-minion-0: removed from host b: hosts.yaml places it on host a" in run.stdout, run
    assert "  kubernetes-minion-0: created" in run.stdout, run
    assert "kubernetes-minion-0" not in b.sh("docker ps -a --format '{{.Names}}'").stdout.decode()
    status = k8sm(spread_lab, "status")
    row = next(line.split() for line in status.stdout.splitlines() if line.startswith("kubernetes-minion-0 "))
    assert status.code == 0 and row[1] == "a" and row[4] == "running", status


def test_rm_removes_the_lab_everywhere_and_keeps_the_swarm(spread_lab, two_hosts, engine):
    _, b, _, _ = two_hosts
    run = succeeded(k8sm(spread_lab, "rm", "--volumes"))
    assert "removed network" in run.stdout, run
    assert spread_lab.containers() == []
    assert b.sh(f"docker ps -aq --filter label=io.k8sm.lab={spread_lab.name}").stdout.strip() == b""
    assert not engine.networks(names=[spread_lab.name])
    assert swarm_of(engine)["LocalNodeState"] == "active"
    left = succeeded(k8sm(spread_lab, "swarm.leave"))
    assert "b: left the Swarm" in left.stdout and "a: left the Swarm" in left.stdout, left
    assert swarm_of(engine)["LocalNodeState"] == "inactive"
