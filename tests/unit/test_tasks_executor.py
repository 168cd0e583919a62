"""k8sm.tasks.executor: the `--` arguments reach kubectl only, and Invoke's own executor behaviour stays."""

from __future__ import annotations

from k8sm.tasks.executor import args_after_dashes
from tests.cli import invoke


def test_args_after_the_first_double_dash():
    assert args_after_dashes(["invoke", "kubectl", "--", "get", "--", "x"]) == ["get", "--", "x"]
    assert args_after_dashes(["invoke", "kubectl"]) == []


def test_remainder_is_refused_for_other_tasks():
    run = invoke("status", "--", "get", "pods")
    assert run.code == 1 and run.stderr.strip() == (
        "k8sm: text after -- is passed only to `kubectl` (e.g. invoke kubectl -- get pods)")
