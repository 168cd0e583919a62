"""`invoke logs NODE` and `invoke logs.export DIR`."""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from k8sm.errors import clip
from k8sm.tasks._common import k8sm_task, lab_of, say, where_of


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

    lab, target = lab_of(c), where_of(c)
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
    from k8sm.errors import K8smError
    from k8sm.logs import export as export_bundle
    from k8sm.status import as_json, collect

    lab, target = lab_of(c), where_of(c)
    path = bundle_path(directory)
    status = as_json(lab, target.label, collect(target, lab))
    try:
        export_bundle(target, lab, path, status, say)
    except OSError as exc:
        raise K8smError(f"could not write the bundle in {clip(directory, 200)}: {exc.strerror or exc}",
                        "check the disk and what is already in that directory") from None


def bundle_path(directory: str) -> Path:
    """DIRECTORY as a Path, refused at once (before any engine call) if it, or the first of its
    parents that exists, is not a directory; nothing is created here."""
    from k8sm.errors import K8smError

    path = Path(directory)
    existing = next((p for p in (path, *path.parents) if p.exists() or p.is_symlink()), None)
    if existing is not None and not existing.is_dir():
        shown_path = clip(directory, 200)
        if existing == path:
            raise K8smError(f"{shown_path} exists and is not a directory",
                            "give logs.export a new path or an existing directory")
        raise K8smError(f"cannot make the directory {shown_path}: {clip(str(existing), 200)} is not a directory",
                        "give logs.export a path where a directory can be made")
    return path


ns = Collection("logs", show, export)
