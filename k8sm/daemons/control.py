"""Start, kill and inspect a daemon across its nodes, by exec in the containers.

Every start goes through `k8sm-daemon start` inside the container, the same
command the seed-style scripts use, so there is one way a daemon starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from k8sm import parallel
from k8sm.daemons.base import Daemon, DaemonState
from k8sm.engine.wire import Report as Report
from k8sm.engine.wire import parse_check as parse_check
from k8sm.errors import DaemonError
from k8sm.node import NodeHandle, exec_on
from k8sm.output import Say
from k8sm.target import Where
from k8sm.topology import Lab, Node

ArgvFor = Callable[[Node], list[str]]


class NotInstalled(DaemonError):
    """A daemon's program is not in its node's image (its dist was never built)."""


def check_nodes(target: Where, jobs: Sequence[tuple[Node, Sequence[Daemon]]]) -> list[list[DaemonState]]:
    """Each node's daemons: process state (pid file) and health (probe), one exec per node, all at once.

    A node whose answer is lost or cut short is asked once more; a daemon whose section is
    still missing or incomplete then is reported as unknown, never as stopped.
    """
    argvs = [(node, check_argv(node_daemons)) for node, node_daemons in jobs]
    outputs = [r.output for r in exec_on(target, argvs, retry_lost=False)]
    again = [i for i, ((_, node_daemons), out) in enumerate(zip(jobs, outputs, strict=True))
             if problem(node_daemons, out)]
    if again:
        for i, result in zip(again, exec_on(target, [argvs[i] for i in again], retry_lost=False), strict=True):
            outputs[i] = result.output
    return [interpret(node, node_daemons, output) for (node, node_daemons), output in zip(jobs, outputs, strict=True)]


def check_argv(daemons: Sequence[Daemon]) -> list[str]:
    return ["k8sm-daemon", "check", *(d.name for d in daemons)]


def problem(daemons: Sequence[Daemon], output: str) -> str:
    """Why this `k8sm-daemon check` output cannot be trusted for these daemons, or "" if it can."""
    reports = parse_check(output)
    for daemon in daemons:
        report = reports.get(daemon.name)
        if report is None:
            return _describe_missing(output)
        if not report.complete:
            return "its answer was cut short"
    return ""


def _describe_missing(output: str) -> str:
    text = " ".join(output.split())
    if not text:
        return "no answer"
    return f"unexpected answer: {text[:60]}{'…' if len(text) > 60 else ''}"


def interpret(node: Node, daemons: Sequence[Daemon], output: str) -> list[DaemonState]:
    """`k8sm-daemon check` output -> a DaemonState per daemon (unknown where its section is missing or cut)."""
    reports = parse_check(output)
    states = []
    for daemon in daemons:
        report = reports.get(daemon.name)
        if report is None or not report.complete:
            why = _describe_missing(output) if report is None else "its answer was cut short"
            states.append(DaemonState(node.name, daemon.name, running=False, probe_error=why))
        elif not report.configured:
            states.append(DaemonState(node.name, daemon.name, running=False, configured=False,
                                      detail="not configured (`invoke up` or its --start writes its files)"))
        elif not report.running:
            states.append(DaemonState(node.name, daemon.name, running=False, installed=report.installed))
        elif report.probe_output is None:
            states.append(DaemonState(node.name, daemon.name, running=True, pid=report.pid,
                                      detail="no probe configured; run --start again"))
        else:
            health = daemon.parse_probe(report.probe_output)
            states.append(DaemonState(node.name, daemon.name, running=True, pid=report.pid,
                                      healthy=health.healthy, detail=health.detail))
    return states


def states(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node]) -> list[DaemonState]:
    """The daemon's state on each node; raises if a node's container is missing or stopped."""
    return [node_states[0] for node_states in check_nodes(target, [(n, [daemon]) for n in nodes])]


def start(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say, *,
          override: ArgvFor | None = None, wait: bool = True, timeout: float = 60.0,
          prepared: bool = False) -> list[DaemonState]:
    """Start the daemon on nodes (a no-op where it runs), then wait until healthy.

    prepared: the caller already ran prepare() for these nodes.
    """
    if not prepared:
        prepare(target, lab, daemon, nodes)
    say(f"{daemon.title}: starting on {', '.join(n.name for n in nodes)}")

    def start_one(node: Node) -> str:
        handle = NodeHandle(target, node)
        argv = ["k8sm-daemon", "start", daemon.name]
        if override is not None:
            argv += ["--", *override(node)]
        result = handle.exec(argv, check=False)
        if not result.ok:
            raise DaemonError(f"{daemon.title} did not start on {node.name}: {_tail(result.output)}",
                              f"see its log: docker exec {node.container} k8sm-daemon log {daemon.name}")
        return result.output.strip().splitlines()[-1] if result.output.strip() else "started"

    outcomes = parallel.each(start_one, nodes)
    for o in outcomes:
        if o.ok:
            say(f"  {o.item.name}: {o.value}")
    parallel.raise_first(outcomes)
    if not wait:
        return []
    members = lab.role(daemon.role)
    if daemon.quorum and {n.name for n in nodes} != {m.name for m in members}:  # all started: a majority runs
        from k8sm.daemons import health

        running = [s for s in health.states(target, lab, daemon, members) if s.running]
        if len(running) < daemon.majority(lab):
            say(f"{daemon.title}: {len(running)} of {len(members)} members run; it becomes healthy once "
                f"{daemon.majority(lab)} do (start the others with `invoke {daemon.task} --start`)")
            return []
    return wait_healthy(target, lab, daemon, nodes, say, timeout)


def write_files(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node]) -> None:
    """Write the daemon's files (argv, probe, requires, config) on the nodes, from the topology."""
    parallel.raise_first(parallel.each(lambda n: NodeHandle(target, n).put_files(daemon.node_files(lab, n)), nodes))


def prepare(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node]) -> None:
    """Write the daemon's files on the nodes, then raise, saying which task provides it, if its
    program is not in the nodes' image."""
    write_files(target, lab, daemon, nodes)
    if not daemon.requires:
        return
    results = exec_on(target, [(n, ["k8sm-daemon", "missing", daemon.name]) for n in nodes])
    for node, result in zip(nodes, results, strict=True):
        missing = result.output.split()
        if missing:
            raise NotInstalled(f"{daemon.title} is not installed in {node.name}'s image "
                              f"(no {' or '.join(missing[1].split('|'))})",
                              f"run `{daemon.provided_by}`, then `invoke build` and `invoke run --recreate`")


#: Seconds between health checks while waiting: each asks the daemons over the network, a few
#: milliseconds of work, so a daemon is seen healthy within this long of becoming so.
POLL_INTERVAL = 0.1
#: Seconds between the checks that also exec where the network gives no clear answer: those see a
#: daemon that stopped (and a daemon that answers only inside its container).
EXEC_INTERVAL = 1.0


def wait_healthy(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say,
                 timeout: float) -> list[DaemonState]:
    """Poll until the daemon is healthy on every node, or raise after timeout seconds (or once one stopped)."""
    from k8sm.daemons import health

    census = health.take_census(target, lab)  # the containers stay as they are while their daemons start
    started = time.monotonic()
    deadline = started + timeout
    last_exec = started
    last_count = -1
    while True:
        thorough = time.monotonic() - last_exec >= EXEC_INTERVAL or time.monotonic() >= deadline
        current = health.states(target, lab, daemon, nodes, census, exec_unclear=thorough)
        last_exec = time.monotonic() if thorough else last_exec
        healthy = [s for s in current if s.healthy]
        if len(healthy) != last_count:
            say(f"{daemon.title}: {len(healthy)}/{len(nodes)} healthy ({time.monotonic() - started:.0f}s)")
            last_count = len(healthy)
        if len(healthy) == len(nodes):
            return current
        dead = [s for s in current if s.stopped]
        if dead or (thorough and time.monotonic() >= deadline):
            bad = ", ".join(f"{s.node}: {s.summary}" for s in current if not s.healthy)
            reason = "stopped" if dead else f"not healthy after {timeout:.0f}s"
            raise DaemonError(f"{daemon.title} {reason} ({bad})",
                              f"see the log: docker exec {_container(lab, current)} k8sm-daemon log {daemon.name}")
        time.sleep(POLL_INTERVAL)


def kill(target: Where, lab: Lab, daemon: Daemon, nodes: Sequence[Node], say: Say) -> None:
    """Stop the daemon on nodes, by the pid file each start wrote."""

    def kill_one(node: Node) -> str:
        result = NodeHandle(target, node).exec(["k8sm-daemon", "kill", daemon.name], check=True)
        return " ".join(result.output.split()) or "done"

    outcomes = parallel.each(kill_one, nodes)
    for o in outcomes:
        if o.ok:
            say(f"  {o.item.name}: {o.value}")
    parallel.raise_first(outcomes)


def _tail(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return " | ".join(lines[-3:]) if lines else "no output"


def _container(lab: Lab, current: Sequence[DaemonState]) -> str:
    bad = next((s.node for s in current if not s.healthy), current[0].node if current else "")
    return lab.node(bad).container if bad else "NODE"
