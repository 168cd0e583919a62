"""The --start/--kill/--status verbs every daemon task shares: parse, call k8sm.daemons.verbs, print."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from invoke import Exit

from k8sm.tasks._common import lab_of, one_action, say, where_of

if TYPE_CHECKING:
    from invoke import Context

    from k8sm.daemons.base import Daemon
    from k8sm.topology import Node

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
    """--start (as the daemon's step of k8sm.plan says), --kill or --status; then its table, unless killed."""
    from k8sm.daemons import verbs

    action = one_action(start=start, kill=kill, status=status) or "status"
    lab = lab_of(c)
    nodes = lab.select(daemon.role, node)
    current = verbs.act(where_of(c), lab, daemon, action, nodes, say, timeout=timeout, wait=wait, override=override)
    if action == "kill":
        return
    say(verbs.table(current, nodes))
    if report is not None:
        report()
    if code := verbs.exit_code(action, current):
        raise Exit(code=code)
