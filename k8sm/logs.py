"""Daemon logs: shown from one node, or exported with everything needed to debug the lab."""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import shutil
import signal
import sys
import tarfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import TextIO

from k8sm import __version__, daemons, engine
from k8sm.daemons.base import LOG_DIR
from k8sm.errors import K8smError
from k8sm.node import LOST, exec_on
from k8sm.output import Say
from k8sm.target import Where
from k8sm.topology import Lab, Node

#: One version line per program a role's image may hold (missing ones are skipped).
_DEB = "dpkg-query -W -f='${Package} ${Version}\\n' "
VERSION_COMMANDS: dict[str, tuple[str, ...]] = {
    "etcd": (_DEB + "etcd-server",),
    "mesos-master": (_DEB + "zookeeper", "mesos-master --version 2>/dev/null | head -n 1"),
    "framework": ("kubectl version --client --short 2>/dev/null | head -n 1", "km version 2>/dev/null | head -n 1"),
    "minion": (_DEB + "docker.io", "mesos-agent --version 2>/dev/null | head -n 1"),
    "client": ("kubectl version --client --short 2>/dev/null | head -n 1",),
}


def daemon_names(node: Node, only: str | None = None) -> list[str]:
    names = [d.name for d in daemons.for_role(node.role)]
    if only is not None:
        if only not in names:
            raise K8smError(f"{node.name} runs no daemon {only!r}", f"its daemons: {', '.join(names) or 'none'}")
        return [only]
    return names


def tail_argv(names: Sequence[str], lines: int) -> list[str]:
    """One exec printing the end of each daemon's log under a header."""
    script = ('n=$1; shift; for d; do echo "== $d =="; '
              f'if [ -r "{LOG_DIR}/$d.log" ]; then tail -n "$n" "{LOG_DIR}/$d.log"; else echo "(no log yet)"; fi; done')
    return ["sh", "-c", script, "k8sm-logs", str(lines), *names]


def show(target: Where, node: Node, names: Sequence[str], lines: int) -> str:
    result = exec_on(target, [(node, tail_argv(names, lines))])[0]
    if not result.ok:
        raise K8smError(f"could not read the logs of {node.name} ("
                        + ("the engine lost the output twice" if result.exit_code == LOST
                           else f"exit {result.exit_code}: {' '.join(result.output.split())[:100]}") + ")",
                        "run the command again")
    return result.output


#: Seconds the stop waits for a follow's pid file (the tail may be just starting).
_FOLLOW_START_WAIT = 3


def follow_argv(name: str, lines: int, pid_file: str) -> list[str]:
    """tail -F of the daemon's log that first writes its pid to pid_file, so it can be stopped."""
    return ["sh", "-c", 'echo $$ > "$1" && exec tail -n "$2" -F "$3"', "k8sm-follow",
            pid_file, str(lines), f"{LOG_DIR}/{name}.log"]


def stop_follow_argv(pid_file: str) -> list[str]:
    """Kill the tail that wrote pid_file (waiting briefly for it to start) and remove the file."""
    tries = _FOLLOW_START_WAIT * 10
    script = (f'i=0; while [ ! -s "$1" ] && [ $i -lt {tries} ]; do sleep 0.1; i=$((i+1)); done; '
              '[ -s "$1" ] && kill "$(cat "$1")" 2>/dev/null; rm -f "$1"; exit 0')
    return ["sh", "-c", script, "k8sm-follow-stop", pid_file]


def follow(target: Where, node: Node, name: str, lines: int, out: TextIO | None = None) -> None:
    """Print the end of a daemon's log and then every new line, until the stream ends or Ctrl-C.

    Through the engine's API (no docker CLI process on the host); on Ctrl-C the tail in the
    container is killed too, since the engine leaves an exec running when its client goes.
    """
    out = out or sys.stdout
    pid_file = f"/tmp/k8sm-follow-{secrets.token_hex(8)}.pid"
    execution = engine.ExecStream(target.for_node(node), node.container, follow_argv(name, lines, pid_file))
    try:
        for chunk in execution.chunks():
            out.write(chunk.decode("utf-8", "replace"))
            out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        with _ignoring_sigint():
            exec_on(target, [(node, stop_follow_argv(pid_file))])


@contextlib.contextmanager
def _ignoring_sigint() -> Iterator[None]:
    """A second Ctrl-C must not cut the clean-up short (only the main thread handles signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def export(target: Where, lab: Lab, directory: Path, status: dict[str, object], say: Say) -> list[Path]:
    """Write DIR/: topology, status, engine and daemon versions, each container's inspect and logs."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)

    shutil.copyfile(lab.source, directory / "hosts.yaml")
    written.append(directory / "hosts.yaml")
    write("status.json", json.dumps(status, indent=2) + "\n")
    versions = [f"k8sm {__version__}", f"target {target.label}"]
    for machine in dict.fromkeys(target.for_node(n) for n in lab.nodes):
        found = engine.version(machine)
        versions.append(f"docker engine {found.get('Version')} (API {found.get('ApiVersion')}, "
                        f"{found.get('Os')}/{found.get('Arch')}, kernel {found.get('KernelVersion')})"
                        + (f" on {machine.label}" if machine is not target else ""))
    rows = status.get("nodes")
    running = {n["name"] for n in (rows if isinstance(rows, list) else []) if n.get("container") == "running"}
    nodes = [n for n in lab.nodes if n.name in running]
    jobs = [(n, ["sh", "-c", "; ".join(VERSION_COMMANDS.get(n.role, ("true",)))]) for n in nodes]
    for node, result in zip(nodes, exec_on(target, jobs), strict=True):
        versions += [f"{node.name}: {line}" for line in result.output.strip().splitlines() if line.strip()]
    write("versions.txt", "\n".join(versions) + "\n")
    for node in lab.nodes:
        try:
            inspected = engine.inspect_container(target.for_node(node), node.container)
            write(f"containers/{node.name}.json", json.dumps(inspected, indent=2) + "\n")
        except K8smError as exc:
            write(f"containers/{node.name}.json", json.dumps({"error": str(exc)}) + "\n")
            continue
        if node.name in running:
            written += _copy_logs(target, node, directory / "logs" / node.name)
    say(f"wrote {len(written)} files to {directory}")
    return written


def _copy_logs(target: Where, node: Node, into: Path) -> list[Path]:
    """The node's /var/log/k8sm, through the engine's archive API (works remotely too)."""
    data = engine.get_archive(target.for_node(node), node.container, LOG_DIR)
    if data is None:
        return []
    written = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts[1:]  # drop the leading "k8sm/"
            if not member.isfile() or not parts or ".." in parts:
                continue
            path = into.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            extracted = tar.extractfile(member)
            path.write_bytes(extracted.read() if extracted else b"")
            written.append(path)
    return written
