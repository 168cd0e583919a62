"""Where a lab's nodes run: the one lookup node -> Target.

A lab whose nodes all sit on one machine has one Target: the local machine or
the -H host, exactly as always. A multi-host lab (hosts.yaml nodes with
`host:` on more than one host) has a Target per host of its `hosts:` section,
each opened over SSH from the host's address with the same SSH settings as -H.
A Placement runs execs like a Target (each job on its node's host) and names
the Target of a node, so node-level code (k8sm.node, the daemons) takes either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from k8sm import parallel
from k8sm.engine.errors import ContainerUnavailable
from k8sm.engine.wire import ExecResult, Job
from k8sm.errors import EngineError, HostUnreachable, K8smError
from k8sm.target import Target, Where
from k8sm.topology import Lab, Node, PhysicalHost

R = TypeVar("R")


class Placement:
    """A Target per host, and the host of every node of the lab."""

    def __init__(self, lab: Lab, targets: Mapping[str, Target], host_of: Mapping[str, str]) -> None:
        self.lab = lab
        self.targets = dict(targets)  # host name -> Target; the first is the Swarm manager
        self._host_of = dict(host_of)  # node name -> host name
        self._by_container = {n.container: n for n in lab.nodes}

    @classmethod
    def single(cls, target: Target, lab: Lab) -> Placement:
        """Every node on one machine (a lab that is not multi-host)."""
        return cls(lab, {target.label: target}, {n.name: target.label for n in lab.nodes})

    @property
    def multi_host(self) -> bool:
        return len(self.targets) > 1

    @property
    def label(self) -> str:
        if not self.multi_host:
            return self.manager.label
        return "hosts " + ", ".join(f"{name} ({t.label})" for name, t in self.targets.items())

    @property
    def manager(self) -> Target:
        """The first host's Target: the Swarm manager, where the overlay network is made."""
        return next(iter(self.targets.values()))

    def host_of(self, node: Node) -> str:
        return self._host_of[node.name]

    def for_node(self, node: Node) -> Target:
        return self.targets[self._host_of[node.name]]

    def nodes_on(self, host: str) -> tuple[Node, ...]:
        return tuple(n for n in self.lab.nodes if self._host_of.get(n.name) == host)

    def tell(self, host: str, say: Callable[[str], None]) -> Callable[[str], None]:
        """say, its lines prefixed `host NAME: ` in a multi-host lab."""
        return (lambda line: say(f"host {host}: {line}")) if self.multi_host else say

    def view(self, host: str) -> Lab:
        """The lab as one host holds it: only that host's nodes (for its images and names)."""
        if not self.multi_host:
            return self.lab
        return replace(self.lab, all_nodes=self.nodes_on(host))

    def exec_each(self, jobs: Sequence[Job]) -> list[ExecResult]:
        """Each (container, argv) on its node's host; the hosts at once, results in job order."""
        if not self.multi_host:
            return self.manager.exec_each(jobs)
        groups: dict[str, list[int]] = {}
        for i, (container, _) in enumerate(jobs):
            groups.setdefault(self._host_of[self._by_container[container].name], []).append(i)

        def run(host: str) -> list[ExecResult]:
            return self.targets[host].exec_each([jobs[i] for i in groups[host]])

        results: list[ExecResult | None] = [None] * len(jobs)
        for host, found in self.each_host(run, hosts=list(groups)).items():
            for i, result in zip(groups[host], found, strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    def open_tcp(self, ip: str, port: int, timeout: float) -> Any:
        """A TCP connection to a node's address, as Target.open_tcp; refused at once in a multi-host lab:
        the overlay's addresses are reachable from its containers only, not from the hosts."""
        if self.multi_host:
            raise ConnectionRefusedError("the overlay network's addresses are not reachable from the hosts")
        return self.manager.open_tcp(ip, port, timeout)

    def each_host(self, fn: Callable[[str], R], hosts: Sequence[str] | None = None) -> dict[str, R]:
        """fn(host) for every host (or those given) at once; the first failure is raised, naming its host."""
        outcomes = parallel.each(fn, list(self.targets) if hosts is None else hosts)
        for o in outcomes:
            if o.error is not None:
                raise on_host(o.item, o.error) if self.multi_host else o.error
        return {o.item: o.value for o in outcomes}  # type: ignore[misc]


def on_host(host: str, error: BaseException) -> BaseException:
    """error, its message prefixed with the host it happened on (an exec's own errors name their node)."""
    if isinstance(error, ContainerUnavailable) or not isinstance(error, K8smError) \
            or error.message.startswith(f"host {host}: "):
        return error
    kind = type(error) if isinstance(error, (EngineError, HostUnreachable)) else K8smError
    return kind(f"host {host}: {error.message}", error.hint)


def placed(where: Where, lab: Lab) -> Placement:
    """where as a Placement (a Target becomes a one-host Placement)."""
    if isinstance(where, Placement):
        return where
    assert isinstance(where, Target)
    return Placement.single(where, lab)


def open_hosts(config: Any, hosts: Sequence[PhysicalHost]) -> dict[str, Target]:
    """A Target per host, from its SSH address, with the SSH settings of config (-i, -S, -t, host keys).

    Nothing connects yet: each Target connects on first use, so one unreachable host
    does not hide the others.
    """
    from fabric import Connection

    from k8sm.sshaddr import parse_address
    from k8sm.target import target_for

    targets = {}
    for host in hosts:
        address = parse_address(host.address, f"hosts.yaml hosts.{host.name}.address")
        targets[host.name] = target_for(Connection(config=config, **address.connection_kwargs()))
    return targets


def open_lab(config: Any, lab: Lab) -> Placement:
    """The Placement of a multi-host lab: its hosts opened from hosts.yaml."""
    targets = open_hosts(config, lab.lab_hosts)
    return Placement(lab, targets, {n.name: n.host for n in lab.nodes})
