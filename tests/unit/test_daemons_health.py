"""k8sm.daemons.health: the network first, an exec only where it leaves a doubt; never `stopped` from the network.

A fake target answers the daemons' network probes (by address, port and path) and
`k8sm-daemon check` execs the way the real script does; either can be spoiled.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest

from k8sm import daemons, labels, probes, status, topology
from k8sm.daemons import dind, health, km
from k8sm.daemons.base import Health
from k8sm.node import LOST
from k8sm.target import ExecResult
from tests.cli import ROOT
from tests.unit.test_status import lossy

LAB = topology.load(ROOT / "hosts.yaml")
MASTERS = LAB.role("mesos-master")
FW = LAB.framework
METRICS = ('# HELP engine_daemon_engine_info The information related to the engine\n'
           'engine_daemon_engine_info{architecture="x86_64",os="Debian GNU/Linux 12 (bookworm)",'
           'version="20.10.24+dfsg1"} 1\nengine_daemon_events_total 3\n')
FRAMEWORKS = json.dumps({"frameworks": [{"name": "Kubernetes", "active": True, "id": "f-1"}]})


def http(code: int, body: str = "") -> bytes:
    return f"HTTP/1.1 {code} X\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}".encode()


def healthy_network() -> dict[tuple[str, int, str], bytes]:
    """(ip, port, path or word) -> the answer of a healthy lab with everything installed and running."""
    p = LAB.ports
    net = {}
    for i, n in enumerate(LAB.role("etcd")):
        state = "StateLeader" if i == 0 else "StateFollower"
        net[(n.ip, p.etcd_client, "/v2/stats/self")] = http(200, json.dumps({"state": state,
                                                                              "leaderInfo": {"leader": "x"}}))
    for i, n in enumerate(MASTERS):
        net[(n.ip, p.zookeeper_client, "srvr")] = f"Mode: {'leader' if i == 2 else 'follower'}\n".encode()
        leading = i == 0
        state = {"pid": f"master@{n.ip}:5050", "leader": f"master@{MASTERS[0].ip}:5050"}
        net[(n.ip, p.mesos_master, "/master/state")] = http(200, json.dumps(state)) if leading else http(307)
        net[(n.ip, p.mesos_master, "/master/frameworks")] = http(200, FRAMEWORKS) if leading else http(307)
    for n in LAB.role("minion"):
        net[(n.ip, dind.METRICS_PORT, "/metrics")] = http(200, METRICS)
        net[(n.ip, p.mesos_agent, "/state")] = http(200, json.dumps({"master_hostname": "mesos-master-0"}))
        net[(n.ip, p.mesos_agent, "/metrics/snapshot")] = http(200, json.dumps({"slave/registered": 1.0}))
    for port in (p.apiserver, p.controller_manager, p.scheduler):
        net[(FW.ip, port, "/healthz")] = http(200, "ok")
    return net


class FakeConn:
    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.sent = b""

    def settimeout(self, value: float | None) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def recv(self, size: int) -> bytes:
        answer, self.answer = self.answer, b""
        return answer

    def close(self) -> None:
        pass


class RoutedConn(FakeConn):
    """Answers by what was asked: the HTTP path, or the four-letter word."""

    def __init__(self, routes: dict[str, bytes]) -> None:
        super().__init__(b"")
        self.routes = routes

    def sendall(self, data: bytes) -> None:
        text = data.decode()
        self.answer = self.routes.get(text.split()[1] if text.startswith("GET ") else text, b"")


class FakeLab:
    """A target: network answers from `net` (spoiled by `spoil_net`), execs answered from `procs`."""

    label = "fake"

    def __init__(self, net=None, spoil_net: Callable[[tuple, bytes], bytes | None] | None = None,
                 spoil_exec: Callable[[list[str], str], str | ExecResult] | None = None) -> None:
        self.net = healthy_network() if net is None else net
        self.spoil_net = spoil_net or (lambda key, answer: answer)
        self.spoil_exec = spoil_exec or (lambda argv, answer: answer)
        self.dialed: list[tuple[str, int]] = []
        self.execs: list[list[str]] = []
        self.procs: dict[tuple[str, str], str] = {}  # (node, daemon) -> "running", "stopped", "absent"

    def open_tcp(self, ip: str, port: int, timeout: float) -> FakeConn:
        self.dialed.append((ip, port))
        routes = {}
        for (rip, rport, what), answer in self.net.items():
            if (rip, rport) == (ip, port):
                spoiled = self.spoil_net((ip, port, what), answer)
                if spoiled is not None:
                    routes[what] = spoiled
        if not routes:
            raise ConnectionRefusedError(ip, port)
        return RoutedConn(routes)

    def exec_each(self, jobs):
        results = []
        for container, argv in jobs:
            assert argv[:2] == ["k8sm-daemon", "check"]
            self.execs.append([container, *argv])
            answer = self.spoil_exec([container, *argv], self.check_answer(container, argv[2:]))
            results.append(answer if isinstance(answer, ExecResult) else ExecResult(0, answer))
        return results

    def check_answer(self, container: str, names: list[str]) -> str:
        out = []
        for i, name in enumerate(names):
            proc = self.procs.get((container, name), "running")
            if proc == "running":
                out += [f"@@daemon {name} running {100 + i}", "@@probe", self.exec_probe(container, name), ""]
            elif proc == "absent":
                out += [f"@@daemon {name} absent {name}"]
            else:
                out += [f"@@daemon {name} stopped"]
            out.append(f"@@end {name}")
        return "\n".join(out) + "\n"

    def exec_probe(self, node: str, name: str) -> str:
        """What the in-container probe prints for a running daemon (healthy, as the lab is)."""
        if name == "mesos-master" and node == MASTERS[0].container:  # the leader, as on the network
            state = {"pid": f"master@{MASTERS[0].ip}:5050", "leader": f"master@{MASTERS[0].ip}:5050"}
            return f"{json.dumps(state)}\n@@http 200"
        return {"etcd": '{"state":"StateFollower","leaderInfo":{"leader":"x"}}\n@@http 200',
                "zookeeper": "Mode: follower", "docker": '{"Version":"20.10.24+dfsg1"}\n@@http 200',
                "mesos-master": "\n@@http 307", "mesos-slave": '{"master_hostname":"m"}\n@@http 200',
                "scheduler": f"@@healthz ok\n@@frameworks\n{FRAMEWORKS}"}.get(name, "ok\n@@http 200")


def listing(dists: str | None = "mesos,kubernetes", running=None, ips=None) -> list[dict]:
    """The engine's container list for LAB (every node running at its IP unless told otherwise)."""
    out = []
    for n in LAB.nodes:
        lbls = {labels.NODE: n.name, labels.LAB: LAB.name}
        if dists is not None and n.role in ("mesos-master", "framework", "minion"):
            lbls[labels.DISTS] = dists
        state = "running" if running is None or n.name in running else "exited"
        ip = (ips or {}).get(n.name, n.ip)
        out.append({"Labels": lbls, "State": state, "NetworkSettings": {"Networks": {LAB.network.name: {"IPAddress": ip}}}})
    return out


def jobs() -> list:
    return [(n, daemons.for_role(n.role)) for n in LAB.nodes if daemons.for_role(n.role)]


def check(target: FakeLab, census=None, **kwargs) -> dict[tuple[str, str], object]:
    census = census if census is not None else health.census_of(LAB, listing())
    found = health.check(target, LAB, jobs(), census, **kwargs)
    return {(s.node, s.daemon): s for node_states in found for s in node_states}


def test_a_healthy_lab_is_read_from_the_network_alone():
    target = FakeLab()
    states = check(target)
    assert target.execs == []
    assert {s.word for s in states.values()} == {"healthy"}
    assert {s.via for s in states.values()} == {"network"}
    assert states[("etcd-0", "etcd")].detail == "leader" and states[("etcd-1", "etcd")].detail == "follower"
    assert states[("mesos-master-2", "zookeeper")].detail == "leader"
    assert states[("mesos-master-0", "mesos-master")].detail == "leader"
    assert states[("mesos-master-1", "mesos-master")].detail == "standby"  # its 307
    assert states[("kubernetes-minion-0", "mesos-slave")].detail == "registered with mesos-master-0"
    assert states[("kubernetes-minion-0", "docker")].detail == "engine 20.10.24+dfsg1"
    assert states[("kubernetes-mesos", "scheduler")].detail == "registered with Mesos as f-1"
    assert all(s.pid is None for s in states.values())


def test_programs_the_image_lacks_are_not_installed_without_an_exec():
    target = FakeLab(net={k: v for k, v in healthy_network().items() if k[1] not in (5050, 5051, 8080, 10251, 10252)})
    states = check(target, health.census_of(LAB, listing(dists="")))
    assert target.execs == []
    absent = {k for k, s in states.items() if s.word == "not installed"}
    assert absent == {k for k in states if k[1] in ("mesos-master", "mesos-slave", "apiserver",
                                                    "controller-manager", "scheduler")}
    assert {states[k].via for k in absent} == {"image"}
    assert not [k for k in target.dialed if k[1] in (5050, 5051)]  # not even asked
    rows = status.rows_from_checked(LAB, {n.name: "running" for n in LAB.nodes},
                                    {n: [s for (node, _), s in states.items() if node == n] for n in (n.name for n in LAB.nodes)})
    assert status.exit_code(rows) == 0


def test_an_image_that_does_not_say_what_it_holds_is_asked_by_exec():
    target = FakeLab(net={k: v for k, v in healthy_network().items() if k[1] != 5050})
    for m in MASTERS:
        target.procs[(m.container, "mesos-master")] = "absent"
    states = check(target, health.census_of(LAB, listing(dists=None)))
    # only the daemons in doubt: the masters, and the scheduler, which no master could vouch for
    assert {e[0]: e[3:] for e in target.execs} == {**{m.container: ["mesos-master"] for m in MASTERS},
                                                   FW.container: ["scheduler"]}
    assert {states[(m.name, "mesos-master")].word for m in MASTERS} == {"not installed"}


SPOILED_ANSWERS = {
    "refused": None,
    "cut short": http(200, '{"state":"StateLeader","leaderInfo":{"leader":"x"}}')[:-10],
    "garbage": b"\x00\x01garbage\r\n\r\n",
    "unhealthy": http(200, '{"state":"StateCandidate"}'),
    "an error": http(500, "oops"),
}


@pytest.mark.parametrize("how", SPOILED_ANSWERS)
def test_an_answer_that_is_not_clearly_healthy_is_checked_by_exec(how):
    target = FakeLab(spoil_net=lambda key, answer: SPOILED_ANSWERS[how] if key[0] == LAB.node("etcd-0").ip else answer)
    states = check(target)
    assert target.execs == [[LAB.node("etcd-0").container, "k8sm-daemon", "check", "etcd"]]
    etcd0 = states[("etcd-0", "etcd")]
    assert (etcd0.word, etcd0.via, etcd0.pid) == ("healthy", "exec", 100)


def test_stopped_comes_only_from_the_pid_file():
    target = FakeLab(spoil_net=lambda key, answer: None if key[2] == "srvr" and key[0] == MASTERS[1].ip else answer)
    target.procs[(MASTERS[1].container, "zookeeper")] = "stopped"
    states = check(target)
    assert states[("mesos-master-1", "zookeeper")].word == "stopped"
    assert states[("mesos-master-1", "zookeeper")].via == "exec"


@pytest.mark.parametrize("lost", [ExecResult(LOST, ""), ExecResult(0, "@@daemon etcd running 100\n@@probe\n")])
def test_no_answer_on_the_network_and_an_exec_lost_twice_is_unknown(lost):
    target = FakeLab(spoil_net=lambda key, answer: None if key[0] == LAB.node("etcd-2").ip else answer,
                     spoil_exec=lambda argv, answer: lost)
    etcd2 = check(target)[("etcd-2", "etcd")]
    assert etcd2.word == "unknown" and not etcd2.stopped
    assert etcd2.summary.startswith("unknown (probe failed: ")
    assert len(target.execs) == 2  # asked, then asked once more


def test_a_hundred_checks_with_random_losses_on_both_paths_never_say_stopped():
    rng = random.Random(12)

    def net(key, answer):
        roll = rng.random()
        if roll < 0.15:
            return None
        if roll < 0.25:
            return answer[: rng.randrange(len(answer) + 1)]
        if roll < 0.3:
            return rng.choice(list(SPOILED_ANSWERS.values()))
        return answer

    for _ in range(100):
        states = check(FakeLab(spoil_net=net, spoil_exec=lossy(rng)))
        assert not [s for s in states.values() if s.word == "stopped"]
        rows = [status.NodeStatus(LAB.node(node), "running", tuple(s for (n, _), s in states.items() if n == node))
                for node in {n for n, _ in states}]
        assert status.exit_code(rows) in (0, status.UNKNOWN_BIT)


def test_only_running_lab_containers_are_asked_at_their_own_address():
    stray = "172.30.9.9"  # the container runs, but not where the topology says: not asked there
    census = health.census_of(LAB, listing(running={n.name for n in LAB.nodes} - {"mesos-master-2"},
                                           ips={"etcd-1": stray}))
    target = FakeLab()
    found = health.check(target, LAB, [(n, ds) for n, ds in jobs() if n.name != "mesos-master-2"], census)
    allowed = {ip for name, ip in census.ips.items() if LAB.node(name).ip == ip}
    assert {ip for ip, _ in target.dialed} <= allowed
    assert MASTERS[2].ip not in {ip for ip, _ in target.dialed} and stray not in {ip for ip, _ in target.dialed}
    # the scheduler's registration came from the leading master, which runs; etcd-1 was asked by exec
    assert [e[0] for e in target.execs] == [LAB.node("etcd-1").container]
    assert all(s.healthy for node_states in found for s in node_states)


def test_without_exec_a_doubt_is_unknown_not_stopped():
    target = FakeLab(spoil_net=lambda key, answer: None if key[0] == LAB.node("etcd-0").ip else answer)
    etcd0 = check(target, exec_unclear=False)[("etcd-0", "etcd")]
    assert target.execs == [] and etcd0.word == "unknown" and etcd0.probe_error == health.UNCLEAR


def test_the_scheduler_without_a_leading_masters_answer_is_checked_by_exec():
    target = FakeLab(spoil_net=lambda key, answer: http(307) if key[2] == "/master/frameworks" else answer)
    states = check(target)
    assert target.execs == [[FW.container, "k8sm-daemon", "check", "scheduler"]]
    assert states[("kubernetes-mesos", "scheduler")].via == "exec"


def test_the_network_answers_read_like_the_in_container_probes():
    # what k8sm-framework-check prints, built from the network answers
    healthz, leader, standby = "ok\n@@http 200\n", f"{FRAMEWORKS}\n@@http 200\n", "\n@@http 307\n"
    output = km.framework_check_output([healthz, standby, leader, probes.NO_HTTP_ANSWER])
    assert output == f"@@healthz ok\n@@name Kubernetes\n@@frameworks\n{FRAMEWORKS}"
    assert km.parse_scheduler_probe(output) == Health(True, "registered with Mesos as f-1")
    none = km.framework_check_output([probes.NO_HTTP_ANSWER, standby])
    assert km.parse_scheduler_probe(none) == Health(False, "not answering")
    # the minion's engine: its metrics from outside, its /version from inside
    assert dind.parse_probe(f"{METRICS}\n@@http 200\n") == Health(True, "engine 20.10.24+dfsg1")
    assert dind.parse_probe("engine_daemon_events_total 3\n\n@@http 200\n") == Health(False, "engine not started")
    assert dind.parse_probe('{"Version":"20.10.24+dfsg1"}\n@@http 200\n') == Health(True, "engine 20.10.24+dfsg1")
    # every daemon of the lab can be asked from outside, and only at the lab's own addresses
    lab_ips = {n.ip for n in LAB.nodes}
    for node, node_daemons in jobs():
        for daemon in node_daemons:
            assert daemon.net_probe is not None
            assert {a.ip for a in daemon.net_probe(LAB, node).asks} <= lab_ips
