"""The lab's state: each node's container and each daemon's health, as rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from k8sm import daemons, labels, parallel
from k8sm.daemons.base import DaemonState
from k8sm.daemons.control import state
from k8sm.lab import list_containers
from k8sm.node import NodeHandle
from k8sm.target import Target
from k8sm.topology import Lab, Node


@dataclass(frozen=True)
class NodeStatus:
    node: Node
    container: str  # running, exited, created, missing
    daemons: tuple[DaemonState, ...] = ()

    @property
    def daemon_summary(self) -> str:
        if not self.daemons:
            return "-"
        return ", ".join(f"{d.daemon}: {d.summary}" for d in self.daemons)


def collect(target: Target, lab: Lab) -> list[NodeStatus]:
    """One container listing, then every running node's daemons probed in parallel."""
    containers = {c["Labels"].get(labels.NODE): c for c in list_containers(target, lab)}

    def one(node: Node) -> NodeStatus:
        info = containers.get(node.name)
        container_state = info["State"] if info else "missing"
        if container_state != "running":
            return NodeStatus(node, container_state)
        handle = NodeHandle(target, node)
        return NodeStatus(node, container_state, tuple(state(handle, d, lab) for d in daemons.for_role(node.role)))

    outcomes = parallel.each(one, lab.nodes, workers=8)
    for o in outcomes:
        if not o.ok:
            raise o.error  # type: ignore[misc]
    return [o.value for o in outcomes if o.value is not None]


def table(rows: Sequence[NodeStatus]) -> str:
    header = ("NODE", "ROLE", "IP", "CONTAINER", "DAEMONS")
    lines = [header] + [(r.node.name, r.node.role, r.node.ip, r.container, r.daemon_summary) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
                     for line in lines)
