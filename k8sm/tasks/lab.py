"""`invoke run`, `invoke rm`, `invoke status`: the lab's containers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoke import Exit

from k8sm.tasks._common import k8sm_task, lab_of, say, where_of

if TYPE_CHECKING:
    from k8sm.placement import Placement


@k8sm_task(help={"recreate": "recreate containers whose settings differ from hosts.yaml (their volumes stay)"})
def run(c, recreate=False):
    """Create the lab's network and containers (fixed IPs, hostnames, labels, volumes).

    Safe to repeat: creates only what is missing and starts what is stopped. A multi-host lab
    (nodes with `host:` on several hosts) gets one overlay network across the hosts' Swarm
    (`swarm.init` makes it) and each container on its own host.
    """
    from k8sm.lab import run as run_lab
    from k8sm.lab import summarize

    lab = lab_of(c)
    target = where_of(c)
    say(f"lab {lab.name}: {len(lab.nodes)} nodes on {lab.network.name} ({lab.network.subnet}), {target.label}")
    actions = run_lab(target, lab, say, recreate=recreate)
    changed = [a for a in actions if a.changed]
    drifted = [a for a in actions if a.note]
    if not changed and drifted:
        say(f"lab {lab.name}: all {len(actions)} containers already running; {len(drifted)} out of date (see above)")
    elif not changed:
        say(f"lab {lab.name}: all {len(actions)} containers already running; nothing to do")
    else:
        say(f"lab {lab.name}: {summarize(changed)}")


@k8sm_task(
    name="rm",
    help={
        "volumes": "also remove the lab's volumes (daemon data)",
        "images": "also remove the lab's tagged images (the base image stays)",
        "leave_swarm": "multi-host lab: then take its hosts out of their Swarm (as swarm.leave)",
    },
)
def rm(c, volumes=False, images=False, leave_swarm=False):
    """Stop and remove this lab's containers, network and dangling images, found by label.

    Nothing that another lab or tool created is touched. A multi-host lab's containers go on
    every host, then its overlay network; the hosts stay in their Swarm unless --leave-swarm.
    """
    from k8sm.lab import describe_removal, remove
    from k8sm.placement import placed

    _check_leave_swarm(c, leave_swarm)
    lab, target = lab_of(c), where_of(c)
    done = remove(target, lab, say, volumes=volumes, images=images)
    say(describe_removal(done, lab, volumes))
    if leave_swarm:
        _leave_swarm(placed(target, lab))  # multi-host (checked above): a Placement already


def _check_leave_swarm(c, leave_swarm: bool) -> None:
    """--leave-swarm is for a multi-host lab: refused before anything is removed otherwise."""
    from k8sm.errors import K8smError

    if leave_swarm and not lab_of(c).multi_host:
        raise K8smError("--leave-swarm is for a multi-host lab (nodes on several hosts of hosts.yaml)",
                        "use `invoke swarm.leave` for the hosts of hosts.yaml")


def _leave_swarm(where: Placement) -> None:
    """rm/down --leave-swarm: the lab's hosts out of their Swarm, as swarm.leave does."""
    from k8sm import swarm

    swarm.leave(swarm.survey(where.targets), say)


@k8sm_task(unreachable_code=32, help={
    "json": "print the status as JSON (one object per refresh with --watch)",
    "watch": "refresh until Ctrl-C",
    "interval": "whole seconds between refreshes with --watch (default 2)",
})
def status(c, json=False, watch=False, interval=2):
    """Show each node: role, IP, container state and its daemons' health.

    The exit code says what is unhealthy, one bit per layer: 1 containers, 2 etcd/ZooKeeper,
    4 Mesos (masters, minion Docker engines, agents), 8 km; 16: some daemon's state is unknown
    (its probe's answer was lost or malformed twice). A node whose container is not running
    counts against its daemons' layers too. Daemons whose programs are not installed (no
    build.mesos / build.k8s) do not count. 32 alone: the engine or SSH host cannot be reached.
    Multi-host lab: a HOST column; the nodes of a host that cannot be reached show
    `unreachable (host b: why)` and count as not running with unknown daemons, and 32 is added
    to the other bits (32 alone when no host can be reached).
    """
    import json as jsonlib
    import time

    from k8sm.status import as_json, collect, exit_code, table

    lab, target = lab_of(c), where_of(c)
    while True:
        try:
            rows = collect(target, lab)
        except KeyboardInterrupt:
            if watch:  # Ctrl-C is how --watch ends
                return
            raise
        if json:
            print(jsonlib.dumps(as_json(lab, target.label, rows)), flush=True)
        else:
            if watch:
                say(time.strftime("%H:%M:%S") + f"  lab {lab.name} on {target.label}")
            say(table(rows))
        if not watch:
            break
        try:
            time.sleep(max(1, int(interval)))
        except KeyboardInterrupt:
            return
    code = exit_code(rows)
    if code:
        raise Exit(code=code)


@k8sm_task(help={
    "strict": "fail when a stage's programs are not installed, instead of skipping it",
    "build": "build missing or changed images first (default); --no-build uses the images as they are",
})
def up(c, strict=False, build=True):
    """Bring the whole lab up and healthy, from nothing, in one command; safe to repeat.

    Makes the base image if it is missing, builds the images whose inputs changed, creates
    what is missing and recreates what differs from hosts.yaml or its image (volumes stay),
    then starts every daemon in dependency order (etcd, ZooKeeper, Mesos
    masters, minion Docker engines, agents, apiserver, controller-manager, scheduler), each
    stage across its nodes at once and gated by health within its timeout (hosts.yaml
    `timeouts:`). Stages whose programs are not installed (no build.mesos / build.k8s) are
    skipped with one line. On a healthy lab it only checks; after Ctrl-C, run it again.
    """
    from k8sm.status import exit_code, table
    from k8sm.up import up as bring_lab_up

    rows = bring_lab_up(where_of(c), lab_of(c), say, strict=strict, build=build)
    say(table(rows))
    code = exit_code(rows)
    if code:
        raise Exit(code=code)


@k8sm_task(help={"volumes": "also remove the lab's volumes (daemon data)",
                 "images": "also remove the lab's tagged images (the base image stays)",
                 "leave_swarm": "multi-host lab: then take its hosts out of their Swarm (as swarm.leave)"})
def down(c, volumes=False, images=False, leave_swarm=False):
    """Stop every daemon (in reverse start order, by its pid file), then remove the lab like `rm`."""
    from k8sm.lab import describe_removal, list_containers, remove
    from k8sm.labels import NODE
    from k8sm.placement import placed
    from k8sm.up import stop_daemons

    _check_leave_swarm(c, leave_swarm)
    lab, target = lab_of(c), where_of(c)
    running = {c_["Labels"].get(NODE) for c_ in list_containers(target, lab) if c_["State"] == "running"}
    stop_daemons(target, lab, running, say)
    done = remove(target, lab, say, volumes=volumes, images=images)
    say(describe_removal(done, lab, volumes))
    if leave_swarm:
        _leave_swarm(placed(target, lab))  # multi-host (checked above): a Placement already


@k8sm_task(help={"json": "print the findings as one JSON object (for programs) instead of the table"})
def doctor(c, json=False):
    """Check that the lab can come up on the target (local or -H), with a fix for each problem.

    Docker engine and version, privileged or capability mode, subnet, published ports, disk
    space, base image, images, and the Mesos and Kubernetes binaries. Exits 1 if the lab cannot
    come up as configured. --json prints {"lab", "target", "exit_code", "findings": [{"check",
    "status" (ok, warn, fail), "detail", "fix"}]} instead of the table.
    """
    import json as jsonlib

    from k8sm.doctor import as_json, diagnose, exit_code, table

    lab, target = lab_of(c), where_of(c)
    findings = diagnose(target, lab)
    say(jsonlib.dumps(as_json(lab, target.label, findings)) if json else table(findings))
    if code := exit_code(findings):
        raise Exit(code=code)


DRILLS = ("etcd", "zookeeper", "repair", "mesos-master", "mesos-agent")


@k8sm_task(iterable=["only"], help={"only": "run only this drill (repeatable): " + ", ".join(DRILLS)})
def drill(c, only=None):
    """Failure drills on the running lab: kill the etcd leader under writes, kill the ZooKeeper leader,
    remove a minion's container and let `up` repair it; with Mesos installed, also kill the leading
    Mesos master (a new leader must take over) and restart an agent that runs a task (it must
    re-register). Each prints PASS or FAIL; exits 1 on a FAIL.
    """
    from k8sm import drills, mesos_drills
    from k8sm.daemons.mesos import leader
    from k8sm.errors import K8smError, shown
    from k8sm.up import up as bring_lab_up

    lab, target = lab_of(c), where_of(c)
    chosen = list(only) if only else list(DRILLS)
    unknown = [d for d in chosen if d not in DRILLS]
    if unknown:
        raise K8smError(f"unknown drill {shown(unknown[0])}", f"drills are: {', '.join(DRILLS)}")
    if not only and leader(target, lab) is None:
        chosen = [d for d in chosen if not d.startswith("mesos")]
        say("drill: no Mesos master leads, so the Mesos drills are left out (`--only mesos-master` runs one anyway)")
    run_one = {
        "etcd": lambda: drills.etcd_drill(target, lab, say),
        "zookeeper": lambda: drills.zookeeper_drill(target, lab, say),
        "repair": lambda: drills.repair_drill(target, lab, say, lambda: bring_lab_up(target, lab, say, build=False)),
        "mesos-master": lambda: mesos_drills.master_drill(target, lab, say),
        "mesos-agent": lambda: mesos_drills.agent_drill(target, lab, say),
    }
    verdicts = [run_one[name]() for name in chosen]
    say(drills.table(verdicts))
    if not all(v.passed for v in verdicts):
        raise Exit(code=1)
