"""Swarm plans from the hosts' states: what init and leave do to each host, and what they refuse."""

from __future__ import annotations

import pytest

from k8sm import swarm
from k8sm.engine import SwarmState
from k8sm.errors import K8smError
from k8sm.target import Target


def member(host: str, state: str = "inactive", *, node: str = "", manager: bool = False, engine: str = "",
           managers: tuple[str, ...] = (), error: str = "") -> swarm.Member:
    found = SwarmState(engine_id=engine or f"engine-{host}", state=state, node_id=node, manager=manager,
                       node_addr=f"10.0.0.{ord(host[0]) - 96}", cluster_id="c1" if manager else "",
                       managers=managers, error=error)
    return swarm.Member(host, Target(None, f"root@{host}"), found)


def actions(plan: list[tuple[swarm.Member, str]]) -> list[tuple[str, str]]:
    return [(m.host, a) for m, a in plan]


def test_init_from_nothing_creates_and_joins():
    assert actions(swarm.plan_init([member("a"), member("b"), member("c")], None)) == [
        ("a", "create"), ("b", "join"), ("c", "join")]


def test_init_again_changes_nothing():
    hosts = [member("a", "active", node="na", manager=True), member("b", "active", node="nb")]
    assert actions(swarm.plan_init(hosts, {"na", "nb"})) == [("a", "manager"), ("b", "member")]


def test_init_joins_a_new_host_to_the_existing_swarm():
    hosts = [member("a", "active", node="na", manager=True), member("b", "active", node="nb"), member("c")]
    assert actions(swarm.plan_init(hosts, {"na", "nb"})) == [("a", "manager"), ("b", "member"), ("c", "join")]


@pytest.mark.parametrize("cluster", [None, {"na"}])
def test_a_host_in_another_swarm_is_refused(cluster):
    manager = member("a", "active", node="na", manager=True) if cluster else member("a")
    other = member("b", "active", node="nb", managers=("192.0.2.9:2377",))
    with pytest.raises(K8smError) as info:
        swarm.plan_init([manager, other], cluster)
    assert str(info.value) == ("host b is already in another Swarm (its managers: 192.0.2.9:2377); take it out there "
                               "(`docker swarm leave` on b) or list that Swarm's manager first")


def test_the_first_host_must_not_be_a_worker():
    with pytest.raises(K8smError, match="host a is a worker in a Swarm, and the first host must be its manager"):
        swarm.plan_init([member("a", "active", node="na"), member("b")], None)


@pytest.mark.parametrize("state", ["pending", "error", "locked"])
def test_an_unsettled_host_is_refused(state):
    with pytest.raises(K8smError, match=f"host b is in Swarm state {state}: boom"):
        swarm.plan_init([member("a"), member("b", state, error="boom")], None)


def test_one_engine_named_twice_is_refused():
    with pytest.raises(K8smError, match="hosts a and b reach the same Docker engine"):
        swarm.plan_init([member("a", engine="e1"), member("b", engine="e1")], None)


def test_leave_goes_workers_first_and_leaves_other_swarms_alone():
    hosts = [member("a", "active", node="na", manager=True), member("b", "active", node="nb"),
             member("c", "active", node="nc"), member("d")]
    assert actions(swarm.plan_leave(hosts, {"na", "nb"})) == [("b", "leave"), ("c", "other"), ("d", "none"),
                                                              ("a", "leave")]


def test_leave_refuses_to_end_a_swarm_with_other_live_nodes():
    hosts = [member("a", "active", node="na", manager=True), member("b", "active", node="nb")]
    with pytest.raises(K8smError, match="has 1 node\\(s\\) besides the lab's hosts"):
        swarm.plan_leave(hosts, {"na", "nb", "stranger"})


def test_leave_when_nothing_is_in_a_swarm():
    assert actions(swarm.plan_leave([member("a"), member("b")], None)) == [("b", "none"), ("a", "none")]


def test_joined_problem_names_the_first_host_that_is_out():
    manager = member("a", "active", node="na", manager=True)
    assert swarm.joined_problem([manager, member("b", "active", node="nb")], {"na", "nb"}) == ""
    assert swarm.joined_problem([manager, member("b")], {"na"}) == "host b is not in the Swarm of host a"
    assert swarm.joined_problem([member("a"), member("b")], None) == "host a is not a Swarm manager"


def test_an_unreachable_host_stops_init_with_its_reason():
    gone = swarm.Member("b", Target(None, "root@b"), None, problem="b refused the SSH connection")
    with pytest.raises(K8smError, match="^host b: b refused the SSH connection$"):
        swarm.reachable([member("a"), gone])


def test_status_table():
    manager = member("a", "active", node="na", manager=True)
    gone = swarm.Member("c", Target(None, "root@c"), None, problem="no answer")
    lines = swarm.table([manager, member("b", "active", node="nb"), gone, member("d")], {"na", "nb"}).splitlines()
    assert [line.split() for line in lines] == [
        ["HOST", "ADDRESS", "STATE", "ROLE", "SWARM"],
        ["a", "10.0.0.1", "active", "manager", "c1"],
        ["b", "10.0.0.2", "active", "worker", "c1"],
        ["c", "root@c", "unreachable", "(no", "answer)", "-", "-"],
        ["d", "10.0.0.4", "inactive", "-", "-"],
    ]
