"""k8sm.tasks.executor: the `--` arguments reach kubectl only, and Invoke's own executor behaviour stays."""

from __future__ import annotations

import sys

import pytest
from fabric import Config as FabricConfig
from invoke import Collection, task

from k8sm.tasks.executor import args_after_dashes
from tests.cli import invoke


def test_args_after_the_first_double_dash():
    assert args_after_dashes(["invoke", "kubectl", "--", "get", "--", "x"]) == ["get", "--", "x"]
    assert args_after_dashes(["invoke", "kubectl"]) == []


def test_remainder_is_refused_for_other_tasks():
    run = invoke("status", "--", "get", "pods")
    assert run.code == 1 and run.stderr.strip() == (
        "k8sm: text after -- is passed only to `kubectl` (e.g. invoke kubectl -- get pods)")


# ------------------------------------------- pre/post tasks and dedupe, as in plain Invoke (invoke and k8sm)

ran: list[str] = []


@task
def setup(c):
    ran.append("setup")


@task
def teardown(c):
    ran.append("teardown")


@task(pre=[setup], post=[teardown])
def build(c):
    ran.append("build")


@task(pre=[setup])
def check(c):
    ran.append("check")


@task(autoprint=True)
def answer(c):
    return 42


def stand_in_program(kind):
    from invoke import Program

    from k8sm.cli import K8smExecutor, K8smProgram
    from k8sm.tasks.executor import Executor

    ns = Collection(setup, teardown, build, check, answer)
    if kind == "invoke":
        return Program(namespace=ns, executor_class=Executor, name="invoke", binary="invoke", version="0")
    return K8smProgram(namespace=ns, executor_class=K8smExecutor, config_class=FabricConfig, name="k8sm",
                       binary="k8sm", version="0")


@pytest.fixture(params=["invoke", "k8sm"])
def program(request, monkeypatch):
    monkeypatch.setattr(sys, "argv", [request.param])
    ran.clear()
    return lambda *argv: stand_in_program(request.param).run([request.param, *argv], exit=False)


def test_pre_and_post_tasks_run_around_their_task(program):
    program("build")
    assert ran == ["setup", "build", "teardown"]


def test_a_task_asked_for_twice_runs_once_and_so_does_a_shared_pre_task(program):
    program("build", "check", "build")
    assert ran == ["setup", "build", "teardown", "check"]


def test_dedupe_turned_off_in_the_config_runs_every_call(program, tmp_path):
    runtime = tmp_path / "runtime.yaml"
    runtime.write_text("tasks:\n  dedupe: false\n")
    program("-f", str(runtime), "build", "check")
    assert ran == ["setup", "build", "teardown", "setup", "check"]


def test_autoprint_prints_the_tasks_value(program, capsys):
    program("answer")
    assert capsys.readouterr().out == "42\n"
