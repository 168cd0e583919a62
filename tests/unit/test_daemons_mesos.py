"""k8sm.daemons.mesos: Mesos masters and agents, command lines and probes, from the default and a non-default topology."""

from __future__ import annotations

import json

import pytest

from k8sm.daemons import mesos
from k8sm.daemons.base import Health
from k8sm.errors import K8smError


def test_master_argv_default(lab):
    assert mesos.master_argv(lab, lab.node("mesos-master-1")) == [
        "mesos-master", "--ip=172.30.1.5", "--hostname=mesos-master-1", "--port=5050", "--cluster=k8sm",
        "--zk=zk://172.30.1.4:2181,172.30.1.5:2181,172.30.1.6:2181/mesos", "--quorum=2",
        "--registry=replicated_log", "--work_dir=/var/lib/k8sm/mesos", "--log_dir=/var/log/k8sm/mesos",
    ]


def test_master_argv_other_topology_and_overrides(other):
    argv = mesos.master_argv(other, other.node("m4"))
    assert "--quorum=3" in argv and "--cluster=other" in argv and "--port=15050" in argv
    assert f"--zk=zk://{','.join(f'10.9.0.{11 + i}:12181' for i in range(5))}/mesos" in argv
    o = mesos.MasterOverrides(quorum=1, cluster="solo", zk="zk://10.9.0.11:12181/m")
    o.validate(other)
    argv = mesos.master_argv(other, other.node("m0"), o)
    assert {"--quorum=1", "--cluster=solo", "--zk=zk://10.9.0.11:12181/m"} <= set(argv)


@pytest.mark.parametrize("overrides", [
    mesos.MasterOverrides(quorum=0), mesos.MasterOverrides(quorum=4), mesos.MasterOverrides(cluster="a b"),
    mesos.MasterOverrides(zk="http://x"), mesos.MasterOverrides(zk="zk://h:1/p;reboot"),
])
def test_master_overrides_are_validated(lab, overrides):
    with pytest.raises(K8smError):
        overrides.validate(lab)


def test_agent_argv_default_and_other(lab, other):
    assert mesos.agent_argv(lab, lab.node("kubernetes-minion-2")) == [
        "k8sm-mesos-agent", "--master=zk://172.30.1.4:2181,172.30.1.5:2181,172.30.1.6:2181/mesos",
        "--ip=172.30.1.10", "--hostname=kubernetes-minion-2", "--port=5051", "--containerizers=docker,mesos",
        "--docker=docker", "--launcher=posix", "--systemd_enable_support=false", "--work_dir=/var/lib/k8sm/mesos",
        "--log_dir=/var/log/k8sm/mesos",
    ]
    argv = mesos.agent_argv(other, other.node("w0"), mesos.AgentOverrides(containerizers="mesos"))
    assert "--port=15051" in argv and "--containerizers=mesos" in argv and "--ip=10.9.0.17" in argv
    with pytest.raises(K8smError):
        mesos.AgentOverrides(containerizers="rkt").validate(other)


@pytest.mark.parametrize(("output", "healthy", "detail"), [
    ('{"pid":"master@10.0.0.1:5050","leader":"master@10.0.0.1:5050"}\n@@http 200\n', True, "leader"),
    ('{"pid":"master@10.0.0.2:5050","leader":"master@10.0.0.1:5050"}\n@@http 200\n', True, "standby"),
    ("\n@@http 307\n", True, "standby"),
    ("\n@@http 000\n", False, "not answering"),
    ("\n@@http 503\n", False, "HTTP 503"),
    # a 200 that is no master's state is not a standby: it is unclear (asked again by exec)
    ('{"state":"StateCandidate"}\n@@http 200\n', False, "unreadable state"),
    ('[1, 2]\n@@http 200\n', False, "unreadable state"),
    ('{"pid":"master@10.0.0.2:5050","leader":"master@10.0.0.1:50\n@@http 200\n', False, "unreadable state"),
])
def test_master_probe(output, healthy, detail):
    assert (mesos.parse_master_probe(output).healthy, mesos.parse_master_probe(output).detail) == (healthy, detail)


def test_agent_probe():
    assert mesos.parse_agent_probe('{"master_hostname":"mesos-master-1"}\n@@http 200\n').detail == (
        "registered with mesos-master-1")
    assert not mesos.parse_agent_probe('{"id":"x"}\n@@http 200\n').healthy


STATE = '{"master_hostname":"mesos-master-1"}\n@@http 200\n'


@pytest.mark.parametrize(("metrics", "healthy", "detail"), [
    ('{"slave/registered":1.0}\n@@http 200\n', True, "registered with mesos-master-1"),
    # a real agent names the master it detected before that master accepts it
    ('{"slave/registered":0.0}\n@@http 200\n', False, "not registered yet (detected mesos-master-1)"),
    # no readable metrics: the state decides, as before
    ("\n@@http 000\n", True, "registered with mesos-master-1"),
    ('<html>\n@@http 200\n', True, "registered with mesos-master-1"),
    ('{"slave/registered":"yes"}\n@@http 200\n', True, "registered with mesos-master-1"),
])
def test_agent_registration_comes_from_its_metrics(metrics, healthy, detail):
    assert mesos.parse_agent_probe(STATE + metrics) == Health(healthy, detail)


def test_agent_probe_asks_state_and_metrics_the_same_way_in_and_out_of_the_container(lab):
    minion = lab.node("kubernetes-minion-0")
    argv = mesos.agent_probe_argv(lab, minion)
    assert argv[0] == "curl" and argv[-2:] == [f"http://{minion.ip}:5051/state",
                                              f"http://{minion.ip}:5051/metrics/snapshot"]
    net = mesos.agent_net_probe(lab, minion)
    assert [(a.ip, a.port, a.path) for a in net.asks] == [(minion.ip, 5051, "/state"),
                                                          (minion.ip, 5051, "/metrics/snapshot")]
    assert mesos.parse_agent_probe(net.combine([STATE, '{"slave/registered":0.0}\n@@http 200\n'])).healthy is False
    assert mesos.parse_agent_probe(net.combine(["\n@@http 000\n", "\n@@http 000\n"])) == Health(False, "not answering")


def test_leader_from_zookeeper_masterinfo():
    info = {"hostname": "mesos-master-2", "port": 5050, "address": {"hostname": "mesos-master-2",
                                                                    "ip": "172.30.1.6", "port": 5050}}
    leader = mesos.parse_leader("Connecting to 127.0.0.1:2181\n" + json.dumps(info) + "\n")
    assert leader == mesos.Leader("mesos-master-2", "172.30.1.6", 5050)
    # older MasterInfo: ip as a little-endian integer, no address
    old = mesos.parse_leader(json.dumps({"hostname": "m", "ip": 0x0601_1EAC, "port": 5050}))
    assert old == mesos.Leader("m", "172.30.1.6", 5050)
    assert mesos.parse_leader("no json here") is None


def test_registered_agents():
    body = {"slaves": [{"hostname": "kubernetes-minion-1", "active": True}, {"hostname": "kubernetes-minion-0"},
                       {"hostname": "gone", "active": False}]}
    assert mesos.parse_agents(json.dumps(body) + "\n@@http 200\n") == ["kubernetes-minion-0", "kubernetes-minion-1"]
    assert mesos.parse_agents("\n@@http 000\n") == []
