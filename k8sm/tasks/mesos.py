"""`invoke mesos.*`: ZooKeeper and Mesos on the mesos-master nodes, Mesos agents on the minions."""

from __future__ import annotations

from invoke import Collection

from k8sm.tasks._common import k8sm_task, lab_of, say, where_of
from k8sm.tasks._daemon import VERB_HELP, control


@k8sm_task(help=VERB_HELP, aliases=["zookeeper"])
def zk(c, start=False, kill=False, status=False, node=None, timeout=60, wait=True):
    """Start, kill or show ZooKeeper on the mesos-master nodes (leader or follower per node).

    Examples: invoke mesos.zk --start; invoke mesos.zk --kill --node mesos-master-0
    """
    from k8sm.daemons.zookeeper import ZOOKEEPER

    control(c, ZOOKEEPER, start=start, kill=kill, status=status, node=node, timeout=int(timeout), wait=wait)


@k8sm_task(
    aliases=["mesos-master"],
    help={
        **VERB_HELP,
        "quorum": "replicated-log quorum instead of a majority of the masters (the original's manual mode)",
        "cluster": "cluster name instead of mesos.cluster",
        "zk": "zk://HOST:PORT,.../PATH instead of the URL built from the ZooKeeper nodes",
    },
)
def master(c, start=False, kill=False, status=False, node=None, quorum=None, cluster=None, zk=None, timeout=60,
           wait=True):
    """Start, kill or show the Mesos masters; --status also shows which leads (read from ZooKeeper).

    Starts only once ZooKeeper has a quorum. Mesos comes from `invoke build.mesos`.
    Examples: invoke mesos.master --start; invoke mesos.master --status
    """
    from k8sm.daemons import mesos

    lab = lab_of(c)
    overrides = mesos.MasterOverrides(quorum=_whole_number("--quorum", quorum), cluster=cluster, zk=zk)
    overrides.validate(lab)
    _only_with_start(overrides, start)
    override = (lambda n: mesos.master_argv(lab, n, overrides)) if overrides else None
    control(c, mesos.MESOS_MASTER, start=start, kill=kill, status=status, node=node, timeout=int(timeout), wait=wait,
            override=override, report=lambda: _report_leader(c))


@k8sm_task(
    aliases=["mesos-slave"],
    help={
        **VERB_HELP,
        "master": "zk://... URL or HOST:PORT of the masters instead of the ZooKeeper URL (the original's manual mode)",
        "containerizers": "containerizers instead of docker,mesos",
    },
)
def slave(c, start=False, kill=False, status=False, node=None, master=None, containerizers=None, timeout=60,
          wait=True):
    """Start, kill or show the Mesos agents on the minions; --start starts each minion's Docker engine first
    and waits for a leading Mesos master.

    --status also lists the agents the leading master has registered.
    Examples: invoke mesos.slave --start; invoke mesos.slave --kill --node kubernetes-minion-2
    """
    from k8sm.daemons import mesos

    lab = lab_of(c)
    overrides = mesos.AgentOverrides(master=master, containerizers=containerizers)
    overrides.validate(lab)
    _only_with_start(overrides, start)
    override = (lambda n: mesos.agent_argv(lab, n, overrides)) if overrides else None
    control(c, mesos.MESOS_AGENT, start=start, kill=kill, status=status, node=node, timeout=int(timeout),
            wait=wait, override=override, report=lambda: _report_agents(c))


@k8sm_task(help=VERB_HELP)
def docker(c, start=False, kill=False, status=False, node=None, timeout=60, wait=True):
    """Start, kill or show each minion's own Docker engine (Docker-in-Docker), which the agents use.

    `mesos.slave --start` starts it first by itself. It works with privileged containers and with
    the capability set of `lab.security: capabilities`.
    Example: invoke mesos.docker --start; docker exec kubernetes-minion-0 docker info
    """
    from k8sm.daemons.dind import DOCKER

    control(c, DOCKER, start=start, kill=kill, status=status, node=node, timeout=int(timeout), wait=wait)


def _whole_number(flag: str, value: str | None) -> int | None:
    from k8sm.errors import K8smError, shown

    if value is None:
        return None
    if not (str(value).isascii() and str(value).isdigit()):
        raise K8smError(f"{flag} must be a whole number, not {shown(value)}")
    return int(value)


def _only_with_start(overrides: object, start: bool) -> None:
    from k8sm.errors import K8smError

    if overrides and not start:
        raise K8smError("the manual-mode options only apply to --start")


def _report_leader(c) -> None:
    from k8sm.daemons.mesos import leader

    current = leader(where_of(c), lab_of(c))
    say(f"leading master (ZooKeeper /mesos): {f'{current.hostname} ({current.ip}:{current.port})' if current else 'none'}")


def _report_agents(c) -> None:
    from k8sm.daemons.mesos import leader, registered_agents

    lab, target = lab_of(c), where_of(c)
    current = leader(target, lab)
    if current is None:
        say("registered agents: unknown (no Mesos master leads)")
        return
    agents = registered_agents(target, lab, current)
    say(f"registered agents ({current.hostname}): {', '.join(agents) if agents else 'none'}")


@k8sm_task(iterable=["kind"], help={"kind": "run only this kind of task (repeatable): command, docker"})
def smoke(c, kind=None):
    """Prove the agents do work: one command task and one Docker task through the leading master.

    Both are launched with `mesos-execute` on the leading master's node and must reach
    TASK_FINISHED; the Docker task runs k8sm/busybox (loaded by `invoke up`, no registry)
    in a minion's own Docker engine. Prints a table; exits 1 unless both pass.
    Example: invoke up && invoke mesos.smoke
    """
    from invoke import Exit

    from k8sm import smoke as mesos_smoke
    from k8sm.errors import K8smError, shown

    kinds = list(kind) if kind else list(mesos_smoke.KINDS)
    unknown = [k for k in kinds if k not in mesos_smoke.KINDS]
    if unknown:
        raise K8smError(f"unknown task kind {shown(unknown[0])}", "kinds are: command, docker")
    runs = mesos_smoke.run(where_of(c), lab_of(c), say, kinds)
    say(mesos_smoke.table(runs))
    if not mesos_smoke.passed(runs):
        raise Exit(code=1)


ns = Collection("mesos", zk, master, docker, slave, smoke)
