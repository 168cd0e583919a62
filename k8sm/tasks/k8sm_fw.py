"""`invoke k8sm.*`: the kubernetes-mesos framework daemons (km) on the framework node."""

from __future__ import annotations

from invoke import Collection

from k8sm.errors import K8smError
from k8sm.tasks._common import k8sm_task
from k8sm.tasks._daemon import VERB_HELP

_HELP = {k: v for k, v in VERB_HELP.items() if k != "node"}

_KM_PENDING = ("the km daemons are not built yet in this version of k8sm",
               "see README, 'Mesos and km': they arrive with `invoke build.k8s`")


@k8sm_task(help=_HELP, aliases=["apiserver"])
def api(c, start=False, kill=False, status=False, timeout=60, wait=True):
    """Start, kill or show `km apiserver` (not yet available: see README)."""
    raise K8smError(*_KM_PENDING)


@k8sm_task(help=_HELP, aliases=["controller-manager"])
def cm(c, start=False, kill=False, status=False, timeout=60, wait=True):
    """Start, kill or show `km controller-manager` (not yet available: see README)."""
    raise K8smError(*_KM_PENDING)


@k8sm_task(help=_HELP, aliases=["scheduler"])
def sd(c, start=False, kill=False, status=False, timeout=60, wait=True):
    """Start, kill or show `km scheduler` (not yet available: see README)."""
    raise K8smError(*_KM_PENDING)


@k8sm_task(name="kill", help={"all": "kill scheduler, controller-manager and apiserver"})
def kill_(c, all=False):
    """Kill km daemons (not yet available: see README)."""
    raise K8smError(*_KM_PENDING)


ns = Collection("k8sm", api, cm, sd, kill_)
