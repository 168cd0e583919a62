"""`invoke logs NODE` when the engine loses an exec's output: asked again, never empty with exit 0."""

from __future__ import annotations

import pytest

from k8sm import logs, topology
from k8sm.errors import K8smError
from k8sm.node import LOST
from k8sm.target import ExecResult
from tests.cli import ROOT

LAB = topology.load(ROOT / "hosts.yaml")
NODE = LAB.node("etcd-0")
LOG = "== etcd ==\nstarted\n"


class LossyTarget:
    """Answers each exec from a queue of results; records what was asked."""

    def __init__(self, *answers: ExecResult) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, list[str]]] = []

    def exec_each(self, jobs):
        self.asked.extend((container, list(argv)) for container, argv in jobs)
        return [self.answers.pop(0) for _ in jobs]


def test_an_answer_lost_once_is_asked_again_and_shown():
    target = LossyTarget(ExecResult(LOST, ""), ExecResult(0, LOG))
    assert logs.show(target, NODE, ["etcd"], 20) == LOG
    assert len(target.asked) == 2 and target.asked[0] == target.asked[1]
    assert target.asked[0][0] == NODE.container


@pytest.mark.parametrize("second", [ExecResult(LOST, ""), ExecResult(LOST, "== etc")])
def test_an_answer_lost_twice_is_an_error_not_an_empty_log(second):
    target = LossyTarget(ExecResult(LOST, ""), second)
    with pytest.raises(K8smError, match="could not read the logs of etcd-0 .the engine lost the output twice"):
        logs.show(target, NODE, ["etcd"], 20)


def test_a_failing_tail_names_its_exit_code_briefly():
    target = LossyTarget(ExecResult(2, "tail: cannot open\n" + "x" * 500))
    with pytest.raises(K8smError) as caught:
        logs.show(target, NODE, ["etcd"], 20)
    assert "exit 2: tail: cannot open" in caught.value.message and len(caught.value.message) < 200
