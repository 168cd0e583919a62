"""`invoke up` and `invoke down`: the whole lab in one command, and away again.

up: base image if missing, images whose inputs changed, containers that are
missing or stopped, then each daemon stage in dependency order (etcd and
ZooKeeper; Mesos masters after ZooKeeper; each minion's Docker engine; agents
after both; apiserver after etcd; controller-manager after the apiserver;
scheduler after masters and apiserver). Independent stages run at the same
time, each across its nodes in parallel and each gated by health within its
timeout. A stage already healthy everywhere is left alone, so a rerun (after
Ctrl-C, or on a healthy lab) only finishes what is missing. A stage whose
programs are not installed is skipped with one line, and so is what needs it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from k8sm import daemons
from k8sm.daemons import control
from k8sm.daemons.base import Daemon, DaemonState
from k8sm.errors import DaemonError, K8smError
from k8sm.node import exec_on
from k8sm.output import Say
from k8sm.resources import script_text
from k8sm.status import NodeStatus
from k8sm.target import Target, Where
from k8sm.topology import Lab

if TYPE_CHECKING:
    from k8sm.placement import Placement
    from k8sm.workloads import Missing


@dataclass
class StageResult:
    daemon: str
    outcome: str = "pending"  # healthy (already), started, skipped, failed
    reason: str = ""
    error: BaseException | None = field(default=None, repr=False)
    states: list[DaemonState] = field(default_factory=list, repr=False)  # after it started


def stages(lab: Lab) -> list[Daemon]:
    """The daemons this lab runs (its roles have nodes), in start order."""
    return [d for d in daemons.ALL if lab.role(d.role)]


def current_states(target: Where, lab: Lab, wanted: Sequence[Daemon]) -> dict[str, list[DaemonState]]:
    """Every wanted daemon's state on its nodes: over the network, by exec where that leaves a doubt."""
    from k8sm.daemons import health

    names = {d.name for d in wanted}
    jobs = [(n, [d for d in daemons.for_role(n.role) if d.name in names]) for n in lab.nodes]
    jobs = [(n, ds) for n, ds in jobs if ds]
    by_daemon: dict[str, list[DaemonState]] = {d.name: [] for d in wanted}
    for node_states in health.check(target, lab, jobs):
        for state in node_states:
            by_daemon[state.daemon].append(state)
    return by_daemon


def bring_up(target: Where, lab: Lab, say: Say, *, strict: bool = False
             ) -> tuple[dict[str, StageResult], dict[str, list[DaemonState]]]:
    """Start every stage that is not healthy yet, each after what it needs; skip what is not installed.

    Returns each stage's outcome, and the daemons' states now: as found, or as a start left them.
    """
    wanted = stages(lab)
    states = configured_states(target, lab, wanted)
    results = first_outcomes(wanted, states, strict=strict)
    done = {d.name: threading.Event() for d in wanted}
    for r in results.values():
        if r.outcome != "pending":
            done[r.daemon].set()

    def run_stage(daemon: Daemon) -> None:
        result = results[daemon.name]
        if result.outcome != "pending":
            return
        try:
            for need in daemons.needs(daemon):
                if need not in done:
                    continue
                done[need].wait()
                if results[need].outcome in ("skipped", "failed"):
                    result.outcome, result.reason = "skipped", f"needs {need}, which was {results[need].outcome}"
                    return
            nodes = lab.role(daemon.role)
            # files in place and program installed everywhere (as found above): no need to write them again
            prepared = all(s.known and s.configured and s.installed for s in states[daemon.name])
            result.states = control.start(target, lab, daemon, nodes, say, wait=True,
                                          timeout=lab.timeouts.of(daemon.name), prepared=prepared)
            result.outcome = "started"
        except control.NotInstalled as exc:  # found only now: its files were missing until start wrote them
            if strict:
                result.outcome, result.reason, result.error = "failed", str(exc), exc
            else:
                result.outcome, result.reason = "skipped", f"not installed ({daemon.provided_by} provides it)"
                result.states = control.states(target, lab, daemon, nodes)  # now with its files: not installed
        except Exception as exc:  # reported with the other stages' outcomes
            result.outcome, result.reason, result.error = "failed", str(exc), exc
        finally:
            done[daemon.name].set()

    run_each(run_stage, wanted)
    report(results, say)
    now = daemons.mark_blocked({name: results[name].states or found for name, found in states.items()})
    return results, now


def configured_states(target: Where, lab: Lab, wanted: Sequence[Daemon]) -> dict[str, list[DaemonState]]:
    """current_states, after writing the files of daemons whose files are missing (removed by hand, or
    a container made by an older k8sm)."""
    states = current_states(target, lab, wanted)
    unconfigured = [d for d in wanted if not all(s.configured for s in states[d.name])]
    if unconfigured:
        for daemon in unconfigured:
            control.write_files(target, lab, daemon, lab.role(daemon.role))
        states.update(current_states(target, lab, unconfigured))
    return states


def first_outcomes(wanted: Sequence[Daemon], states: dict[str, list[DaemonState]], *, strict: bool
                   ) -> dict[str, StageResult]:
    """Each stage's result before anything starts: healthy, skipped (not installed) or pending;
    with strict, a stage that is not installed is refused at once."""
    results = {d.name: StageResult(d.name) for d in wanted}
    for d in wanted:
        if all(s.healthy for s in states[d.name]):
            results[d.name].outcome = "healthy"
        elif not all(s.installed for s in states[d.name]):
            results[d.name].outcome, results[d.name].reason = "skipped", f"not installed ({d.provided_by} provides it)"
    absent = [r for r in results.values() if r.outcome == "skipped"]
    if strict and absent:
        raise K8smError(f"not installed: {', '.join(r.daemon for r in absent)}",
                        "build them (" + ", ".join(sorted({daemons.by_name(r.daemon).provided_by for r in absent}))
                        + ") or run without --strict")
    return results


def run_each(run_stage: Callable[[Daemon], None], wanted: Sequence[Daemon]) -> None:
    """run_stage for every stage at once, in daemon threads joined in small steps: Ctrl-C ends `up`
    at once (a rerun finishes the job)."""
    threads = [threading.Thread(target=run_stage, args=(d,), name=f"up-{d.name}", daemon=True) for d in wanted]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)


def report(results: dict[str, StageResult], say: Say) -> None:
    """Say which stages were skipped and why; raise the first failure (naming how many more failed)."""
    for r in results.values():
        if r.outcome == "skipped":
            say(f"{daemons.by_name(r.daemon).title}: skipped: {r.reason}")
    failed = [r for r in results.values() if r.outcome == "failed"]
    if failed:
        first = failed[0].error
        message, hint = (first.message, first.hint) if isinstance(first, K8smError) else (failed[0].reason, None)
        others = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise DaemonError(f"{message}{others}", hint)  # the reason, str(error), already ends in the hint


# --------------------------------------------------------------------- down


def stop_daemons(target: Where, lab: Lab, running_nodes: set[str], say: Say) -> None:
    """Stop every daemon on the running nodes, in reverse start order, one exec per node."""
    jobs = []
    for node in lab.nodes:
        names = [d.name for d in daemons.stopping(node.role)]
        if node.name in running_nodes and names:
            jobs.append((node, ["sh", "-c", script_text("k8sm-stop-all"), "k8sm-stop-all", *names]))
    if jobs:
        say(f"stopping the daemons on {len(jobs)} nodes")
        exec_on(target, jobs)


# ----------------------------------------------------------------------- up


def up(where: Where, lab: Lab, say: Say, *, strict: bool = False, build: bool = True) -> list[NodeStatus]:
    """Base image, images, containers, daemons: whatever is missing. Returns the status rows afterwards.

    In a multi-host lab, each host gets the images of its own nodes, and the containers their host.
    """
    from k8sm.lab import run, summarize
    from k8sm.placement import placed
    from k8sm.status import rows_from_states, with_hosts

    placement = placed(where, lab)
    holding = [(host, t) for host, t in placement.targets.items() if placement.nodes_on(host)]
    if build:
        for host, target in holding:
            ensure_images(target, placement.view(host), placement.tell(host, say))
    changed = [a for a in run(placement, lab, say, recreate=True) if a.changed]
    if changed:
        say(f"lab {lab.name}: {summarize(changed)}")
    with early_workload_checks(holding, placement, start=not changed) as early:
        results, now = bring_up(placement, lab, say, strict=strict)
        now = settled(placement, lab, results, now)
    if "docker" in results and results["docker"].outcome in ("healthy", "started"):
        from k8sm import workloads

        for host, target in holding:  # what Mesos's Docker tasks and km's pods run, without a registry
            found = early.get(host) if results["docker"].outcome == "healthy" else None
            workloads.load(target, placement.view(host), placement.tell(host, say), found)
    started = [r.daemon for r in results.values() if r.outcome == "started"]
    say(f"lab {lab.name}: up" + (f" (started: {', '.join(started)})" if started else " (nothing to start)"))
    return with_hosts(placement, rows_from_states(lab, now))


@contextlib.contextmanager
def early_workload_checks(holding: Sequence[tuple[str, Target]], placement: Placement, *, start: bool
                          ) -> Iterator[dict[str, Missing]]:
    """On a lab whose containers were all running already, ask the minions' engines which workload
    images they lack while the stages are checked (both mostly wait on the containers). Yields, once
    the block ends, each host's answer; a host whose check failed is left out (asked again later)."""
    from concurrent.futures import ThreadPoolExecutor

    from k8sm import workloads

    answers: dict[str, Missing] = {}
    if not start or not holding:
        yield answers
        return
    with ThreadPoolExecutor(max_workers=len(holding)) as pool:
        futures = {host: pool.submit(workloads.missing, target, placement.view(host)) for host, target in holding}
        try:
            yield answers
        finally:
            for host, future in futures.items():
                if future.exception() is None:
                    answers[host] = future.result()


def settled(target: Where, lab: Lab, results: dict[str, StageResult], now: dict[str, list[DaemonState]]
            ) -> dict[str, list[DaemonState]]:
    """The states after every stage: a start reports its daemon as it was when its nodes were
    healthy, but a cluster may still have been settling then (masters that all stood by while a
    killed leader's ZooKeeper session lived on), so the started stages are asked once more."""
    started = [d for d in stages(lab) if d.name in results and results[d.name].outcome == "started"]
    if not started:
        return now
    return daemons.mark_blocked({**now, **current_states(target, lab, started)})


def ensure_images(target: Target, lab: Lab, say: Say) -> None:
    """The base image if it is missing and made here; then the images whose inputs changed."""
    from k8sm.baseimage import build_base
    from k8sm.engine import inspect_image_id
    from k8sm.images import Builder, images_for

    if not inspect_image_id(target, lab.images.base) and lab.images.base.startswith(lab.images.prefix):
        build_base(target, lab, say)
    builder = Builder(target, lab, lambda line: None if "up to date" in line else say(line))
    built = [r.name for r in builder.build(images_for(lab)) if r.action in ("built", "tagged")]
    say(f"images: {'built ' + ', '.join(built) if built else 'all up to date'}")
