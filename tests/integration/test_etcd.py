"""A real 3-member etcd cluster: writes survive a killed member, which rejoins with its data."""

from __future__ import annotations

import pytest

from tests.integration.conftest import wait_for

MEMBERS = ("etcd-0", "etcd-1", "etcd-2")


def etcdctl(lab, node: str, *args: str) -> tuple[int, str]:
    return lab.exec(node, "etcdctl", "--endpoints=http://127.0.0.1:2379", "--command-timeout=5s", *args)


def status_rows(run) -> dict[str, str]:
    return {line.split()[0]: line for line in run.stdout.splitlines()[1:] if line.strip()}


@pytest.fixture(scope="module")
def etcd_lab(seed_lab):
    run = seed_lab.ok("etcd", "--start", timeout=120)
    assert "etcd: 3/3 healthy" in run.stdout
    return seed_lab


def test_cluster_comes_up_with_one_leader(etcd_lab):
    run = etcd_lab.ok("etcd", "--status")
    rows = status_rows(run)
    assert set(rows) == set(MEMBERS)
    assert sum("healthy (leader)" in row for row in rows.values()) == 1
    assert sum("healthy (follower)" in row for row in rows.values()) == 2
    code, out = etcdctl(etcd_lab, "etcd-0", "member", "list")
    assert code == 0 and sorted(line.split(", ")[2] for line in out.splitlines()) == list(MEMBERS)


def test_start_again_changes_nothing(etcd_lab):
    pids = {node: etcd_lab.exec(node, "k8sm-daemon", "status", "etcd")[1].split()[1] for node in MEMBERS}
    run = etcd_lab.ok("etcd", "--start")
    assert run.stdout.count("already running") == 3
    assert {node: etcd_lab.exec(node, "k8sm-daemon", "status", "etcd")[1].split()[1] for node in MEMBERS} == pids


def test_v2_api_on_the_legacy_port(etcd_lab):
    code, _ = etcd_lab.exec("etcd-0", "env", "ETCDCTL_API=2", "etcdctl", "--endpoints", "http://127.0.0.1:4001",
                            "set", "/k8sm/v2", "legacy")
    assert code == 0
    code, out = etcd_lab.exec("etcd-2", "env", "ETCDCTL_API=2", "etcdctl", "--endpoints",
                              f"http://{etcd_lab.ip(2)}:4001", "get", "/k8sm/v2")
    assert (code, out.strip()) == (0, "legacy")


def test_killed_member_rejoins_with_every_key(etcd_lab):
    for i in range(20):
        assert etcdctl(etcd_lab, "etcd-0", "put", f"/drill/before/{i}", str(i))[0] == 0
    victim = "etcd-1"
    etcd_lab.ok("etcd", "--kill", "--node", victim)
    assert etcd_lab.exec(victim, "k8sm-daemon", "status", "etcd")[0] == 3
    status = etcd_lab.invoke("etcd", "--status")
    assert status.code == 3 and "stopped" in status_rows(status)[victim]

    # two of three still hold a majority: writes go on
    for i in range(20):
        assert etcdctl(etcd_lab, "etcd-2", "put", f"/drill/during/{i}", str(i))[0] == 0

    run = etcd_lab.ok("etcd", "--start", "--node", victim)
    assert "etcd: 1/1 healthy" in run.stdout
    # a serializable read answers from the member's own data: everything reached it
    code, out = etcdctl(etcd_lab, victim, "get", "/drill/", "--prefix", "--keys-only", "--consistency=s")
    keys = [k for k in out.split() if k]
    assert code == 0 and len(keys) == 40
    assert etcd_lab.invoke("etcd", "--status").code == 0


def test_seed_script_kill_and_start_by_hand(etcd_lab):
    code, out = etcd_lab.exec("etcd-2", "etcd-cluster.sh", "k", "e")
    assert code == 0 and "Kill etcd" in out
    code, out = etcd_lab.exec("etcd-2", "etcd-cluster.sh", "etcd", "start")
    assert code == 0 and "Start etcd..." in out and "done (pid" in out
    wait_for(lambda: etcd_lab.invoke("etcd", "--status").code == 0, 30, "etcd-2 healthy again")


def test_manual_mode_options_reach_the_command_line(etcd_lab):
    etcd_lab.ok("etcd", "--kill", "--node", "etcd-0")
    run = etcd_lab.ok("etcd", "--start", "--node", "etcd-0", "--cluster-state", "existing")
    assert "etcd: 1/1 healthy" in run.stdout
    code, out = etcd_lab.exec("etcd-0", "bash", "-c", "tr '\\0' ' ' < /proc/$(k8sm-daemon status etcd | cut -d' ' -f2)/cmdline")
    assert "--initial-cluster-state existing" in out
    # the override was for that start only: the node's argv file still has the topology's value
    code, out = etcd_lab.exec("etcd-0", "cat", "/etc/k8sm/daemons/etcd.argv")
    assert "--initial-cluster-state\nnew\n" in out


def test_a_lone_member_is_started_without_waiting_forever(etcd_lab):
    etcd_lab.ok("etcd", "--kill")
    run = etcd_lab.ok("etcd", "--start", "--node", "etcd-0")
    assert "1 of 3 members run; it becomes healthy once 2 do" in run.stdout
    run = etcd_lab.ok("etcd", "--start", timeout=120)
    assert "etcd: 3/3 healthy" in run.stdout
    code, out = etcdctl(etcd_lab, "etcd-1", "get", "/drill/before/7", "--print-value-only")
    assert (code, out.strip()) == (0, "7")
