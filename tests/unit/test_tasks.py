"""The task collection: every namespace listed, every option explained, errors as one line."""

from __future__ import annotations

import inspect

import pytest

from k8sm.tasks import ns
from tests.cli import invoke


def all_tasks(collection, prefix=""):
    for name, task in collection.tasks.items():
        yield prefix + name, task
    for name, sub in collection.collections.items():
        yield from all_tasks(sub, prefix + name + ".")


def test_list_shows_every_namespace():
    run = invoke("--list")
    assert run.code == 0, run
    for name in ("build.images (build)", "build.base", "build.k8s", "run", "rm", "status", "etcd", "mesos.zk",
                 "mesos.master", "mesos.slave", "k8sm.api", "k8sm.cm", "k8sm.sd", "k8sm.kill", "kubectl"):
        assert name in run.stdout, run


@pytest.mark.parametrize(("name", "task"), list(all_tasks(ns)), ids=[n for n, _ in all_tasks(ns)])
def test_every_task_and_option_has_help(name, task):
    assert task.__doc__ and task.__doc__.strip(), f"{name} has no docstring"
    params = [p for p in inspect.signature(task.body).parameters if p != "c"]
    missing = [p for p in params if p not in task.help]
    assert not missing, f"{name}: options without help: {missing}"


def test_help_of_a_task_runs():
    run = invoke("--help", "etcd")
    assert run.code == 0 and "--initial-cluster" in run.stdout and "--node" in run.stdout


def test_broken_hosts_yaml_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "hosts.yaml"
    bad.write_text("nodes:\n  - {name: etcd-0, role: etcd, ip: 999.1.1.1}\n  - {name: m, role: mesos-master}\n")
    run = invoke("status", hosts=bad)
    assert run.code == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stderr.strip() == f"k8sm: {bad}: nodes[0].ip: '999.1.1.1' is not an IP address"


def test_unknown_node_is_one_line(tmp_path):
    run = invoke("etcd", "--status", "--node", "etcd-9")
    assert run.code == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("k8sm: unknown node 'etcd-9' in lab 'k8sm'; nodes are: etcd-0, etcd-1")


def test_conflicting_actions_are_refused():
    run = invoke("mesos.zk", "--start", "--kill")
    assert run.code == 1 and "choose one of --start, --kill, --status" in run.stderr


def test_manual_overrides_need_start_and_node():
    run = invoke("etcd", "--start", "--name", "x")
    assert run.code == 1 and "--name needs --node" in run.stderr
    run = invoke("etcd", "--status", "--token", "t")
    assert run.code == 1 and "only apply to --start" in run.stderr
