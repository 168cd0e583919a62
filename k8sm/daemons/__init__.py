"""The lab's daemons, one module per family; this registry says which run where."""

from __future__ import annotations

from k8sm.daemons.base import Daemon, DaemonState
from k8sm.daemons.dind import DOCKER
from k8sm.daemons.etcd import ETCD
from k8sm.daemons.km import APISERVER, CONTROLLER_MANAGER, SCHEDULER
from k8sm.daemons.mesos import MESOS_AGENT, MESOS_MASTER
from k8sm.daemons.zookeeper import ZOOKEEPER
from k8sm.plan import START_ORDER, step

_KNOWN = {d.name: d for d in (ETCD, ZOOKEEPER, MESOS_MASTER, DOCKER, MESOS_AGENT, APISERVER, CONTROLLER_MANAGER,
                                SCHEDULER)}
if set(_KNOWN) != set(START_ORDER):
    raise ImportError(f"k8sm.plan.START_ORDER {START_ORDER} must name exactly the daemons {sorted(_KNOWN)}")

#: Every daemon, in start order (k8sm.plan).
ALL: tuple[Daemon, ...] = tuple(_KNOWN[name] for name in START_ORDER)


def for_role(role: str) -> tuple[Daemon, ...]:
    """The daemons a node of this role runs, in start order."""
    return tuple(d for d in ALL if d.role == role)


def stopping(role: str) -> tuple[Daemon, ...]:
    """The daemons a node of this role runs, in the order they stop: the start order reversed."""
    return tuple(reversed(for_role(role)))


def by_name(name: str) -> Daemon:
    """A daemon of the registry by its k8sm-daemon name."""
    for daemon in ALL:
        if daemon.name == name:
            return daemon
    raise KeyError(name)


def needs(daemon: Daemon) -> tuple[str, ...]:
    """The daemons that must be healthy before this one starts: its plan step's (k8sm.plan.Step.needs)."""
    return step(daemon.name).needs


def first(daemon: Daemon) -> tuple[Daemon, ...]:
    """The daemons of the same nodes that its own --start starts first (its plan step's `first`)."""
    return tuple(by_name(name) for name in step(daemon.name).first)


def mark_blocked(states: dict[str, list[DaemonState]]) -> dict[str, list[DaemonState]]:
    """The states, with daemons that need a daemon not installed anywhere marked as blocked by it
    (transitively, in start order: the controller-manager waits on the apiserver, and so on)."""
    from dataclasses import replace

    # daemon -> the daemon not installed that keeps it from running (itself, when it is not installed)
    root: dict[str, str] = {name: name for name, found in states.items()
                            if found and not any(s.installed for s in found)}
    marked = dict(states)
    for daemon in ALL:
        found = marked.get(daemon.name)
        if not found or daemon.name in root:
            continue
        missing = next((root[need] for need in needs(daemon) if need in root), None)
        if missing:
            marked[daemon.name] = [replace(s, blocked_by=missing) for s in found]
            if not any(s.running for s in found):
                root[daemon.name] = missing
    return marked
