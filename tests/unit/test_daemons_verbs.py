"""k8sm.daemons.verbs: a daemon task's --start follows its plan step; --kill and k8sm.kill stop in reverse order."""

from __future__ import annotations

import pytest

from k8sm import topology
from k8sm.daemons import APISERVER, ETCD, MESOS_AGENT, control, gates, verbs
from k8sm.daemons.base import DaemonState
from tests.cli import ROOT

LAB = topology.load(ROOT / "hosts.yaml")


@pytest.fixture
def steps(monkeypatch):
    """Every engine-touching step replaced by one that records what it was asked to do."""
    done = []
    monkeypatch.setattr(control, "prepare", lambda t, lab, d, nodes: done.append(("prepare", d.name)))
    monkeypatch.setattr(gates, "wait_for", lambda t, lab, d, say, timeout: done.append(("gates", d.name)))
    monkeypatch.setattr(control, "start", lambda t, lab, d, nodes, say, **kw: done.append(("start", d.name)) or [])
    monkeypatch.setattr(control, "kill", lambda t, lab, d, nodes, say: done.append(("kill", d.name)))
    monkeypatch.setattr(control, "states", lambda t, lab, d, nodes: [DaemonState(n.name, d.name, True, 1, True)
                                                                     for n in nodes])
    return done


def test_start_prepares_waits_for_the_gates_starts_the_steps_first_daemons_then_it(steps):
    verbs.start(None, LAB, MESOS_AGENT, LAB.role("minion"), lambda line: None, timeout=5)
    assert steps == [("prepare", "mesos-slave"), ("prepare", "docker"), ("gates", "mesos-slave"),
                     ("start", "docker"), ("start", "mesos-slave")]


def test_act_returns_the_states_to_show_and_nothing_after_a_kill(steps):
    said = []
    shown = verbs.act(None, LAB, ETCD, "status", LAB.role("etcd"), said.append, timeout=5)
    assert [s.node for s in shown] == ["etcd-0", "etcd-1", "etcd-2"] and steps == []
    assert verbs.act(None, LAB, ETCD, "kill", LAB.role("etcd"), said.append, timeout=5) == []
    assert steps == [("kill", "etcd")] and said == ["etcd: stopping on etcd-0, etcd-1, etcd-2"]
    verbs.act(None, LAB, APISERVER, "start", LAB.role("framework"), said.append, timeout=5)
    assert steps[1:] == [("prepare", "apiserver"), ("gates", "apiserver"), ("start", "apiserver")]


def test_stop_role_stops_in_reverse_plan_order(steps):
    said = []
    verbs.stop_role(None, LAB, "framework", said.append)
    assert steps == [("kill", "scheduler"), ("kill", "controller-manager"), ("kill", "apiserver")]
    assert said == ["km scheduler: stopping", "km controller-manager: stopping", "km apiserver: stopping"]


def test_status_exits_3_unless_healthy_everywhere():
    ok, bad = DaemonState("a", "etcd", True, 1, True), DaemonState("b", "etcd", False)
    assert verbs.exit_code("status", [ok]) == 0 and verbs.exit_code("status", [ok, bad]) == verbs.NOT_HEALTHY == 3
    assert verbs.exit_code("start", [ok, bad]) == 0
