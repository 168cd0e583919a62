"""The --start/--kill/--status verbs every daemon task shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from invoke import Exit

from k8sm.output import columns
from k8sm.tasks._common import lab_of, one_action, say, where_of

if TYPE_CHECKING:
    from invoke import Context

    from k8sm.daemons.base import Daemon, DaemonState
    from k8sm.topology import Node

#: Exit code of --status when a daemon is not healthy everywhere (as LSB `status`).
NOT_HEALTHY = 3

VERB_HELP = {
    "start": "start it (a no-op where it already runs), then wait until healthy",
    "kill": "stop it, found by the pid file its start wrote",
    "status": "show its process and health on each node (the default; exit 3 unless all healthy)",
    "node": "act on this node only (default: every node of the role)",
    "timeout": "seconds --start waits for what the daemon needs, then for its health (default 60)",
    "wait": "wait for health after --start (default); --no-wait returns at once",
}


def control(c: Context, daemon: Daemon, *, start: bool, kill: bool, status: bool, node: str | None,
            timeout: float, wait: bool, override: Callable[[Node], list[str]] | None = None,
            report: Callable[[], None] | None = None) -> None:
    """--start (after the daemon's gates, and the daemons it runs after on the same nodes), --kill or --status."""
    from k8sm.daemons import control as ops

    action = one_action(start=start, kill=kill, status=status) or "status"
    lab = lab_of(c)
    nodes = lab.select(daemon.role, node)
    target = where_of(c)
    if action == "start":
        ops.start_with_needs(target, lab, daemon, nodes, say, timeout=timeout, wait=wait, override=override)
    elif action == "kill":
        say(f"{daemon.title}: stopping on {', '.join(n.name for n in nodes)}")
        ops.kill(target, lab, daemon, nodes, say)
        return
    current = ops.states(target, lab, daemon, nodes)
    say(states_table(current, nodes))
    if report is not None:
        report()
    if action == "status" and not all(s.healthy for s in current):
        raise Exit(code=NOT_HEALTHY)


def states_table(states: Sequence[DaemonState], nodes: Sequence[Node]) -> str:
    ips = {n.name: n.ip for n in nodes}
    rows = [("NODE", "IP", "PROCESS", "HEALTH")]
    for s in states:
        process = f"running (pid {s.pid})" if s.running else s.word if not s.known else "stopped"
        rows.append((s.node, ips.get(s.node, ""), process, s.summary if s.running or not s.known else "-"))
    return "\n".join(columns(rows))
