"""Failure drills on a real Mesos cluster (`invoke drill --only mesos-master` / `--only mesos-agent`).

- mesos-master: the leading master is killed; another must lead (answer /master/state as
  the leader) within MASTER_FAILOVER_LIMIT seconds, and the killed one rejoins as a standby.
- mesos-agent: a long task runs (a checkpointing framework); its agent is restarted; the
  agent must re-register within AGENT_REREGISTER_LIMIT seconds, and the task is reported
  as it is then (still running, or the state the master gives it).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from k8sm.daemons import control
from k8sm.daemons.base import http_probe, parse_http
from k8sm.daemons.km import SCHEDULER
from k8sm.daemons.mesos import MESOS_AGENT, MESOS_MASTER, Leader, leader
from k8sm.daemons.zookeeper import zk_url
from k8sm.drills import Verdict
from k8sm.errors import K8smError
from k8sm.node import NodeHandle, exec_on
from k8sm.output import Say
from k8sm.target import Where
from k8sm.topology import Lab, Node

#: Measured on the lab (see the README): the leading master's ZooKeeper session must
#: expire (--zk_session_timeout, 10 s) before a standby can win, then it recovers the registry.
MASTER_FAILOVER_LIMIT = 40.0
AGENT_REREGISTER_LIMIT = 60.0
LONG_TASK = "drill-long-task"
#: km's scheduler notices a lost master at its next message to it (its reconciliation, ~15 s here).
SCHEDULER_NOTICE_LIMIT = 45.0


def master_drill(target: Where, lab: Lab, say: Say) -> Verdict:
    masters = lab.role("mesos-master")
    if len(masters) < 3:
        return Verdict("mesos-master", False, f"needs 3 or more Mesos masters, the lab has {len(masters)}")
    current = _leader_or_raise(target, lab)
    victim = next(n for n in masters if n.ip == current.ip)
    say(f"mesos-master drill: killing the leading master {victim.name}")
    control.kill(target, lab, MESOS_MASTER, [victim], say)
    started = time.monotonic()
    new = None
    while time.monotonic() - started < MASTER_FAILOVER_LIMIT + 10 and new is None:
        others = control.states(target, lab, MESOS_MASTER, [n for n in masters if n.name != victim.name])
        new = next((s.node for s in others if s.healthy and s.detail == "leader"), None)
        if new is None:
            time.sleep(0.25)
    took = time.monotonic() - started
    control.start(target, lab, MESOS_MASTER, [victim], say, timeout=lab.timeouts.of("mesos-master"))
    if new is None or took > MASTER_FAILOVER_LIMIT:
        return Verdict("mesos-master", False, f"no new leading master within {MASTER_FAILOVER_LIMIT:.0f} s "
                                              f"(waited {took:.1f} s)")
    return Verdict("mesos-master", True, f"{new} leads {took:.1f} s after {victim.name} was killed; "
                                         f"{victim.name} rejoined as a standby" + _scheduler_after_failover(target, lab, say))


def _scheduler_after_failover(target: Where, lab: Lab, say: Say) -> str:
    """km's scheduler (2015) exits when its leading master goes away ("fatal scheduler error"):
    start it again where it ran, so the drill leaves the lab whole, and say what happened."""
    frameworks = lab.role(SCHEDULER.role)
    if not frameworks:
        return ""
    deadline = time.monotonic() + SCHEDULER_NOTICE_LIMIT
    while True:
        state = control.states(target, lab, SCHEDULER, frameworks[:1])[0]
        if not state.installed or state.healthy or time.monotonic() > deadline:
            break
        if state.stopped:
            say("mesos-master drill: km scheduler exited with its master; starting it again")
            control.start(target, lab, SCHEDULER, frameworks[:1], say, timeout=lab.timeouts.of("scheduler"))
            return "; km scheduler exited with its master and re-registered after a restart"
        time.sleep(1.0)
    if state.healthy:
        return "; km scheduler stayed registered"
    return "" if not state.installed else f"; km scheduler not registered with the new leader ({state.summary})"


def agent_drill(target: Where, lab: Lab, say: Say) -> Verdict:
    current = _leader_or_raise(target, lab)
    runner = next(n for n in lab.role("mesos-master") if n.ip == current.ip)
    name = f"k8sm-drill-{secrets.token_hex(3)}"
    say(f"mesos-agent drill: a long task ({name}) through the leading master")
    NodeHandle(target, runner).exec(["k8sm-daemon", "start", LONG_TASK, "--", "timeout", "900", "mesos-execute",
                                     f"--master={zk_url(lab)}", f"--name={name}", "--checkpoint",
                                     "--resources=cpus:0.1;mem:32", "--command=sleep 600"])
    try:
        task = _wait_task(target, lab, runner, name, "TASK_RUNNING", 90.0)
        if task is None:
            return Verdict("mesos-agent", False, f"the task {name} did not start within 90 s")
        agent = _agent_node(target, lab, runner, task.get("slave_id", ""))
        say(f"mesos-agent drill: restarting the agent on {agent.name}, which runs {name}")
        control.kill(target, lab, MESOS_AGENT, [agent], say)
        started = time.monotonic()
        control.start(target, lab, MESOS_AGENT, [agent], say, timeout=AGENT_REREGISTER_LIMIT)
        took = time.monotonic() - started
        after = _wait_task(target, lab, runner, name, "TASK_RUNNING", 15.0)
        state = after.get("state") if after else (_task(target, lab, runner, name) or {}).get("state", "gone")
    finally:
        NodeHandle(target, runner).exec(["k8sm-daemon", "kill", LONG_TASK, "5"], check=False)
    if took > AGENT_REREGISTER_LIMIT:
        return Verdict("mesos-agent", False, f"{agent.name} re-registered only after {took:.1f} s")
    survived = state == "TASK_RUNNING"
    return Verdict("mesos-agent", True, f"{agent.name} re-registered {took:.1f} s after its restart; the task "
                                        + ("kept running" if survived else f"is reported {state}"))


def _leader_or_raise(target: Where, lab: Lab) -> Leader:
    current = leader(target, lab)
    if current is None:
        raise K8smError("no Mesos master leads", "bring Mesos up first (`invoke up`)")
    return current


def master_json(target: Where, lab: Lab, via: Node, path: str) -> dict[str, Any]:
    """GET a path of the leading master (asked from a master node), as JSON; {} if it does not answer."""
    current = leader(target, lab)
    if current is None:
        return {}
    url = f"http://{current.ip}:{current.port or lab.ports.mesos_master}{path}"
    code, body = parse_http(exec_on(target, [(via, http_probe(url))])[0].output)
    try:
        return json.loads(body) if code == 200 else {}
    except ValueError:
        return {}


def _task(target: Where, lab: Lab, via: Node, name: str) -> dict[str, Any] | None:
    tasks = master_json(target, lab, via, "/master/tasks").get("tasks", [])
    return next((t for t in tasks if t.get("name") == name), None)


def _wait_task(target: Where, lab: Lab, via: Node, name: str, state: str, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = _task(target, lab, via, name)
        if task and task.get("state") == state:
            return task
        time.sleep(0.5)
    return None


def _agent_node(target: Where, lab: Lab, via: Node, agent_id: str) -> Node:
    agents = master_json(target, lab, via, "/master/slaves").get("slaves", [])
    hostname = next((a.get("hostname") for a in agents if a.get("id") == agent_id), None)
    minion = next((m for m in lab.role("minion") if m.name == hostname), None)
    if minion is None:
        raise K8smError(f"the task's agent {agent_id} is no minion of the lab ({hostname})")
    return minion
