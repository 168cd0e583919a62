"""`invoke kubectl -- ARGS`: kubectl in the framework (or client) container."""

from __future__ import annotations

from k8sm.errors import K8smError
from k8sm.tasks._common import k8sm_task


@k8sm_task()
def kubectl(c):
    """Run kubectl in the framework container against the apiserver (not yet available: see README)."""
    raise K8smError("the kubectl task is not built yet in this version of k8sm", "see README, 'Mesos and km'")
