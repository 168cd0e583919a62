"""The lab's state: each node's container and each daemon's health, as rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from k8sm import daemons, labels, parallel
from k8sm.daemons import health as daemon_health
from k8sm.daemons.base import DaemonState
from k8sm.errors import K8smError
from k8sm.lab import list_containers, on_own_host
from k8sm.output import columns
from k8sm.placement import Placement, placed
from k8sm.target import Target, Where
from k8sm.topology import Lab, Node


@dataclass(frozen=True)
class NodeStatus:
    node: Node
    container: str  # running, exited, created, missing; "unreachable (host b: why)" in a multi-host lab
    daemons: tuple[DaemonState, ...] = ()
    host: str = ""  # the host it runs on, in a multi-host lab

    @property
    def unreachable(self) -> bool:
        return self.container.startswith(UNREACHABLE_WORD)

    @property
    def daemon_summary(self) -> str:
        if not self.daemons:
            return "-"
        return ", ".join(f"{d.daemon}: {d.summary}" for d in self.daemons)


#: How the container column starts for the nodes of a host that cannot be reached.
UNREACHABLE_WORD = "unreachable"


def collect(where: Where, lab: Lab) -> list[NodeStatus]:
    """One container listing, then every running node's daemons checked at once: over the network,
    and by exec only where that leaves a doubt (k8sm.daemons.health).

    The daemons of a node whose container does not run are down with it (so their layer is
    unhealthy too), except those whose programs the lab has not installed. In a multi-host lab,
    the nodes of a host that cannot be reached are `unreachable (host b: why)`, their daemons
    unknown; when no host can be reached, the first one's error is raised.
    """
    placement = placed(where, lab)
    listing, unreachable = host_listings(placement, lab)
    containers = {c["Labels"].get(labels.NODE): c for c in listing}
    state_of = {n.name: containers[n.name]["State"] if n.name in containers else "missing" for n in lab.nodes}
    for n in lab.nodes:
        if placement.host_of(n) in unreachable:
            state_of[n.name] = f"{UNREACHABLE_WORD} (host {placement.host_of(n)}: {unreachable[placement.host_of(n)]})"
    jobs = [(n, daemons.for_role(n.role)) for n in lab.nodes
            if state_of[n.name] == "running" and daemons.for_role(n.role)]
    census = daemon_health.census_of(lab, listing)
    checked = dict(zip((n.name for n, _ in jobs), daemon_health.check(placement, lab, jobs, census), strict=True))
    down = [n for n in lab.nodes if state_of[n.name] != "running" and daemons.for_role(n.role)]
    installed: dict[str, set[str]] = {}
    for n in down:
        host = placement.host_of(n)
        if host in unreachable:
            checked[n.name] = [DaemonState(n.name, d.name, running=False, probe_error=f"host {host} cannot be reached")
                               for d in daemons.for_role(n.role)]
            continue
        if host not in installed:
            installed[host] = installed_dists(placement.targets[host], lab)
        checked[n.name] = [DaemonState(n.name, d.name, running=False, detail=f"container {state_of[n.name]}",
                                       installed=d.dist is None or d.dist in installed[host])
                           for d in daemons.for_role(n.role)]
    return with_hosts(placement, rows_from_checked(lab, state_of, checked))


def with_hosts(placement: Placement, rows: list[NodeStatus]) -> list[NodeStatus]:
    """rows with each node's host, in a multi-host lab (the table then has a HOST column)."""
    return [replace(r, host=placement.host_of(r.node)) for r in rows] if placement.multi_host else rows


def host_listings(placement: Placement, lab: Lab) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The lab's containers, each from its own host's listing, and the hosts that could not be listed
    (with why). Raises when none could (or when a single host cannot: status's exit code 32)."""
    from k8sm.placement import on_host

    def listing(host: str) -> list[dict[str, Any]]:
        return list_containers(placement.targets[host], lab)

    outcomes = parallel.each(listing, list(placement.targets))
    failed = [(o.item, o.error) for o in outcomes if o.error is not None]
    if failed and (len(failed) == len(outcomes) or not all(isinstance(error, K8smError) for _, error in failed)):
        host, error = failed[0]
        raise on_host(host, error) if placement.multi_host else error
    found = [c for o in outcomes if o.value is not None for c in on_own_host(placement, o.item, o.value)]
    return found, {host: str(error) for host, error in failed}


def rows_from_checked(lab: Lab, state_of: dict[str, str], checked: dict[str, list[DaemonState]]) -> list[NodeStatus]:
    """Rows from each node's daemon states, with daemons blocked by one not installed marked so."""
    by_daemon: dict[str, list[DaemonState]] = {}
    for node_states in checked.values():
        for state in node_states:
            by_daemon.setdefault(state.daemon, []).append(state)
    marked = {(s.node, s.daemon): s for found in daemons.mark_blocked(by_daemon).values() for s in found}
    return [NodeStatus(n, state_of[n.name], tuple(marked[(n.name, d.daemon)] for d in checked.get(n.name, ())))
            for n in lab.nodes]


def installed_dists(target: Target, lab: Lab) -> set[str]:
    """The distributions (mesos, kubernetes) built for this lab on the target."""
    from k8sm import dists

    return {d.name for d in dists.DISTS.values() if dists.present(target, lab, d)}


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
#: Set when some daemon's state could not be read (its probe's answer was lost or malformed twice).
UNKNOWN_BIT = 16
#: The whole exit code when the engine (or the SSH host) cannot be reached: nothing could be checked.
#: Added to the other bits when some, not all, hosts of a multi-host lab cannot be reached.
UNREACHABLE = 32


def layer_health(rows: Sequence[NodeStatus]) -> dict[str, bool]:
    """Whether each layer is healthy. Daemons not installed, and daemons whose state is unknown, do not count."""
    health = {}
    for name, _, members in LAYERS:
        if not members:
            health[name] = all(r.container == "running" for r in rows)
        else:
            states = [d for r in rows for d in r.daemons if d.daemon in members and d.counts]
            health[name] = all(d.healthy for d in states) and not (
                "mesos-master" in members and _masters_without_leader(rows))
    return health


def _masters_without_leader(rows: Sequence[NodeStatus]) -> bool:
    """Mesos masters that all answer, none of them leading: healthy one by one, but the
    cluster does no work (e.g. while a new leader is elected, or without a quorum). Not
    judged while some master's state is unknown (it may be the leader)."""
    masters = [d for r in rows for d in r.daemons if d.daemon == "mesos-master"]
    if any(not d.known for d in masters):
        return False
    answering = [d for d in masters if d.installed and d.running and d.healthy]
    return bool(answering) and not any(d.detail == "leader" for d in answering)


def exit_code(rows: Sequence[NodeStatus]) -> int:
    """0 when all is healthy; else the sum of the bits of the unhealthy layers, plus UNKNOWN_BIT, plus
    UNREACHABLE when some host of a multi-host lab cannot be reached (its nodes count as not running)."""
    health = layer_health(rows)
    unknown = any(not d.known for r in rows for d in r.daemons)
    cut_off = any(r.unreachable for r in rows)
    return (sum(bit for name, bit, _ in LAYERS if not health[name]) + (UNKNOWN_BIT if unknown else 0)
            + (UNREACHABLE if cut_off else 0))


def state_word(d: DaemonState) -> str:
    return d.word


def as_json(lab: Lab, target_label: str, rows: Sequence[NodeStatus]) -> dict[str, object]:
    health = layer_health(rows)
    return {
        "lab": lab.name,
        "target": target_label,
        "exit_code": exit_code(rows),
        "layers": {name: "healthy" if ok else "unhealthy" for name, ok in health.items()},
        "nodes": [
            {"name": r.node.name, **({"host": r.host} if r.host else {}), "role": r.node.role, "ip": r.node.ip,
             "container": r.container,
             "daemons": [{"name": d.daemon, "state": state_word(d), "pid": d.pid, "via": d.via,
                          "detail": d.detail if d.known else f"probe failed: {d.probe_error}"}
                         for d in r.daemons]}
            for r in rows
        ],
    }


def table(rows: Sequence[NodeStatus]) -> str:
    """The status table; with a HOST column in a multi-host lab."""
    hosts = any(r.host for r in rows)
    header = ("NODE", *(("HOST",) if hosts else ()), "ROLE", "IP", "CONTAINER", "DAEMONS")
    lines = [header] + [(r.node.name, *((r.host,) if hosts else ()), r.node.role, r.node.ip, r.container,
                         r.daemon_summary) for r in rows]
    return "\n".join(columns(lines))
