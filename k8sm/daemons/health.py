"""Daemon states the cheap way: the network first, an exec only where the network leaves a doubt.

Every daemon with a network probe (Daemon.net_probe) is asked from outside its
container, all at once (k8sm.probes). A clearly healthy answer is taken as it
is. A daemon whose program the node's image does not hold (the image's
io.k8sm.dists label) is not installed. Everything else (no answer, a
malformed or unhealthy answer, a daemon with no network probe) is checked as
before, by one `k8sm-daemon check` per node for just those daemons, which
reads the pid file and runs the in-container probe: only that can tell a
stopped daemon from one that does not answer, and a lost exec answer stays
`unknown`, never `stopped`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from k8sm import labels, probes
from k8sm.daemons import control
from k8sm.daemons.base import Daemon, DaemonState, NetProbe
from k8sm.target import Where
from k8sm.topology import Lab, Node

Job = tuple[Node, Sequence[Daemon]]
#: The probe_error of a daemon whose network answer was not clearly healthy, when no exec was asked for.
UNCLEAR = "no clear answer on the network"


@dataclass(frozen=True)
class Census:
    """What the engine's container list says of the running nodes: each one's address on the lab
    network, and the distributions its image holds (None: the image does not say)."""

    ips: Mapping[str, str]
    dists: Mapping[str, frozenset[str] | None]

    def reachable(self, node: Node) -> bool:
        """Whether node runs at its topology address on the lab network (so it may be asked there)."""
        return self.ips.get(node.name) == node.ip

    def lacks(self, node: Node, daemon: Daemon) -> bool:
        """Whether node's image is known not to hold daemon's distribution."""
        held = self.dists.get(node.name)
        return daemon.dist is not None and held is not None and daemon.dist not in held


def census_of(lab: Lab, containers: Iterable[Mapping[str, Any]]) -> Census:
    """The census from a listing of the lab's containers (k8sm.lab.list_containers)."""
    ips: dict[str, str] = {}
    held: dict[str, frozenset[str] | None] = {}
    for c in containers:
        node = (c.get("Labels") or {}).get(labels.NODE)
        if not node or c.get("State") != "running":
            continue
        network = ((c.get("NetworkSettings") or {}).get("Networks") or {}).get(lab.network.name) or {}
        if network.get("IPAddress"):
            ips[node] = network["IPAddress"]
        value = (c.get("Labels") or {}).get(labels.DISTS)
        held[node] = None if value is None else frozenset(v for v in value.split(",") if v)
    return Census(ips, held)


def take_census(target: Where, lab: Lab) -> Census:
    """The census, from one container listing."""
    from k8sm.lab import list_containers

    return census_of(lab, list_containers(target, lab))


def check(target: Where, lab: Lab, jobs: Sequence[Job], census: Census | None = None, *,
          exec_unclear: bool = True) -> list[list[DaemonState]]:
    """Each job's daemon states, in order: from the network where clearly healthy, from the image where
    not installed, else from one `k8sm-daemon check` per node (exec_unclear=False: unknown instead)."""
    if not jobs:
        return []
    census = census if census is not None else take_census(target, lab)
    found: dict[tuple[str, str], DaemonState] = {}
    asked: list[tuple[Node, Daemon, NetProbe]] = []
    for node, node_daemons in jobs:
        for daemon in node_daemons:
            if census.reachable(node) and census.lacks(node, daemon):
                found[(node.name, daemon.name)] = DaemonState(node.name, daemon.name, running=False,
                                                              installed=False, via="image")
            elif census.reachable(node) and daemon.net_probe is not None:
                asked.append((node, daemon, daemon.net_probe(lab, node)))
    found.update(_from_network(target, census, asked))
    unclear = [(node, [d for d in node_daemons if (node.name, d.name) not in found]) for node, node_daemons in jobs]
    unclear = [(node, node_daemons) for node, node_daemons in unclear if node_daemons]
    if exec_unclear and unclear:
        for (node, _), states in zip(unclear, control.check_nodes(target, unclear), strict=True):
            found.update({(node.name, s.daemon): s for s in states})
    else:
        found.update({(node.name, d.name): DaemonState(node.name, d.name, running=False, probe_error=UNCLEAR)
                      for node, node_daemons in unclear for d in node_daemons})
    return [[found[(node.name, d.name)] for d in node_daemons] for node, node_daemons in jobs]


def _from_network(target: Where, census: Census, asked: Sequence[tuple[Node, Daemon, NetProbe]]
                  ) -> dict[tuple[str, str], DaemonState]:
    """The daemons whose network answers say healthy. Only the lab's running containers are asked."""
    allowed = set(census.ips.values())
    flat = [a for _, _, probe in asked for a in probe.asks if a.ip in allowed]
    answers = iter(probes.ask_all(target.open_tcp, flat))
    healthy = {}
    for node, daemon, probe in asked:
        output = probe.combine([next(answers) if a.ip in allowed else probes.no_answer(a) for a in probe.asks])
        health = daemon.parse_probe(output)
        if health.healthy:
            healthy[(node.name, daemon.name)] = DaemonState(node.name, daemon.name, running=True, healthy=True,
                                                            detail=health.detail, via="network")
    return healthy


def states(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node], census: Census | None = None, *,
           exec_unclear: bool = True) -> list[DaemonState]:
    """One daemon's state on each node, the cheap way (see check)."""
    return [s[0] for s in check(target, lab, [(n, [daemon]) for n in nodes], census, exec_unclear=exec_unclear)]
