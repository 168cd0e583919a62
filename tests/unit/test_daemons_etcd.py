"""k8sm.daemons.etcd: command lines, overrides and probe, from the default and a non-default topology."""

from __future__ import annotations

import pytest

from k8sm.daemons import etcd
from k8sm.errors import K8smError


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
