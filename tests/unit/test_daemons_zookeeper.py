"""k8sm.daemons.zookeeper: the ensemble's config, ids, URL and probe, from the default and a non-default topology."""

from __future__ import annotations

import pytest

from k8sm.daemons import zookeeper


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
