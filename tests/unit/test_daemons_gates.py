"""k8sm.daemons.gates: wait_gates and wait_for with stand-in checks, no engine."""

from __future__ import annotations

import pytest

from k8sm.daemons import ETCD, gates, health
from k8sm.errors import DaemonError


@pytest.fixture(autouse=True)
def no_census(monkeypatch):
    monkeypatch.setattr(health, "take_census", lambda target, lab: health.Census({}, {}))


def gate(check):
    return gates.Gate("a stand-in", "etcd", check, "invoke stand-in --start")


def test_a_gate_is_asked_thoroughly_first_and_passes_once_open():
    asked = []

    def check(target, lab, census, thorough):
        asked.append(thorough)
        return None if len(asked) >= 3 else "not yet"

    said = []
    gates.wait_gates(None, None, [gate(check)], ETCD, said.append, timeout=10)
    assert asked[0] is True and len(asked) == 3
    assert said == ["etcd: waiting for a stand-in (not yet)"]


def test_a_gate_that_stays_closed_is_named_with_the_task_that_opens_it():
    with pytest.raises(DaemonError) as caught:
        gates.wait_gates(None, None, [gate(lambda *a: "still closed")], ETCD, lambda line: None, timeout=0.3)
    assert "etcd needs a stand-in" in caught.value.message and "still closed" in caught.value.message
    assert caught.value.hint == "run `invoke stand-in --start` first"


def test_no_gates_asks_nothing(monkeypatch):
    monkeypatch.setattr(health, "take_census", lambda *a: pytest.fail("asked the engine"))
    gates.wait_gates(None, None, [], ETCD, lambda line: None, timeout=1)


def test_a_daemons_gates_are_the_plans_and_open_in_its_order(monkeypatch):
    from k8sm import plan
    from k8sm.daemons import SCHEDULER

    asked = []

    def stand_in(real):
        def check(target, lab, census, thorough):
            asked.append(real.daemon)
            return None if asked.count(real.daemon) >= 2 else "not yet"
        return gates.Gate(real.what, real.daemon, check, real.opened_by)

    monkeypatch.setitem(gates.GATES, "scheduler", tuple(stand_in(g) for g in gates.GATES["scheduler"]))
    said = []
    gates.wait_for(None, None, SCHEDULER, said.append, timeout=10)
    assert [w.daemon for w in plan.step("scheduler").waits] == ["mesos-master", "apiserver"]
    assert asked == ["mesos-master", "mesos-master", "apiserver", "apiserver"]
    assert said == ["km scheduler: waiting for a leading Mesos master (not yet)",
                    "km scheduler: waiting for an apiserver that answers /healthz (not yet)"]
