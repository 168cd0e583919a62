"""`invoke mesos.*`: ZooKeeper and Mesos on the mesos-master and minion nodes."""

from __future__ import annotations

from invoke import Collection

from k8sm.errors import K8smError
from k8sm.tasks._common import k8sm_task
from k8sm.tasks._daemon import VERB_HELP, control


@k8sm_task(help=VERB_HELP, aliases=["zookeeper"])
def zk(c, start=False, kill=False, status=False, node=None, timeout=60, wait=True):
    """Start, kill or show ZooKeeper on the mesos-master nodes (leader or follower per node).

    Examples: invoke mesos.zk --start; invoke mesos.zk --kill --node mesos-master-0
    """
    from k8sm.daemons.zookeeper import ZOOKEEPER

    control(c, ZOOKEEPER, start=start, kill=kill, status=status, node=node, timeout=int(timeout), wait=wait)


_MESOS_PENDING = ("Apache Mesos support is not built yet in this version of k8sm",
                  "see README, 'Mesos and km': it arrives with `invoke build.mesos`")


@k8sm_task(help=VERB_HELP, aliases=["mesos-master"])
def master(c, start=False, kill=False, status=False, node=None, timeout=60, wait=True):
    """Start, kill or show the Mesos masters (not yet available: see README)."""
    raise K8smError(*_MESOS_PENDING)


@k8sm_task(help=VERB_HELP, aliases=["mesos-slave"])
def slave(c, start=False, kill=False, status=False, node=None, timeout=60, wait=True):
    """Start, kill or show the Mesos agents on the minions (not yet available: see README)."""
    raise K8smError(*_MESOS_PENDING)


ns = Collection("mesos", zk, master, slave)
