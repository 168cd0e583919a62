"""The lab's daemons, one module per family; this registry says which run where."""

from __future__ import annotations

from k8sm.daemons.base import Daemon
from k8sm.daemons.dind import DOCKER
from k8sm.daemons.etcd import ETCD
from k8sm.daemons.km import APISERVER, CONTROLLER_MANAGER, SCHEDULER
from k8sm.daemons.mesos import MESOS_AGENT, MESOS_MASTER
from k8sm.daemons.zookeeper import ZOOKEEPER

#: Every daemon, in start order.
ALL: tuple[Daemon, ...] = (ETCD, ZOOKEEPER, MESOS_MASTER, DOCKER, MESOS_AGENT, APISERVER, CONTROLLER_MANAGER,
                           SCHEDULER)


def for_role(role: str) -> tuple[Daemon, ...]:
    """The daemons a node of this role runs, in start order."""
    return tuple(d for d in ALL if d.role == role)


def by_name(name: str) -> Daemon:
    """A daemon of the registry by its k8sm-daemon name."""
    for daemon in ALL:
        if daemon.name == name:
            return daemon
    raise KeyError(name)
