"""A real 3-node ZooKeeper ensemble: one leader, and a new one when the leader is killed."""

from __future__ import annotations

import pytest

from tests.integration.conftest import wait_for

MASTERS = ("mesos-master-0", "mesos-master-1", "mesos-master-2")


def modes(lab) -> dict[str, str]:
    run = lab.invoke("mesos.zk", "--status")
    rows = {}
    for line in run.stdout.splitlines()[1:]:
        words = line.split()
        if words and words[0] in MASTERS:
            rows[words[0]] = words[-1].strip("()") if "healthy" in line else "down"
    return rows


@pytest.fixture(scope="module")
def zk_lab(seed_lab):
    run = seed_lab.ok("mesos.zk", "--start", timeout=120)
    assert "ZooKeeper: 3/3 healthy" in run.stdout
    return seed_lab


def test_ensemble_elects_one_leader(zk_lab):
    current = modes(zk_lab)
    assert sorted(current.values()) == ["follower", "follower", "leader"], current
    code, out = zk_lab.exec("mesos-master-1", "cat", "/var/lib/k8sm/zookeeper/myid")
    assert out.strip() == "2"


def test_killing_the_leader_elects_another(zk_lab):
    old = next(node for node, mode in modes(zk_lab).items() if mode == "leader")
    zk_lab.ok("mesos.zk", "--kill", "--node", old)
    new = wait_for(lambda: next((n for n, m in modes(zk_lab).items() if m == "leader" and n != old), None),
                   timeout=30, what="a new ZooKeeper leader")
    assert new != old
    assert modes(zk_lab)[old] == "down"
    zk_lab.ok("mesos.zk", "--start", "--node", old, timeout=120)
    assert modes(zk_lab)[old] == "follower"
    assert zk_lab.invoke("mesos.zk", "--status").code == 0


def test_seed_script_works_by_hand(zk_lab):
    code, out = zk_lab.exec("mesos-master-0", "mesos.sh", "st")
    assert code == 0 and out.split()[:2] == ["zookeeper", "running"]
    code, out = zk_lab.exec("mesos-master-0", "mesos.sh", "zk", "manual")
    assert code == 0 and "org.apache.zookeeper.server.quorum.QuorumPeerMain" in out


def test_status_shows_zookeeper_roles(zk_lab):
    run = zk_lab.invoke("status")
    assert not run.code & 2, run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith(MASTERS)]
    assert len(rows) == 3 and all("zookeeper: healthy" in row for row in rows)
