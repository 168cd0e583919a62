"""k8sm.up.early_workload_checks: a no-op `up` asks the minions which workload images they lack
while the stages are checked, and uses the answer only when it can be trusted."""

from __future__ import annotations

import threading

import pytest

from k8sm import up, workloads


class FakePlacement:
    def view(self, host: str) -> str:
        return f"lab-on-{host}"


def test_nothing_is_asked_early_when_a_container_changed(monkeypatch):
    asked = []
    monkeypatch.setattr(workloads, "missing", lambda target, lab: asked.append(lab) or {})
    with up.early_workload_checks([("a", object())], FakePlacement(), start=False) as early:
        pass
    assert early == {} and asked == []


def test_each_host_is_asked_during_the_block_and_answers_after_it(monkeypatch):
    release = threading.Event()
    asked = []

    def missing(target, lab):
        asked.append(lab)
        release.wait(5)
        return {"kubernetes-minion-0": [lab]}

    monkeypatch.setattr(workloads, "missing", missing)
    with up.early_workload_checks([("a", object()), ("b", object())], FakePlacement(), start=True) as early:
        assert early == {}  # nothing is read before the block ends
        release.set()
    assert sorted(asked) == ["lab-on-a", "lab-on-b"]
    assert early == {"a": {"kubernetes-minion-0": ["lab-on-a"]}, "b": {"kubernetes-minion-0": ["lab-on-b"]}}


def test_a_host_whose_check_failed_is_left_out_to_be_asked_again(monkeypatch):
    def missing(target, lab):
        if lab == "lab-on-b":
            raise RuntimeError("container is not running")
        return {}

    monkeypatch.setattr(workloads, "missing", missing)
    with up.early_workload_checks([("a", object()), ("b", object())], FakePlacement(), start=True) as early:
        pass
    assert early == {"a": {}}


def test_an_error_in_the_block_still_waits_for_the_checks_and_propagates(monkeypatch):
    done = []
    monkeypatch.setattr(workloads, "missing", lambda target, lab: done.append(lab) or {})
    with pytest.raises(ValueError):
        with up.early_workload_checks([("a", object())], FakePlacement(), start=True):
            raise ValueError("a stage failed")
    assert done == ["lab-on-a"]


def test_load_uses_the_early_answer_instead_of_asking_again(monkeypatch):
    class Lab:
        def role(self, name):
            return ["kubernetes-minion-0"]

    monkeypatch.setattr(workloads, "missing", lambda target, lab: pytest.fail("asked again"))
    assert workloads.load(object(), Lab(), print, found={}) == 0
