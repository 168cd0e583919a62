"""What a daemon task's --start, --kill and --status do, below the task layer.

A daemon task (k8sm/tasks/) parses its options, calls act() and prints what it returns. --start
follows the daemon's step of the start plan (k8sm.plan): its gates, then the daemons its step
starts first on the same nodes, then it. stop_role stops a role's daemons in reverse plan order.
"""

from __future__ import annotations

from collections.abc import Sequence

from k8sm import daemons
from k8sm.daemons import control, gates
from k8sm.daemons.base import Daemon, DaemonState
from k8sm.daemons.control import ArgvFor
from k8sm.output import Say, columns
from k8sm.target import Where
from k8sm.topology import Lab, Node

#: Exit code of --status when a daemon is not healthy everywhere (as LSB `status`).
NOT_HEALTHY = 3


def start(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say, *,
          timeout: float, wait: bool = True, override: ArgvFor | None = None) -> list[DaemonState]:
    """Start daemon as its plan step says: say what is missing before anything starts, wait for its
    gates (k8sm.daemons.gates), start the daemons its step starts first on the same nodes, then it."""
    before_start = daemons.first(daemon)
    for each in (daemon, *before_start):
        control.prepare(target, lab, each, nodes)
    gates.wait_for(target, lab, daemon, say, timeout)
    for needed in before_start:
        control.start(target, lab, needed, nodes, say, wait=True, timeout=timeout, prepared=True)
    return control.start(target, lab, daemon, nodes, say, override=override, wait=wait, timeout=timeout,
                         prepared=True)


def act(target: Where, lab: Lab, daemon: Daemon, action: str, nodes: Sequence[Node], say: Say, *,
        timeout: float, wait: bool = True, override: ArgvFor | None = None) -> list[DaemonState]:
    """--start (then its states), --kill (nothing to show) or --status (its states) on nodes."""
    if action == "start":
        start(target, lab, daemon, nodes, say, timeout=timeout, wait=wait, override=override)
    elif action == "kill":
        say(f"{daemon.title}: stopping on {', '.join(n.name for n in nodes)}")
        control.kill(target, lab, daemon, nodes, say)
        return []
    return control.states(target, lab, daemon, nodes)


def exit_code(action: str, states: Sequence[DaemonState]) -> int:
    """0, or NOT_HEALTHY for --status when the daemon is not healthy on every node."""
    return NOT_HEALTHY if action == "status" and not all(s.healthy for s in states) else 0


def stop_role(target: Where, lab: Lab, role: str, say: Say) -> None:
    """Stop the daemons of a role's nodes, one daemon after the other, in reverse plan order."""
    nodes = lab.select(role)
    for daemon in daemons.stopping(role):
        say(f"{daemon.title}: stopping")
        control.kill(target, lab, daemon, nodes, say)


def table(states: Sequence[DaemonState], nodes: Sequence[Node]) -> str:
    """NODE, IP, PROCESS, HEALTH per state."""
    ips = {n.name: n.ip for n in nodes}
    rows = [("NODE", "IP", "PROCESS", "HEALTH")]
    for s in states:
        process = f"running (pid {s.pid})" if s.running else s.word if not s.known else "stopped"
        rows.append((s.node, ips.get(s.node, ""), process, s.summary if s.running or not s.known else "-"))
    return "\n".join(columns(rows))
