"""The lab's state: each node's container and each daemon's health, as rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from k8sm import daemons, labels
from k8sm.daemons.base import DaemonState
from k8sm.daemons.control import check_nodes
from k8sm.lab import list_containers
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
    """One container listing, then every running node's daemons checked at once."""
    containers = {c["Labels"].get(labels.NODE): c for c in list_containers(target, lab)}
    state_of = {n.name: containers[n.name]["State"] if n.name in containers else "missing" for n in lab.nodes}
    jobs = [(n, daemons.for_role(n.role)) for n in lab.nodes
            if state_of[n.name] == "running" and daemons.for_role(n.role)]
    checked = dict(zip((n.name for n, _ in jobs), check_nodes(target, jobs), strict=True))
    return [NodeStatus(n, state_of[n.name], tuple(checked.get(n.name, ()))) for n in lab.nodes]


def table(rows: Sequence[NodeStatus]) -> str:
    header = ("NODE", "ROLE", "IP", "CONTAINER", "DAEMONS")
    lines = [header] + [(r.node.name, r.node.role, r.node.ip, r.container, r.daemon_summary) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
                     for line in lines)
