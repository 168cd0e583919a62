"""Daemon command lines and config files generated from the topology."""

from __future__ import annotations

import textwrap

import pytest

from k8sm import topology
from k8sm.daemons import etcd, zookeeper
from k8sm.daemons.base import argv_file
from k8sm.errors import K8smError
from tests.cli import ROOT


@pytest.fixture(scope="module")
def lab():
    return topology.load(ROOT / "hosts.yaml")


@pytest.fixture(scope="module")
def other_lab():
    return topology.parse(textwrap.dedent("""
        network: {subnet: 10.77.0.0/24, first_ip: 10.77.0.20}
        ports: {etcd_client: 12379, etcd_client_legacy: 14001, etcd_peer: 12380, zookeeper_client: 12181,
                zookeeper_peer: 12888, zookeeper_election: 13888}
        etcd: {cluster_token: other-token}
        nodes:
          - {name: e0, role: etcd}
          - {name: e1, role: etcd}
          - {name: e2, role: etcd}
          - {name: e3, role: etcd}
          - {name: e4, role: etcd}
          - {name: zk, role: mesos-master}
    """))


def test_etcd_argv_default(lab):
    assert etcd.argv(lab, lab.node("etcd-1")) == [
        "etcd",
        "--name", "etcd-1",
        "--data-dir", "/var/lib/k8sm/etcd",
        "--listen-client-urls",
        "http://172.30.1.2:2379,http://172.30.1.2:4001,http://127.0.0.1:2379,http://127.0.0.1:4001",
        "--advertise-client-urls", "http://172.30.1.2:2379,http://172.30.1.2:4001",
        "--listen-peer-urls", "http://172.30.1.2:2380",
        "--initial-advertise-peer-urls", "http://172.30.1.2:2380",
        "--initial-cluster",
        "etcd-0=http://172.30.1.1:2380,etcd-1=http://172.30.1.2:2380,etcd-2=http://172.30.1.3:2380",
        "--initial-cluster-state", "new",
        "--initial-cluster-token", "k8sm-etcd-cluster",
        "--enable-v2=true",
    ]


def test_etcd_argv_other_topology(other_lab):
    argv = etcd.argv(other_lab, other_lab.node("e4"))
    flags = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert flags["--initial-cluster"] == ",".join(f"e{i}=http://10.77.0.{20 + i}:12380" for i in range(5))
    assert flags["--advertise-client-urls"] == "http://10.77.0.24:12379,http://10.77.0.24:14001"
    assert flags["--initial-cluster-token"] == "other-token"
    assert etcd.endpoints(other_lab, legacy=True) == ",".join(f"http://10.77.0.{20 + i}:14001" for i in range(5))


def test_etcd_overrides_replace_the_topology(lab):
    o = etcd.Overrides(name="x", initial_cluster="x=http://172.30.1.1:2380", cluster_state="existing", token="t")
    o.validate()
    argv = etcd.argv(lab, lab.node("etcd-0"), o)
    flags = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert flags["--name"] == "x"
    assert flags["--initial-cluster"] == "x=http://172.30.1.1:2380"
    assert flags["--initial-cluster-state"] == "existing"
    assert flags["--initial-cluster-token"] == "t"


@pytest.mark.parametrize("overrides", [
    etcd.Overrides(name="a b"),
    etcd.Overrides(name="$(reboot)"),
    etcd.Overrides(initial_cluster="etcd-0=http://1.2.3.4:2380;reboot"),
    etcd.Overrides(initial_cluster="nonsense"),
    etcd.Overrides(cluster_state="old"),
    etcd.Overrides(token="a b"),
])
def test_etcd_overrides_are_validated(overrides):
    with pytest.raises(K8smError):
        overrides.validate()


@pytest.mark.parametrize(("output", "healthy", "detail"), [
    ('{"name":"etcd-1","state":"StateLeader","leaderInfo":{"leader":"d5bb"}}\n@@http 200\n', True, "leader"),
    ('{"name":"etcd-0","state":"StateFollower","leaderInfo":{"leader":"d5bb"}}\n@@http 200\n', True, "follower"),
    ('{"name":"etcd-0","state":"StateFollower","leaderInfo":{}}\n@@http 200\n', False, "no leader"),
    ('{"name":"etcd-0","state":"StateCandidate"}\n@@http 200\n', False, "no leader"),
    ("\n@@http 000\n", False, "not answering"),
    ("not json\n@@http 200\n", False, "unreadable stats"),
])
def test_etcd_probe_parsing(output, healthy, detail):
    health = etcd.parse_probe(output)
    assert (health.healthy, health.detail) == (healthy, detail)


def test_zookeeper_config_and_ids(lab):
    cfg = zookeeper.zoo_cfg(lab)
    assert "server.1=172.30.1.4:2888:3888\nserver.2=172.30.1.5:2888:3888\nserver.3=172.30.1.6:2888:3888\n" in cfg
    assert "clientPort=2181\n" in cfg and "dataDir=/var/lib/k8sm/zookeeper\n" in cfg
    assert "4lw.commands.whitelist=srvr" in cfg
    files = zookeeper.ZOOKEEPER.node_files(lab, lab.node("mesos-master-2"))
    assert files["/var/lib/k8sm/zookeeper/myid"].content == "3\n"
    assert files["/etc/k8sm/zookeeper/zoo.cfg"].content == cfg
    assert files["/etc/k8sm/daemons/zookeeper.argv"].content.splitlines()[-1] == "/etc/k8sm/zookeeper/zoo.cfg"


def test_zookeeper_other_topology(other_lab):
    cfg = zookeeper.zoo_cfg(other_lab)
    assert "server.1=10.77.0.25:12888:13888\n" in cfg and "clientPort=12181\n" in cfg
    assert zookeeper.zk_url(other_lab) == "zk://10.77.0.25:12181/mesos"


def test_zk_url_lists_every_master(lab):
    assert zookeeper.zk_url(lab) == "zk://172.30.1.4:2181,172.30.1.5:2181,172.30.1.6:2181/mesos"


@pytest.mark.parametrize(("output", "healthy", "detail"), [
    ("Zookeeper version: 3.8.0\nMode: leader\nNode count: 5\n", True, "leader"),
    ("Zookeeper version: 3.8.0\nMode: follower\n", True, "follower"),
    ("Mode: standalone\n", True, "standalone"),
    ("This ZooKeeper instance is not currently serving requests\n", False, "not serving (no quorum)"),
    ("bash: connect: Connection refused\n", False, "not answering"),
])
def test_zookeeper_probe_parsing(output, healthy, detail):
    health = zookeeper.parse_srvr(output)
    assert (health.healthy, health.detail) == (healthy, detail)


def test_argv_file_is_one_argument_per_line_and_refuses_newlines():
    assert argv_file(["etcd", "--name", "a b"]).content == "etcd\n--name\na b\n"
    with pytest.raises(ValueError):
        argv_file(["etcd", "--name", "a\nb"])
    with pytest.raises(ValueError):
        argv_file(["etcd", ""])


def test_probe_files_are_written_beside_the_argv(lab):
    files = etcd.ETCD.node_files(lab, lab.node("etcd-0"))
    probe = files["/etc/k8sm/daemons/etcd.probe"].content.splitlines()
    assert probe[0] == "curl" and probe[-1] == "http://127.0.0.1:2379/v2/stats/self"


def test_parse_check_output():
    from k8sm.daemons.control import parse_check

    reports = parse_check("@@daemon zookeeper running 42\n@@probe\nZookeeper version: 3.8\nMode: leader\n\n"
                          "@@daemon mesos-master stopped\n@@daemon other running 7\n@@probe\n\n"
                          "@@daemon bare running 9\n@@daemon km absent km\n")
    assert (reports["zookeeper"].running, reports["zookeeper"].pid) == (True, 42)
    assert zookeeper.parse_srvr(reports["zookeeper"].probe_output).detail == "leader"
    assert not reports["mesos-master"].running and reports["mesos-master"].pid is None
    assert reports["other"].probe_output == ""
    assert reports["bare"].probe_output is None
    assert not reports["km"].installed and not reports["km"].running and reports["mesos-master"].installed
    assert parse_check("garbage\n") == {}
