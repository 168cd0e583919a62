"""k8sm.plan: the one start plan, and everything that orders daemons taking it from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8sm import daemons, plan, topology
from k8sm.daemons import ALL, gates

HOSTS_YAML = Path(__file__).resolve().parents[2] / "hosts.yaml"


def test_the_registry_is_the_start_order():
    assert [d.name for d in daemons.ALL] == list(plan.START_ORDER)
    assert plan.START_ORDER == tuple(s.daemon for s in plan.PLAN)


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


def test_the_gates_are_the_plans_waits_in_its_order():
    for step in plan.PLAN:
        assert [g.daemon for g in gates.GATES.get(step.daemon, ())] == [w.daemon for w in step.waits]
    assert gates.GATES["scheduler"] == (gates.MESOS_LEADER, gates.APISERVER_HEALTHY)
    assert gates.GATES["mesos-master"] == (gates.ZOOKEEPER_QUORUM,)


def test_a_start_starts_its_steps_first_daemons_on_the_same_nodes():
    assert [d.name for d in daemons.first(daemons.by_name("mesos-slave"))] == ["docker"]
    assert all(daemons.by_name(n).role == daemons.by_name(s.daemon).role for s in plan.PLAN for n in s.first)


@pytest.mark.parametrize("bad", [
    (plan.Step("a", first=("b",)), plan.Step("b")),                        # needs a later step
    (plan.Step("a"), plan.Step("a")),                                      # a daemon twice
    (plan.Step("a"), plan.Step("b", waits=(plan.Wait("a", "asleep"),))),   # an unknown kind of wait
])
def test_a_plan_that_contradicts_itself_is_refused(bad):
    with pytest.raises(ImportError, match="k8sm.plan: step"):
        plan._check(bad)


def test_names_sort_into_start_and_stop_order():
    assert plan.in_start_order(["scheduler", "etcd", "docker"]) == ["etcd", "docker", "scheduler"]
    assert plan.in_stop_order(("apiserver", "scheduler", "controller-manager")) == [
        "scheduler", "controller-manager", "apiserver"]


def test_the_plan_file_lists_every_step_in_order():
    roles = {d.name: d.role for d in daemons.ALL}
    tasks = {d.name: d.task for d in daemons.ALL}
    lines = [line.split() for line in plan.plan_file(roles, tasks).splitlines() if not line.startswith("#")]
    assert [w[0] for w in lines] == list(plan.START_ORDER)
    assert ["mesos-slave", "minion", "mesos.slave", "docker"] in lines
    assert ["etcd", "etcd", "etcd", "-"] in lines


def test_daemons_start_in_the_originals_order():
    assert [d.name for d in ALL] == ["etcd", "zookeeper", "mesos-master", "docker", "mesos-slave", "apiserver",
                                     "controller-manager", "scheduler"]


def test_timeouts_know_every_daemon():
    assert list(topology.DAEMON_NAMES) == [d.name for d in ALL]


def test_up_orders_stages_by_the_gates_and_same_node_prerequisites():
    from k8sm.daemons import needs

    assert {d.name: needs(d) for d in ALL} == {
        "etcd": (), "zookeeper": (), "mesos-master": ("zookeeper",), "docker": (),
        "mesos-slave": ("mesos-master", "docker"), "apiserver": ("etcd",), "controller-manager": ("apiserver",),
        "scheduler": ("mesos-master", "apiserver"),
    }
    position = {d.name: i for i, d in enumerate(ALL)}
    assert all(position[n] < position[d.name] for d in ALL for n in needs(d))  # ALL is a start order
