"""The node -> Target lookup: each node's execs on its own host, one host's failure named, views per host."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pytest

from k8sm import topology
from k8sm.errors import EngineError, K8smError
from k8sm.node import exec_on
from k8sm.placement import Placement, placed
from k8sm.target import ContainerUnavailable, ExecResult, Target

LAB = topology.parse(textwrap.dedent("""
    hosts:
      a: {address: root@a}
      b: {address: root@b}
    lab: {container_prefix: "x-"}
    nodes:
      - {name: etcd-0, role: etcd}
      - {name: etcd-1, role: etcd, host: b}
      - {name: etcd-2, role: etcd, host: b}
      - {name: mesos-master-0, role: mesos-master}
      - {name: minion-0, role: minion, host: b}
    """))


class FakeTarget(Target):
    """A machine whose execs answer with the machine's label and the container; or fail as told."""

    def __init__(self, label: str, error: Exception | None = None) -> None:
        super().__init__(None, label)  # type: ignore[arg-type]
        self.error = error
        self.batches: list[list[str]] = []

    def exec_each(self, jobs: Sequence[tuple[str, Sequence[str]]]) -> list[ExecResult]:
        self.batches.append([c for c, _ in jobs])
        if self.error is not None:
            raise self.error
        return [ExecResult(0, f"{self.label}:{c}:{' '.join(argv)}") for c, argv in jobs]


def spread(a: FakeTarget | None = None, b: FakeTarget | None = None) -> Placement:
    return Placement(LAB, {"a": a or FakeTarget("A"), "b": b or FakeTarget("B")}, {n.name: n.host for n in LAB.nodes})


def test_each_exec_runs_on_its_nodes_host_in_one_batch_per_host_and_keeps_the_order():
    a, b = FakeTarget("A"), FakeTarget("B")
    results = exec_on(spread(a, b), [(n, ["true"]) for n in LAB.nodes])
    assert [r.output for r in results] == ["A:x-etcd-0:true", "B:x-etcd-1:true", "B:x-etcd-2:true",
                                           "A:x-mesos-master-0:true", "B:x-minion-0:true"]
    assert a.batches == [["x-etcd-0", "x-mesos-master-0"]] and b.batches == [["x-etcd-1", "x-etcd-2", "x-minion-0"]]


def test_a_failing_host_is_named():
    down = FakeTarget("B", EngineError("no Docker engine is running on root@b", "start it"))
    with pytest.raises(EngineError) as info:
        exec_on(spread(b=down), [(n, ["true"]) for n in LAB.nodes])
    assert str(info.value) == "host b: no Docker engine is running on root@b; start it"


def test_a_missing_container_is_still_reported_for_its_node():
    missing = FakeTarget("B", ContainerUnavailable("x-etcd-1", "missing"))
    with pytest.raises(K8smError, match="^node etcd-1 has no container"):
        exec_on(spread(b=missing), [(LAB.node("etcd-1"), ["true"])])


def test_for_node_view_and_nodes_on():
    where = spread()
    assert where.for_node(LAB.node("etcd-1")).label == "B" and where.for_node(LAB.node("etcd-0")).label == "A"
    assert [n.name for n in where.nodes_on("a")] == ["etcd-0", "mesos-master-0"]
    assert [n.name for n in where.view("b").nodes] == ["etcd-1", "etcd-2", "minion-0"]
    assert where.manager.label == "A" and where.label == "hosts a (A), b (B)"


def test_a_single_target_is_a_one_host_placement_that_changes_nothing():
    target = FakeTarget("local")
    where = placed(target, LAB)
    assert not where.multi_host and where.view(where.host_of(LAB.nodes[0])) is LAB
    assert where.label == "local" and where.tell("local", print) is print
    with pytest.raises(EngineError, match="^boom$"):  # not prefixed: there is one host
        Placement.single(FakeTarget("local", EngineError("boom")), LAB).exec_each([("x-etcd-0", ["true"])])


def test_the_overlay_is_not_reachable_from_the_hosts():
    with pytest.raises(ConnectionRefusedError):
        spread().open_tcp("10.0.0.1", 2379, 1.0)


def test_host_lines_are_prefixed_in_a_multi_host_lab():
    said: list[str] = []
    spread().tell("b", said.append)("images: all up to date")
    assert said == ["host b: images: all up to date"]
