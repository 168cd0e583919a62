"""`invoke logs NODE` and `invoke logs.export DIR`."""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from k8sm.tasks._common import k8sm_task, lab_of, say, target_of


@k8sm_task(
    name="show",
    default=True,
    positional=["node"],
    help={
        "node": "the node whose daemon logs to show",
        "daemon": "only this daemon's log (e.g. etcd, zookeeper, mesos-master, docker, apiserver)",
        "follow": "keep printing new lines (needs --daemon; Ctrl-C ends it)",
        "lines": "how many lines from the end (default 50)",
    },
)
def show(c, node, daemon=None, follow=False, lines=50):
    """Show the end of a node's daemon logs (/var/log/k8sm in its container).

    Examples: invoke logs etcd-0; invoke logs mesos-master-1 --daemon zookeeper --follow
    """
    from k8sm import logs
    from k8sm.errors import K8smError

    lab, target = lab_of(c), target_of(c)
    where = lab.node(node)
    names = logs.daemon_names(where, daemon)
    if follow:
        if not daemon:
            raise K8smError("--follow needs --daemon", f"{where.name}'s daemons: {', '.join(names)}")
        logs.follow(target, where, daemon, int(lines))  # the first Ctrl-C ends it, and the tail inside
        return
    if not names:
        say(f"{where.name} runs no daemons")
        return
    print(logs.show(target, where, names, int(lines)), end="", flush=True)


@k8sm_task(positional=["directory"], help={"directory": "where to write the bundle (created if missing)"})
def export(c, directory):
    """Write a debugging bundle: hosts.yaml, status.json, versions of the engine and the daemons,
    each container's inspect and each node's daemon logs.

    Example: invoke logs.export /tmp/k8sm-bundle
    """
    from k8sm.logs import export as export_bundle
    from k8sm.status import as_json, collect

    lab, target = lab_of(c), target_of(c)
    status = as_json(lab, target.label, collect(target, lab))
    export_bundle(target, lab, Path(directory), status, say)


ns = Collection("logs", show, export)
