"""scripts/k8sm.sh, mesos.sh, etcd-cluster.sh (with seed-cli.sh) and the plan questions of scripts/k8sm-daemon
(order, task, dir), run for real here: names, orders, tasks and directories all come from the start plan."""

from __future__ import annotations

import os
import subprocess

import pytest

from k8sm import labspec, plan
from tests.cli import ROOT

SCRIPTS = ROOT / "scripts"


class Node:
    """A stand-in node: the plan file, argv files and node.env in a temp directory; every `k8sm-daemon kill`
    and `start` recorded (not run), every other question answered by the real k8sm-daemon."""

    def __init__(self, root, daemons):
        self.root = root
        self.argv_dir = root / "argv"
        self.argv_dir.mkdir()
        (root / "plan").write_text(labspec.plan_file())
        (root / "node.env").write_text("K8SM_NODE=node-1\n")
        for name in daemons:
            (self.argv_dir / f"{name}.argv").write_text(f"prog-{name}\n--flag\n")
        bin_dir = root / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "k8sm-daemon"
        shim.write_text(f'#!/bin/bash\ncase "$1" in start|kill) echo "$*" >> {root}/calls ;;\n'
                        f'*) exec bash {SCRIPTS / "k8sm-daemon"} "$@" ;; esac\n')
        shim.chmod(0o755)
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "K8SM_PLAN": str(root / "plan"),
                    "K8SM_ARGV_DIR": str(self.argv_dir), "K8SM_RUN_DIR": str(root / "run"),
                    "K8SM_LOG_DIR": str(root / "log"), "K8SM_NODE_ENV": str(root / "node.env")}

    def run(self, script, *args):
        return subprocess.run(["bash", str(SCRIPTS / script), *args], env=self.env, capture_output=True, text=True,
                              timeout=30)

    def calls(self):
        path = self.root / "calls"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def framework(tmp_path):
    return Node(tmp_path, ["apiserver", "controller-manager", "scheduler"])


@pytest.fixture
def minion(tmp_path):
    return Node(tmp_path, ["docker", "mesos-slave"])


def test_order_is_the_plans(framework):
    assert framework.run("k8sm-daemon", "order").stdout.split() == list(plan.START_ORDER)
    assert framework.run("k8sm-daemon", "order", "--stop").stdout.split() == list(reversed(plan.START_ORDER))
    assert framework.run("k8sm-daemon", "order", "--of", "mesos").stdout.split() == [
        "zookeeper", "mesos-master", "docker", "mesos-slave"]
    assert framework.run("k8sm-daemon", "order", "--stop", "etcd", "scheduler", "docker").stdout.split() == [
        "scheduler", "docker", "etcd"]


def test_task_and_dir_come_from_the_plan_and_the_environment(framework):
    assert framework.run("k8sm-daemon", "task", "controller-manager").stdout == "k8sm.cm\n"
    assert framework.run("k8sm-daemon", "dir", "argv").stdout == f"{framework.argv_dir}\n"
    unknown = framework.run("k8sm-daemon", "task", "nosuch")
    assert unknown.returncode == 1 and "nosuch is not in the start plan" in unknown.stderr
    assert framework.run("k8sm-daemon", "order", "nosuch").returncode == 1


def test_without_a_plan_the_questions_say_who_writes_it(framework):
    (framework.root / "plan").unlink()
    result = framework.run("k8sm-daemon", "order")
    assert result.returncode == 1 and "no start plan" in result.stderr and "invoke run" in result.stderr
    assert framework.run("k8sm.sh", "k", "all").returncode != 0 and framework.calls() == []


def test_kill_all_stops_the_km_daemons_in_reverse_start_order(framework):
    assert framework.run("k8sm.sh", "kill", "all").returncode == 0
    assert framework.calls() == ["kill scheduler", "kill controller-manager", "kill apiserver"]


def test_status_lists_this_nodes_daemons_in_start_order(minion):
    out = minion.run("mesos.sh", "st").stdout.splitlines()
    assert [line.split()[0] for line in out] == ["docker", "mesos-slave"]
    assert all(line.split()[1] == "stopped" for line in out)


def test_manual_mode_names_the_task_from_the_plan(framework, tmp_path):
    out = framework.run("k8sm.sh", "sd", "manual").stdout
    assert "prog-scheduler --flag" in out and "invoke k8sm.sd --start [options]" in out
    (tmp_path / "m").mkdir()
    out = Node(tmp_path / "m", ["mesos-slave"]).run("mesos.sh", "ms", "m").stdout
    assert "invoke mesos.slave --start --node node-1 [options]" in out
    (tmp_path / "e").mkdir()
    etcd = Node(tmp_path / "e", ["etcd"])
    assert "invoke etcd --start --node node-1 [--name N]" in etcd.run("etcd-cluster.sh", "e", "m").stdout


def test_start_and_kill_of_one_daemon(minion):
    assert minion.run("mesos.sh", "ms", "start").returncode == 0
    assert minion.run("mesos.sh", "k", "d").returncode == 0
    assert minion.calls() == ["start mesos-slave", "kill docker"]
