"""k8sm.plan: the one start order, and everything that orders daemons taking it from there."""

from __future__ import annotations

from pathlib import Path

from k8sm import daemons, plan, topology

HOSTS_YAML = Path(__file__).resolve().parents[2] / "hosts.yaml"


def test_the_registry_is_the_start_order():
    assert [d.name for d in daemons.ALL] == list(plan.START_ORDER)


def test_each_daemon_starts_after_what_it_needs():
    position = {name: i for i, name in enumerate(plan.START_ORDER)}
    for daemon in daemons.ALL:
        assert all(position[need] < position[daemon.name] for need in daemons.needs(daemon)), daemon.name


def test_stopping_is_the_start_order_backwards():
    assert [d.name for d in daemons.stopping("framework")] == ["scheduler", "controller-manager", "apiserver"]
    for role in ("etcd", "mesos-master", "minion", "framework"):
        assert daemons.stopping(role) == tuple(reversed(daemons.for_role(role)))


def test_timeouts_take_the_plans_names():
    assert topology.DAEMON_NAMES == plan.START_ORDER
    text = HOSTS_YAML.read_text() + "\ntimeouts:\n  default: 30\n  scheduler: 50\n"
    lab = topology.parse(text)
    assert lab.timeouts.of("scheduler") == 50 and lab.timeouts.of("etcd") == 30
