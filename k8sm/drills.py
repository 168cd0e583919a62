"""`invoke drill`: failure drills on a running lab, with the verdict of each.

- etcd: a writer writes while the leading member is killed and restarted; no
  acknowledged write may be lost, and the member must rejoin with every key.
- zookeeper: the leader is killed; another must lead within 10 s.
- repair: a minion's container is removed; `up` must bring it back healthy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from k8sm import engine
from k8sm.daemons import control
from k8sm.daemons.dind import DOCKER
from k8sm.daemons.etcd import ETCD, endpoints
from k8sm.daemons.zookeeper import ZOOKEEPER
from k8sm.errors import K8smError
from k8sm.node import File, NodeHandle
from k8sm.output import Say
from k8sm.resources import script_text
from k8sm.target import Where
from k8sm.topology import Lab

ZK_FAILOVER_LIMIT = 10.0
WRITER = "drill-writer"
ACKED = "/tmp/k8sm-drill.acked"
PREFIX = "/k8sm-drill/"
#: Where the writer (scripts/k8sm-drill-writer) is put in its node.
WRITER_PATH = "/tmp/k8sm-drill-writer"


@dataclass(frozen=True)
class Verdict:
    drill: str
    passed: bool
    detail: str


def _healthy(target: Where, lab: Lab, daemon) -> list:
    states = control.states(target, lab, daemon, lab.role(daemon.role))
    bad = [s for s in states if not s.healthy]
    if bad:
        raise K8smError(f"{daemon.title} is not healthy ({', '.join(f'{s.node}: {s.summary}' for s in bad)})",
                        f"bring it up first (`invoke up` or `invoke {daemon.task} --start`)")
    return states


def etcd_drill(target: Where, lab: Lab, say: Say) -> Verdict:
    members = lab.role("etcd")
    if len(members) < 3:
        return Verdict("etcd", False, f"needs 3 or more etcd members, the lab has {len(members)}")
    states = _healthy(target, lab, ETCD)
    victim = lab.node(next(s.node for s in states if s.detail == "leader"))
    writer = NodeHandle(target, next(n for n in members if n.name != victim.name))
    writer.put_files({WRITER_PATH: File(script_text("k8sm-drill-writer"), 0o755)})
    writer.exec(["k8sm-daemon", "start", WRITER, "--", "bash", WRITER_PATH, endpoints(lab), ACKED, PREFIX])
    try:
        time.sleep(1.5)
        say(f"etcd drill: killing the leader {victim.name} while {writer.node.name} writes")
        control.kill(target, lab, ETCD, [victim], say)
        time.sleep(2.0)
        control.start(target, lab, ETCD, [victim], say, timeout=lab.timeouts.of("etcd"))
        time.sleep(1.0)
    finally:
        writer.exec(["k8sm-daemon", "kill", WRITER], check=False)
    acked = {int(x) for x in writer.exec(["cat", ACKED], check=False).output.split() if x.isdigit()}
    keys = NodeHandle(target, victim).exec(
        ["etcdctl", f"--endpoints=http://127.0.0.1:{lab.ports.etcd_client}", "get", PREFIX, "--prefix", "--keys-only",
         "--consistency=s"]).output.split()
    present = {int(k[len(PREFIX):]) for k in keys if k.startswith(PREFIX) and k[len(PREFIX):].isdigit()}
    NodeHandle(target, victim).exec(["etcdctl", f"--endpoints=http://127.0.0.1:{lab.ports.etcd_client}", "del",
                                     PREFIX, "--prefix"], check=False)
    lost = sorted(acked - present)
    if not acked:
        return Verdict("etcd", False, "the writer got no write acknowledged")
    if lost:
        return Verdict("etcd", False, f"{len(lost)} of {len(acked)} acknowledged writes missing on {victim.name}: "
                                      f"{lost[:5]}")
    return Verdict("etcd", True, f"{len(acked)} acknowledged writes, all on {victim.name} after it rejoined")


def zookeeper_drill(target: Where, lab: Lab, say: Say) -> Verdict:
    masters = lab.role("mesos-master")
    if len(masters) < 3:
        return Verdict("zookeeper", False, f"needs 3 or more ZooKeeper nodes, the lab has {len(masters)}")
    states = _healthy(target, lab, ZOOKEEPER)
    old = lab.node(next(s.node for s in states if s.detail == "leader"))
    say(f"zookeeper drill: killing the leader {old.name}")
    control.kill(target, lab, ZOOKEEPER, [old], say)
    started = time.monotonic()
    new = None
    while time.monotonic() - started < ZK_FAILOVER_LIMIT + 5:
        now = control.states(target, lab, ZOOKEEPER, [n for n in masters if n.name != old.name])
        new = next((s.node for s in now if s.healthy and s.detail == "leader"), None)
        if new:
            break
        time.sleep(0.25)
    took = time.monotonic() - started
    control.start(target, lab, ZOOKEEPER, [old], say, timeout=lab.timeouts.of("zookeeper"))
    if new is None or took > ZK_FAILOVER_LIMIT:
        return Verdict("zookeeper", False, f"no new leader within {ZK_FAILOVER_LIMIT:.0f} s (waited {took:.1f} s)")
    return Verdict("zookeeper", True, f"{new} leads {took:.1f} s after {old.name} was killed; {old.name} rejoined")


def repair_drill(target: Where, lab: Lab, say: Say, up: Callable[[], object]) -> Verdict:
    minions = lab.role("minion")
    if not minions:
        return Verdict("repair", False, "the lab has no minion to remove")
    victim = minions[-1]
    say(f"repair drill: removing the container of {victim.name}, then `up`")
    engine.remove_container(target.for_node(victim), victim.container)
    started = time.monotonic()
    up()
    took = time.monotonic() - started
    states = control.states(target, lab, DOCKER, [victim])
    if not all(s.healthy for s in states):
        return Verdict("repair", False, f"{victim.name} is back but its Docker engine is {states[0].summary}")
    return Verdict("repair", True, f"`up` recreated {victim.name} and its Docker engine in {took:.1f} s")


def table(verdicts: list[Verdict]) -> str:
    return "\n".join(f"{v.drill:12}  {'PASS' if v.passed else 'FAIL'}  {v.detail}" for v in verdicts)
