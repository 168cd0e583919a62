"""`invoke mesos.smoke`: prove that the Mesos agents do work, through the leading master.

Two one-off tasks with `mesos-execute` (installed with Mesos), run on the leading
master's node: a command task (the Mesos containerizer) and a Docker task (the
Docker containerizer, in a minion's own engine, from k8sm's busybox image that
`up` loaded there: no registry). Each must reach TASK_FINISHED; the Docker task
must also have left its container in a minion's engine.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from k8sm.daemons.mesos import leader
from k8sm.daemons.zookeeper import zk_url
from k8sm.engine import cli
from k8sm.errors import K8smError
from k8sm.node import exec_on
from k8sm.output import Say, columns
from k8sm.target import Where
from k8sm.topology import Lab
from k8sm.workloads import BUSYBOX

#: Seconds a smoke task may take from submission to its end (a Docker task starts a container).
TASK_TIMEOUT = 120
RESOURCES = "cpus:0.1;mem:32"
#: The kinds of smoke task: a Mesos command task, and a task of Mesos's Docker containerizer.
COMMAND_TASK, DOCKER_TASK = "command", "docker"
KINDS = (COMMAND_TASK, DOCKER_TASK)
_UPDATE = re.compile(r"^Received status update (TASK_[A-Z_]+) for task '([^']*)'")


@dataclass(frozen=True)
class TaskRun:
    kind: str          # command, docker
    name: str
    states: tuple[str, ...]
    where: str = ""    # the minion whose engine ran it (Docker tasks)
    output: str = ""

    @property
    def finished(self) -> bool:
        return bool(self.states) and self.states[-1] == "TASK_FINISHED"


def execute_argv(lab: Lab, kind: str, name: str) -> list[str]:
    """mesos-execute for one smoke task, bounded by `timeout`."""
    argv = ["timeout", str(TASK_TIMEOUT), "mesos-execute", f"--master={zk_url(lab)}", f"--name={name}",
            f"--resources={RESOURCES}", "--command=echo k8sm-smoke-ok; hostname"]
    if kind == DOCKER_TASK:
        argv += ["--containerizer=docker", f"--docker_image={BUSYBOX}"]
    return argv


def parse_updates(output: str, name: str) -> tuple[str, ...]:
    """The task's states, in the order mesos-execute received them."""
    states = []
    for line in output.splitlines():
        m = _UPDATE.match(line.strip())
        if m and m.group(2) == name:
            states.append(m.group(1))
    return tuple(states)


def run(target: Where, lab: Lab, say: Say, kinds: Sequence[str] = KINDS) -> list[TaskRun]:
    """Launch one task of each kind through the leading master; their states, and where Docker ran."""
    current = leader(target, lab)
    if current is None:
        raise K8smError("no Mesos master leads", "bring Mesos up first (`invoke up`, or `invoke mesos.master --start`)")
    node = next((n for n in lab.role("mesos-master") if n.ip == current.ip), lab.role("mesos-master")[0])
    runs = []
    for kind in kinds:
        name = f"k8sm-smoke-{kind}-{secrets.token_hex(3)}"
        say(f"mesos.smoke: a {kind} task ({name}) through the leading master {current.hostname or current.ip} ...")
        before = mesos_containers(target, lab) if kind == DOCKER_TASK else {}
        result = exec_on(target, [(node, execute_argv(lab, kind, name))])[0]
        states = parse_updates(result.output, name)
        where = ""
        if kind == DOCKER_TASK:
            after = mesos_containers(target, lab)
            where = next((m for m in after if after[m] - before.get(m, set())), "")
        runs.append(TaskRun(kind, name, states, where, result.output))
        say(f"  {name}: {' -> '.join(states) or 'no status update'}" + (f" (in {where}'s engine)" if where else ""))
    return runs


def mesos_containers(target: Where, lab: Lab) -> dict[str, set[str]]:
    """The containers Mesos's Docker containerizer made (named mesos-...) in each minion's engine."""
    argv = cli.ps_argv({"name": "mesos-"}, format="{{.ID}}")  # the minion's own docker CLI
    minions = lab.role("minion")
    results = exec_on(target, [(m, argv) for m in minions])
    return {m.name: set(r.output.split()) if r.ok else set() for m, r in zip(minions, results, strict=True)}


def table(runs: Sequence[TaskRun]) -> str:
    rows = [("TASK", "KIND", "RESULT", "RAN IN")]
    for r in runs:
        result = "PASS" if r.finished and (r.kind != DOCKER_TASK or r.where) else "FAIL"
        last = r.states[-1] if r.states else "no status update"
        rows.append((r.name, r.kind, f"{result} ({last})", r.where or "-"))
    return "\n".join(columns(rows))


def passed(runs: Sequence[TaskRun]) -> bool:
    return all(r.finished and (r.kind != DOCKER_TASK or r.where) for r in runs)
