"""`invoke etcd`: the etcd cluster on the etcd nodes."""

from __future__ import annotations

from k8sm.tasks._common import k8sm_task
from k8sm.tasks._daemon import VERB_HELP, control


@k8sm_task(
    help={
        **VERB_HELP,
        "name": "member name to use instead of the node's (with --node; the original's manual mode)",
        "initial_cluster": "NAME=http://IP:PORT,... instead of the one built from hosts.yaml",
        "cluster_state": "'new' (default) or 'existing' (to join a running cluster)",
        "token": "initial cluster token instead of etcd.cluster_token",
    },
)
def etcd(c, start=False, kill=False, status=False, node=None, name=None, initial_cluster=None,
         cluster_state=None, token=None, timeout=60, wait=True):
    """Start, kill or show the etcd cluster members (v2 API on, client ports 2379 and 4001).

    Examples: invoke etcd --start; invoke etcd --kill --node etcd-1; invoke etcd --status
    """
    from k8sm.daemons import etcd as etcd_daemon
    from k8sm.errors import K8smError

    overrides = etcd_daemon.Overrides(name=name, initial_cluster=initial_cluster, cluster_state=cluster_state,
                                      token=token)
    overrides.validate()
    if overrides.name and not node:
        raise K8smError("--name needs --node: every member must have its own name")
    if overrides and not start:
        raise K8smError("--name, --initial-cluster, --cluster-state and --token only apply to --start")
    override = None
    if overrides:
        def override(n):
            from k8sm.tasks._common import lab_of

            return etcd_daemon.argv(lab_of(c), n, overrides)
    control(c, etcd_daemon.ETCD, start=start, kill=kill, status=status, node=node, timeout=int(timeout),
            wait=wait, override=override)
