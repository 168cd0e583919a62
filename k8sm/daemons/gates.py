"""What must hold before a daemon starts: the original's start order, checked instead of slept.

apiserver waits for a healthy etcd; the controller-manager for the apiserver;
the scheduler for a leading Mesos master and the apiserver; Mesos masters for
a ZooKeeper quorum. Which step waits for what is k8sm.plan (the one start plan);
this module says how each kind of wait is checked. Each gate is polled until it
opens or the timeout ends, and a closed gate is one clear message saying which
task opens it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from k8sm import plan
from k8sm.daemons import health
from k8sm.daemons.base import Daemon
from k8sm.daemons.etcd import ETCD
from k8sm.daemons.health import Census
from k8sm.daemons.km import APISERVER
from k8sm.daemons.mesos import MESOS_MASTER
from k8sm.daemons.zookeeper import ZOOKEEPER
from k8sm.errors import DaemonError
from k8sm.output import Say
from k8sm.target import Where
from k8sm.topology import Lab

#: (target, lab, census, thorough) -> None when open, else why it is not. A check that is not
#: thorough asks over the network only; a thorough one also execs where that gave no clear answer.
Check = Callable[[Where, Lab, Census, bool], str | None]
#: Seconds between checks of a closed gate (network checks: cheap), and between thorough ones.
POLL_INTERVAL = 0.1
THOROUGH_INTERVAL = 1.0


@dataclass(frozen=True)
class Gate:
    what: str        # "a healthy etcd"
    daemon: str      # the daemon whose health opens it
    check: Check     # None when open, else why it is not
    opened_by: str   # the task that opens it


def _majority_healthy(daemon: Daemon) -> Check:
    def check(target: Where, lab: Lab, census: Census, thorough: bool) -> str | None:
        members = lab.role(daemon.role)
        current = health.states(target, lab, daemon, members, census, exec_unclear=thorough)
        healthy = [s for s in current if s.healthy]
        if len(healthy) >= daemon.majority(lab):
            return None
        return f"{len(healthy)} of {len(members)} {daemon.title} members are healthy"
    return check


def _all_healthy(daemon: Daemon) -> Check:
    def check(target: Where, lab: Lab, census: Census, thorough: bool) -> str | None:
        current = health.states(target, lab, daemon, lab.role(daemon.role), census, exec_unclear=thorough)
        bad = [f"{s.node}: {s.summary}" for s in current if not s.healthy]
        return f"{daemon.title} is not healthy ({', '.join(bad)})" if bad else None
    return check


def _leader_elected(target: Where, lab: Lab, census: Census, thorough: bool) -> str | None:
    """A master that says it leads (from the network; when thorough, unclear answers by exec).

    ZooKeeper's /mesos is not asked: a killed leader's znode outlives it by the session
    timeout (10 s), so it can name a leader that no longer answers."""
    masters = lab.role("mesos-master")
    if any(s.detail == "leader" for s in health.states(target, lab, MESOS_MASTER, masters, census,
                                                        exec_unclear=thorough)):
        return None
    return "no Mesos master says it leads"


ETCD_HEALTHY = Gate("a healthy etcd", "etcd", _majority_healthy(ETCD), "invoke etcd --start")
ZOOKEEPER_QUORUM = Gate("a ZooKeeper quorum", "zookeeper", _majority_healthy(ZOOKEEPER), "invoke mesos.zk --start")
MESOS_LEADER = Gate("a leading Mesos master", "mesos-master", _leader_elected, "invoke mesos.master --start")
APISERVER_HEALTHY = Gate("an apiserver that answers /healthz", "apiserver", _all_healthy(APISERVER),
                         "invoke k8sm.api --start")

#: How each kind of wait of the plan (k8sm.plan.Wait) is checked, with the words for it.
_GATE_OF: dict[tuple[str, str], Gate] = {
    (g.daemon, kind): g for g, kind in ((ETCD_HEALTHY, plan.MAJORITY), (ZOOKEEPER_QUORUM, plan.MAJORITY),
                                        (MESOS_LEADER, plan.LEADER), (APISERVER_HEALTHY, plan.ALL_HEALTHY))
}


def _gates_of(step: plan.Step) -> tuple[Gate, ...]:
    try:
        return tuple(_GATE_OF[(w.daemon, w.kind)] for w in step.waits)
    except KeyError as exc:
        raise ImportError(f"k8sm.plan: step {step.daemon} waits for {exc.args[0]}, which has no gate here") from None


#: daemon name -> the gates it waits for, from its step of k8sm.plan.PLAN (in the step's order).
GATES: dict[str, tuple[Gate, ...]] = {s.daemon: _gates_of(s) for s in plan.PLAN if s.waits}


def wait_for(target: Where, lab: Lab, daemon: Daemon, say: Say, timeout: float) -> None:
    """Wait until every gate of daemon is open, or raise naming the first that stayed closed."""
    wait_gates(target, lab, GATES.get(daemon.name, ()), daemon, say, timeout)


def wait_gates(target: Where, lab: Lab, gates: Sequence[Gate], daemon: Daemon, say: Say, timeout: float) -> None:
    """Poll each gate until it opens: over the network every POLL_INTERVAL, thoroughly (with execs)
    at first and every THOROUGH_INTERVAL; raise naming the gate if it is still closed at the deadline."""
    if not gates:
        return
    census = health.take_census(target, lab)
    deadline = time.monotonic() + timeout
    for gate in gates:
        announced = False
        last_thorough = float("-inf")
        while True:
            thorough = time.monotonic() - last_thorough >= THOROUGH_INTERVAL or time.monotonic() >= deadline
            last_thorough = time.monotonic() if thorough else last_thorough
            if (reason := gate.check(target, lab, census, thorough)) is None:
                break
            if thorough and time.monotonic() >= deadline:
                raise DaemonError(f"{daemon.title} needs {gate.what}; after {timeout:.0f}s: {reason}",
                                  f"run `{gate.opened_by}` first")
            if not announced and thorough:
                say(f"{daemon.title}: waiting for {gate.what} ({reason})")
                announced = True
            time.sleep(POLL_INTERVAL)
