"""`invoke k8sm.*`: the kubernetes-mesos framework daemons (km) on the framework node."""

from __future__ import annotations

from invoke import Collection

from k8sm.tasks._common import k8sm_task, lab_of, say, where_of
from k8sm.tasks._daemon import VERB_HELP, control

_HELP = {k: v for k, v in VERB_HELP.items() if k != "node"}


@k8sm_task(help=_HELP, aliases=["apiserver"])
def api(c, start=False, kill=False, status=False, timeout=60, wait=True):
    """Start, kill or show `km apiserver`; starts once etcd is healthy.

    km comes from `invoke build.k8s`. Example: invoke k8sm.api --start
    """
    from k8sm.daemons.km import APISERVER

    control(c, APISERVER, start=start, kill=kill, status=status, node=None, timeout=int(timeout), wait=wait)


@k8sm_task(help=_HELP, aliases=["controller-manager"])
def cm(c, start=False, kill=False, status=False, timeout=60, wait=True):
    """Start, kill or show `km controller-manager`; starts once the apiserver answers."""
    from k8sm.daemons.km import CONTROLLER_MANAGER

    control(c, CONTROLLER_MANAGER, start=start, kill=kill, status=status, node=None, timeout=int(timeout),
            wait=wait)


@k8sm_task(help=_HELP, aliases=["scheduler"])
def sd(c, start=False, kill=False, status=False, timeout=60, wait=True):
    """Start, kill or show `km scheduler`; starts once a Mesos master leads and the apiserver answers."""
    from k8sm.daemons.km import SCHEDULER

    control(c, SCHEDULER, start=start, kill=kill, status=status, node=None, timeout=int(timeout), wait=wait)


@k8sm_task(name="kill", help={"all": "kill all three, in reverse start order: scheduler, controller-manager, apiserver"})
def kill_(c, all=False):
    """Kill the km daemons (the original's `k8sm.sh kill all`); --all is required, as a safety."""
    from k8sm.daemons import verbs
    from k8sm.errors import K8smError

    if not all:
        raise K8smError("k8sm.kill stops every km daemon", "say so with --all, or stop one with k8sm.api|cm|sd --kill")
    verbs.stop_role(where_of(c), lab_of(c), "framework", say)  # in reverse plan order: scheduler first


ns = Collection("k8sm", api, cm, sd, kill_)
