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


def rows_from_states(lab: Lab, states: dict[str, list[DaemonState]]) -> list[NodeStatus]:
    """Status rows of a lab whose containers all run, from daemon states already checked."""
    by_node: dict[str, list[DaemonState]] = {}
    for daemon_states in states.values():
        for state in daemon_states:
            by_node.setdefault(state.node, []).append(state)
    order = {d.name: i for i, d in enumerate(daemons.ALL)}
    return [NodeStatus(n, "running", tuple(sorted(by_node.get(n.name, []), key=lambda s: order[s.daemon])))
            for n in lab.nodes]


#: Exit-code bits of `invoke status`, one per layer (as minikube's status does).
LAYERS: tuple[tuple[str, int, frozenset[str]], ...] = (
    ("containers", 1, frozenset()),
    ("etcd/zookeeper", 2, frozenset({"etcd", "zookeeper"})),
    ("mesos", 4, frozenset({"mesos-master", "docker", "mesos-slave"})),
    ("k8sm", 8, frozenset({"apiserver", "controller-manager", "scheduler"})),
)


def layer_health(rows: Sequence[NodeStatus]) -> dict[str, bool]:
    """Whether each layer is healthy. Daemons whose programs are not installed do not count."""
    health = {}
    for name, _, members in LAYERS:
        if not members:
            health[name] = all(r.container == "running" for r in rows)
        else:
            states = [d for r in rows for d in r.daemons if d.daemon in members and d.installed]
            health[name] = all(d.healthy for d in states)
    return health


def exit_code(rows: Sequence[NodeStatus]) -> int:
    """0 when all is healthy; else the sum of the bits of the unhealthy layers."""
    health = layer_health(rows)
    return sum(bit for name, bit, _ in LAYERS if not health[name])


def state_word(d: DaemonState) -> str:
    if not d.installed:
        return "not installed"
    if not d.running:
        return "stopped"
    return "healthy" if d.healthy else "unhealthy"


def as_json(lab: Lab, target_label: str, rows: Sequence[NodeStatus]) -> dict[str, object]:
    health = layer_health(rows)
    return {
        "lab": lab.name,
        "target": target_label,
        "exit_code": exit_code(rows),
        "layers": {name: "healthy" if ok else "unhealthy" for name, ok in health.items()},
        "nodes": [
            {"name": r.node.name, "role": r.node.role, "ip": r.node.ip, "container": r.container,
             "daemons": [{"name": d.daemon, "state": state_word(d), "pid": d.pid, "detail": d.detail}
                         for d in r.daemons]}
            for r in rows
        ],
    }


def table(rows: Sequence[NodeStatus]) -> str:
    header = ("NODE", "ROLE", "IP", "CONTAINER", "DAEMONS")
    lines = [header] + [(r.node.name, r.node.role, r.node.ip, r.container, r.daemon_summary) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
                     for line in lines)
