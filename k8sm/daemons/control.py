"""Start, kill and inspect a daemon across its nodes, by exec in the containers.

Every start goes through `k8sm-daemon start` inside the container, the same
command the seed-style scripts use, so there is one way a daemon starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from k8sm import parallel
from k8sm.daemons.base import Daemon, DaemonState
from k8sm.errors import DaemonError, K8smError
from k8sm.node import NodeHandle
from k8sm.target import Target
from k8sm.topology import Lab, Node

Say = Callable[[str], None]
ArgvFor = Callable[[Node], list[str]]


def state(handle: NodeHandle, daemon: Daemon, lab: Lab) -> DaemonState:
    """Process state from the pid file, plus the health probe if it runs."""
    result = handle.exec(["k8sm-daemon", "status", daemon.name], check=False)
    words = result.output.split()
    if result.exit_code != 0 or len(words) != 2 or words[0] != "running":
        return DaemonState(handle.node.name, daemon.name, running=False)
    health = daemon.probe(handle, lab)
    return DaemonState(handle.node.name, daemon.name, running=True, pid=int(words[1]),
                       healthy=health.healthy, detail=health.detail)


def states(target: Target, lab: Lab, daemon: Daemon, nodes: Sequence[Node]) -> list[DaemonState]:
    """The daemon's state on each node, probed in parallel; raises on the first unreachable node."""
    outcomes = parallel.each(lambda n: state(NodeHandle(target, n), daemon, lab), nodes)
    _raise_first(outcomes)
    return [o.value for o in outcomes if o.value is not None]


def start(target: Target, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say, *,
          override: ArgvFor | None = None, wait: bool = True, timeout: float = 60.0) -> list[DaemonState]:
    """Start the daemon on nodes (a no-op where it runs), then wait until healthy."""
    say(f"{daemon.title}: starting on {', '.join(n.name for n in nodes)}")

    def start_one(node: Node) -> str:
        handle = NodeHandle(target, node)
        handle.put_files(daemon.node_files(lab, node))
        argv = ["k8sm-daemon", "start", daemon.name]
        if override is not None:
            argv += ["--", *override(node)]
        result = handle.exec(argv, check=False)
        if result.exit_code == 127:
            raise DaemonError(f"{daemon.title} is not installed in {node.name}'s image",
                              "rebuild the images with `invoke build`")
        if not result.ok:
            raise DaemonError(f"{daemon.title} did not start on {node.name}: {_tail(result.output)}",
                              f"see its log: docker exec {node.container} k8sm-daemon log {daemon.name}")
        return result.output.strip().splitlines()[-1] if result.output.strip() else "started"

    outcomes = parallel.each(start_one, nodes)
    for o in outcomes:
        if o.ok:
            say(f"  {o.item.name}: {o.value}")
    _raise_first(outcomes)
    if not wait:
        return []
    if daemon.quorum:
        members = lab.role(daemon.role)
        running = [s for s in states(target, lab, daemon, members) if s.running]
        if len(running) < daemon.majority(lab):
            say(f"{daemon.title}: {len(running)} of {len(members)} members run; it becomes healthy once "
                f"{daemon.majority(lab)} do (start the others with `invoke {daemon.task} --start`)")
            return []
    return wait_healthy(target, lab, daemon, nodes, say, timeout)


def wait_healthy(target: Target, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say,
                 timeout: float) -> list[DaemonState]:
    """Poll until the daemon is healthy on every node, or raise after timeout seconds."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    last_count = -1
    while True:
        current = states(target, lab, daemon, nodes)
        healthy = [s for s in current if s.healthy]
        if len(healthy) != last_count:
            say(f"{daemon.title}: {len(healthy)}/{len(nodes)} healthy ({time.monotonic() - started:.0f}s)")
            last_count = len(healthy)
        if len(healthy) == len(nodes):
            return current
        dead = [s for s in current if not s.running]
        if dead or time.monotonic() >= deadline:
            bad = ", ".join(f"{s.node}: {s.summary}" for s in current if not s.healthy)
            reason = "stopped" if dead else f"not healthy after {timeout:.0f}s"
            raise DaemonError(f"{daemon.title} {reason} ({bad})",
                              f"see the log: docker exec {_container(lab, current)} k8sm-daemon log {daemon.name}")
        time.sleep(1.0)


def kill(target: Target, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say) -> None:
    """Stop the daemon on nodes, by the pid file each start wrote."""

    def kill_one(node: Node) -> str:
        result = NodeHandle(target, node).exec(["k8sm-daemon", "kill", daemon.name], check=True)
        return " ".join(result.output.split()) or "done"

    outcomes = parallel.each(kill_one, nodes)
    for o in outcomes:
        if o.ok:
            say(f"  {o.item.name}: {o.value}")
    _raise_first(outcomes)


def _raise_first(outcomes: Sequence[parallel.Outcome]) -> None:
    errors = [o for o in outcomes if not o.ok]
    if not errors:
        return
    first = errors[0].error
    if len(errors) > 1 and isinstance(first, K8smError):
        others = ", ".join(o.item.name for o in errors[1:])
        raise K8smError(f"{first.message} (and {len(errors) - 1} more: {others})", first.hint) from None
    raise first  # type: ignore[misc]


def _tail(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:]) if lines else "no output"


def _container(lab: Lab, current: Sequence[DaemonState]) -> str:
    bad = next((s.node for s in current if not s.healthy), current[0].node if current else "")
    return lab.node(bad).container if bad else "NODE"
