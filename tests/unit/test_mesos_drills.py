"""The master drill's follow-up of km's scheduler, which (in 2015's km) exits with its master."""

from __future__ import annotations

from k8sm import mesos_drills, topology
from k8sm.daemons import control
from k8sm.daemons.base import DaemonState
from tests.cli import ROOT


def running(healthy: bool) -> DaemonState:
    return DaemonState("kubernetes-mesos", "scheduler", running=True, pid=7, healthy=healthy,
                       detail="registered with Mesos as f-1" if healthy else "healthz ok, but not registered")


STOPPED = DaemonState("kubernetes-mesos", "scheduler", running=False)
ABSENT = DaemonState("kubernetes-mesos", "scheduler", running=False, installed=False)


def drive(monkeypatch, seen: list[DaemonState]) -> tuple[str, list[str], list[str]]:
    """Run the follow-up with the scheduler's states in this order (the last one repeats)."""
    answers, started, said = list(seen), [], []
    monkeypatch.setattr(control, "states", lambda *a, **k: [answers.pop(0) if len(answers) > 1 else answers[0]])
    monkeypatch.setattr(control, "start", lambda target, lab, daemon, nodes, say, **k: started.append(daemon.name))
    monkeypatch.setattr(mesos_drills.time, "sleep", lambda s: None)
    clock = iter(range(0, 10_000))
    monkeypatch.setattr(mesos_drills.time, "monotonic", lambda: float(next(clock)))
    return mesos_drills._scheduler_after_failover(None, lab_of(), said.append), started, said


def lab_of():
    return topology.load(ROOT / "hosts.yaml")


def test_a_scheduler_that_exited_with_its_master_is_started_again(monkeypatch):
    verdict, started, said = drive(monkeypatch, [running(False), running(False), STOPPED])
    assert started == ["scheduler"]
    assert "re-registered after a restart" in verdict
    assert any("exited with its master" in line for line in said)


def test_a_scheduler_registered_with_the_new_leader_is_left_alone(monkeypatch):
    verdict, started, _ = drive(monkeypatch, [running(False), running(True)])
    assert started == [] and verdict == "; km scheduler stayed registered"


def test_a_scheduler_that_never_registers_is_reported_not_hidden(monkeypatch):
    verdict, started, _ = drive(monkeypatch, [running(False)])
    assert started == [] and "not registered with the new leader" in verdict


def test_no_km_installed_says_nothing_of_it(monkeypatch):
    verdict, started, _ = drive(monkeypatch, [ABSENT])
    assert (verdict, started) == ("", [])
