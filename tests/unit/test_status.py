"""k8sm.status and the check path under it: a state that cannot be read is unknown, never stopped.

A fake target answers `k8sm-daemon check` the way the real script does, but loses
or cuts answers on demand, as the engine's exec stream was seen to do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from k8sm import daemons, status, topology
from k8sm.daemons import control
from k8sm.daemons.base import DaemonState
from k8sm.errors import EngineError, HostUnreachable
from k8sm.node import LOST
from k8sm.placement import Placement
from k8sm.target import ExecResult, Target
from tests.cli import ROOT

LAB = topology.load(ROOT / "hosts.yaml")
HEALTHY_PROBES = {
    "etcd": '{"name":"x","id":"1","state":"StateLeader","leaderInfo":{"leader":"1"}}\n@@http 200',
    "zookeeper": "This ZooKeeper instance is not currently serving requests\nMode: leader",
    "docker": '{"Version":"20.10.24"}\n@@http 200',
}


def healthy_answer(names: Sequence[str]) -> str:
    """What `k8sm-daemon check` prints on a healthy node (Mesos and km not installed)."""
    out = []
    for i, name in enumerate(names):
        if name in HEALTHY_PROBES:
            out += [f"@@daemon {name} running {100 + i}", "@@probe", HEALTHY_PROBES[name], "", f"@@end {name}"]
        else:
            out += [f"@@daemon {name} absent {name}", f"@@end {name}"]
    return "\n".join(out) + "\n"


class FlakyTarget:
    """Answers check execs; `spoil([container, *argv], answer)` may replace an answer (lost, cut, garbage)."""

    label = "fake"

    def __init__(self, spoil=None) -> None:
        self.spoil = spoil or (lambda argv, answer: answer)
        self.calls = 0

    def exec_each(self, jobs):
        results = []
        for container, argv in jobs:
            self.calls += 1
            assert argv[:2] == ["k8sm-daemon", "check"]
            answer = self.spoil([container, *argv], healthy_answer(argv[2:]))
            results.append(answer if isinstance(answer, ExecResult) else ExecResult(0, answer))
        return results


def jobs() -> list:
    return [(n, daemons.for_role(n.role)) for n in LAB.nodes if daemons.for_role(n.role)]


def test_a_healthy_answer_reads_healthy():
    states = [s for node_states in control.check_nodes(FlakyTarget(), jobs()) for s in node_states]
    words = {s.word for s in states}
    assert words == {"healthy", "not installed"}, {(s.node, s.daemon, s.summary) for s in states}


@pytest.mark.parametrize("spoiled", [
    ExecResult(LOST, ""),                      # the exec's output was lost
    ExecResult(0, ""),                         # empty, with an exit code
    ExecResult(LOST, "@@daemon etcd running 100\n@@probe\n{\"name\""),  # cut inside the probe
    ExecResult(0, "@@daemon etcd running"),    # cut inside the first line
    ExecResult(0, "garbage\x00\x01"),          # not an answer at all
    ExecResult(1, "OCI runtime exec failed"),  # the engine's own error text
])
def test_answers_lost_once_are_asked_again_and_read_right(spoiled):
    seen: dict[str, int] = {}

    def once(argv, answer):
        key = " ".join(argv)
        seen[key] = seen.get(key, 0) + 1
        return spoiled if seen[key] == 1 else answer

    target = FlakyTarget(once)
    states = [s for node_states in control.check_nodes(target, jobs()) for s in node_states]
    assert all(s.known for s in states)
    assert not [s for s in states if s.word == "stopped"]
    assert target.calls == 2 * len(jobs())  # each node asked once more, no more


@pytest.mark.parametrize("spoiled", [ExecResult(LOST, ""), ExecResult(0, "@@daemon etcd running 100\n@@probe\n")])
def test_answers_lost_twice_are_unknown_with_the_reason(spoiled):
    target = FlakyTarget(lambda argv, answer: spoiled if argv[0] == "etcd-0" else answer)
    by_node = dict(zip((n.name for n, _ in jobs()), control.check_nodes(target, jobs()), strict=True))
    etcd_states = by_node["etcd-0"]
    assert [s.word for s in etcd_states] == ["unknown"]
    assert etcd_states[0].summary.startswith("unknown (probe failed: ")
    assert not etcd_states[0].stopped
    others = [s for name, states in by_node.items() if name.startswith("mesos") for s in states]
    assert {s.word for s in others} == {"healthy", "not installed"}


def lossy(rng: random.Random):
    """A spoiler for FlakyTarget: 15% of the answers lost, 10% cut at a random place."""
    def sometimes(argv, answer):
        roll = rng.random()
        if roll < 0.15:
            return ExecResult(LOST, "")
        if roll < 0.25:
            return ExecResult(0, answer[: rng.randrange(len(answer))])
        return answer
    return sometimes


def test_a_hundred_statuses_with_random_losses_never_say_stopped():
    sometimes = lossy(random.Random(4))
    for _ in range(100):
        rows = [status.NodeStatus(n, "running", tuple(s)) for (n, _), s in
                zip(jobs(), control.check_nodes(FlakyTarget(sometimes), jobs()), strict=True)]
        assert not [d for r in rows for d in r.daemons if d.word == "stopped"]
        code = status.exit_code(rows)
        assert code in (0, status.UNKNOWN_BIT)  # the layers stay healthy; only the unknown bit may show


def node_row(name: str, container: str, *states: DaemonState) -> status.NodeStatus:
    return status.NodeStatus(LAB.node(name), container, tuple(states))


def test_exit_bits():
    etcd_ok = node_row("etcd-0", "running", DaemonState("etcd-0", "etcd", True, 1, True))
    assert status.exit_code([etcd_ok]) == 0
    stopped = node_row("etcd-1", "running", DaemonState("etcd-1", "etcd", False))
    assert status.exit_code([etcd_ok, stopped]) == 2
    unknown = node_row("etcd-1", "running", DaemonState("etcd-1", "etcd", False, probe_error="no answer"))
    assert status.exit_code([etcd_ok, unknown]) == status.UNKNOWN_BIT == 16
    not_installed = node_row("mesos-master-0", "running",
                             DaemonState("mesos-master-0", "mesos-master", False, installed=False))
    assert status.exit_code([etcd_ok, not_installed]) == 0
    assert status.UNREACHABLE == 32 and status.UNREACHABLE not in {bit for _, bit, _ in status.LAYERS}


def test_a_stopped_etcd_container_makes_the_etcd_layer_unhealthy_too():
    down = DaemonState("etcd-2", "etcd", False, detail="container exited")
    rows = [node_row("etcd-0", "running", DaemonState("etcd-0", "etcd", True, 1, True)),
            node_row("etcd-2", "exited", down)]
    assert status.exit_code(rows) == 1 + 2
    assert status.as_json(LAB, "fake", rows)["layers"]["etcd/zookeeper"] == "unhealthy"


def master(i: int, detail: str, **kw) -> status.NodeStatus:
    name = f"mesos-master-{i}"
    return node_row(name, "running", DaemonState(name, "mesos-master", kw.pop("running", True), 1,
                                                 kw.pop("healthy", True), detail, **kw))


def test_masters_that_all_stand_by_leave_the_mesos_layer_unhealthy():
    assert status.exit_code([master(0, "leader"), master(1, "standby"), master(2, "standby")]) == 0
    # each answers, none leads: no work is done (an election under way, no quorum)
    assert status.exit_code([master(0, "standby"), master(1, "standby"), master(2, "standby")]) == 4
    rows = [master(0, "standby"), master(1, "", running=False, healthy=None), master(2, "standby")]
    assert status.exit_code(rows) == 4
    # a master whose state is unknown may be the leader: no judgement, only the unknown bit
    rows = [master(0, "standby"), master(1, "", running=False, healthy=None, probe_error="lost"), master(2, "standby")]
    assert status.exit_code(rows) == status.UNKNOWN_BIT
    # Mesos not installed: nothing to lead
    rows = [master(i, "", running=False, healthy=None, installed=False) for i in range(3)]
    assert status.exit_code(rows) == 0


def test_json_shows_unknown_with_its_reason():
    rows = [node_row("etcd-0", "running", DaemonState("etcd-0", "etcd", False, probe_error="no answer"))]
    daemon = status.as_json(LAB, "fake", rows)["nodes"][0]["daemons"][0]
    assert daemon["state"] == "unknown" and daemon["detail"] == "probe failed: no answer"


def test_a_daemon_that_needs_one_not_installed_is_blocked_and_does_not_count():
    # real km without Mesos: the scheduler cannot run, and that is no km failure
    states = {
        "mesos-master": [DaemonState(f"mesos-master-{i}", "mesos-master", False, installed=False) for i in range(3)],
        "apiserver": [DaemonState("kubernetes-mesos", "apiserver", True, 7, True)],
        "controller-manager": [DaemonState("kubernetes-mesos", "controller-manager", True, 8, True)],
        "scheduler": [DaemonState("kubernetes-mesos", "scheduler", False)],
    }
    marked = daemons.mark_blocked(states)
    scheduler = marked["scheduler"][0]
    assert scheduler.word == "blocked" and scheduler.blocked_by == "mesos-master"
    assert scheduler.summary == "blocked (needs mesos-master, which is not installed)"
    assert marked["controller-manager"][0].word == "healthy" and not marked["controller-manager"][0].blocked_by
    rows = [node_row("kubernetes-mesos", "running", *(s for name in ("apiserver", "controller-manager", "scheduler")
                                                       for s in marked[name]))]
    assert status.exit_code(rows) == 0
    # once Mesos is installed the same stopped scheduler is a km failure again
    states["mesos-master"] = [DaemonState("mesos-master-0", "mesos-master", True, 5, True)]
    again = daemons.mark_blocked(states)["scheduler"][0]
    assert again.word == "stopped"
    assert status.exit_code([node_row("kubernetes-mesos", "running", again)]) == 8


def test_blocking_passes_down_the_start_order():
    states = {
        "apiserver": [DaemonState("kubernetes-mesos", "apiserver", False, installed=False)],
        "controller-manager": [DaemonState("kubernetes-mesos", "controller-manager", False)],
    }
    marked = daemons.mark_blocked(states)
    assert marked["controller-manager"][0].blocked_by == "apiserver"


# ------------------------------------------------------------ a multi-host lab

SPREAD = topology.parse("""
hosts:
  a: {address: root@a}
  b: {address: root@b}
nodes:
  - {name: etcd-0, role: etcd}
  - {name: etcd-1, role: etcd, host: b}
  - {name: etcd-2, role: etcd, host: b}
  - {name: mesos-master-0, role: mesos-master}
  - {name: kubernetes-minion-0, role: minion, host: b}
""")


class FakeEngine:
    """The few engine calls status makes: the lab's containers, and no dist images."""

    def __init__(self, containers: list[dict]) -> None:
        self.listed = containers

    def containers(self, all: bool, filters: dict) -> list[dict]:  # noqa: A002 - docker's name
        return self.listed

    def inspect_image(self, ref: str) -> dict:
        import docker.errors

        raise docker.errors.ImageNotFound(ref)


class HostTarget(Target):
    """One host: its engine lists `nodes` (running, on the lab network); execs answer healthy. down: unreachable."""

    def __init__(self, label: str, nodes: Sequence[str], down: bool = False) -> None:
        super().__init__(None, label)  # type: ignore[arg-type]
        self.down = down
        self._client = None if down else FakeEngine([
            {"Id": n, "State": "running", "Labels": {"io.k8sm.node": n, "io.k8sm.lab": SPREAD.name},
             "NetworkSettings": {"Networks": {SPREAD.network.name: {"IPAddress": SPREAD.node(n).ip}}}}
            for n in nodes])

    def _connect(self):
        raise EngineError(f"no Docker engine is running on {self.label}", "start it there")

    def exec_each(self, jobs):
        return [ExecResult(0, healthy_answer(argv[2:])) for _, argv in jobs]


def spread_status(b_down: bool) -> list[status.NodeStatus]:
    a = HostTarget("root@a", ["etcd-0", "mesos-master-0"])
    b = HostTarget("root@b", ["etcd-1", "etcd-2", "kubernetes-minion-0", "etcd-0"], down=b_down)  # etcd-0: not b's
    return status.collect(Placement(SPREAD, {"a": a, "b": b}, {n.name: n.host for n in SPREAD.nodes}), SPREAD)


def test_each_node_is_listed_from_its_own_host_with_a_host_column():
    rows = spread_status(b_down=False)
    assert [(r.node.name, r.host, r.container) for r in rows] == [
        ("etcd-0", "a", "running"), ("etcd-1", "b", "running"), ("etcd-2", "b", "running"),
        ("mesos-master-0", "a", "running"), ("kubernetes-minion-0", "b", "running")]
    assert status.exit_code(rows) == 0
    lines = status.table(rows).splitlines()
    assert lines[0].split() == ["NODE", "HOST", "ROLE", "IP", "CONTAINER", "DAEMONS"]
    assert lines[2].split()[:2] == ["etcd-1", "b"]
    assert status.as_json(SPREAD, "hosts a, b", rows)["nodes"][1]["host"] == "b"


def test_the_nodes_of_an_unreachable_host_are_marked_and_the_rest_still_shown():
    rows = spread_status(b_down=True)
    by_name = {r.node.name: r for r in rows}
    assert by_name["etcd-0"].container == "running" and by_name["etcd-0"].daemons[0].healthy
    gone = by_name["etcd-1"]
    assert gone.container == "unreachable (host b: no Docker engine is running on root@b; start it there)"
    assert gone.daemons[0].word == "unknown" and "host b cannot be reached" in gone.daemon_summary
    assert status.exit_code(rows) == 1 + status.UNKNOWN_BIT + status.UNREACHABLE


def test_no_host_reachable_is_the_whole_engine_error():
    a, b = HostTarget("root@a", [], down=True), HostTarget("root@b", [], down=True)
    with pytest.raises(EngineError, match="^host a: no Docker engine is running on root@a"):
        status.collect(Placement(SPREAD, {"a": a, "b": b}, {n.name: n.host for n in SPREAD.nodes}), SPREAD)


class SshDownTarget(HostTarget):
    """A host whose SSH connection fails (the error SSH failures become)."""

    def _connect(self):
        raise HostUnreachable(f"{self.label} refused the SSH connection", "check that sshd runs there")


def test_no_host_reachable_over_ssh_keeps_its_kind_so_status_exits_32():
    a, b = SshDownTarget("root@a", [], down=True), SshDownTarget("root@b", [], down=True)
    with pytest.raises(HostUnreachable, match="^host a: root@a refused the SSH connection"):
        status.collect(Placement(SPREAD, {"a": a, "b": b}, {n.name: n.host for n in SPREAD.nodes}), SPREAD)


def test_ssh_connection_failures_are_host_unreachable():
    import socket

    import paramiko

    from k8sm.target import ssh_error

    for exc in (ConnectionRefusedError(111, "refused"), socket.gaierror(-2, "unknown"), TimeoutError("timed out"),
                paramiko.AuthenticationException("no"), OSError(113, "No route to host")):
        assert isinstance(ssh_error(exc, "root@h", 5), HostUnreachable), exc


def test_a_one_host_table_has_no_host_column():
    rows = [node_row("etcd-0", "running", DaemonState("etcd-0", "etcd", True, 1, True))]
    assert status.table(rows).splitlines()[0].split()[:2] == ["NODE", "ROLE"]
    assert "host" not in status.as_json(LAB, "local", rows)["nodes"][0]


def healthy(node: str, daemon: str) -> DaemonState:
    return DaemonState(node, daemon, True, 1, True)


def stopped(node: str, daemon: str) -> DaemonState:
    return DaemonState(node, daemon, False)


ONE_OF_EACH_LAYER = {"etcd/zookeeper": ("etcd-0", "etcd"), "mesos": ("kubernetes-minion-0", "mesos-slave"),
                     "k8sm": ("kubernetes-mesos", "apiserver")}


def all_healthy_rows() -> list[status.NodeStatus]:
    return [node_row(node, "running", healthy(node, daemon)) for node, daemon in ONE_OF_EACH_LAYER.values()]


def test_layer_health_names_every_layer_and_is_healthy_when_all_is():
    assert status.layer_health(all_healthy_rows()) == {name: True for name, _, _ in status.LAYERS}
    assert status.layer_health([]) == {name: True for name, _, _ in status.LAYERS}


@pytest.mark.parametrize("layer", sorted(ONE_OF_EACH_LAYER))
def test_a_stopped_daemon_makes_only_its_own_layer_unhealthy_and_adds_only_its_bit(layer):
    node, daemon = ONE_OF_EACH_LAYER[layer]
    rows = [r if r.node.name != node else node_row(node, "running", stopped(node, daemon)) for r in all_healthy_rows()]
    assert status.layer_health(rows) == {name: name != layer for name, _, _ in status.LAYERS}
    assert status.exit_code(rows) == dict((name, bit) for name, bit, _ in status.LAYERS)[layer]


def test_exit_code_is_the_sum_of_the_unhealthy_layers_bits():
    rows = [node_row("etcd-0", "exited", stopped("etcd-0", "etcd")),
            node_row("kubernetes-mesos", "running", DaemonState("kubernetes-mesos", "scheduler", True, 2, False))]
    assert status.layer_health(rows) == {"containers": False, "etcd/zookeeper": False, "mesos": True, "k8sm": False}
    assert status.exit_code(rows) == 1 + 2 + 8
    rows.append(node_row("kubernetes-minion-0", "running", DaemonState("kubernetes-minion-0", "docker", False,
                                                                       probe_error="cut short")))
    assert status.exit_code(rows) == 1 + 2 + 8 + status.UNKNOWN_BIT


def test_unknown_and_not_installed_daemons_do_not_count_for_their_layer():
    rows = [node_row("kubernetes-mesos", "running", DaemonState("kubernetes-mesos", "apiserver", False, installed=False),
                     DaemonState("kubernetes-mesos", "scheduler", False, probe_error="no answer"))]
    assert status.layer_health(rows)["k8sm"] is True
    assert status.exit_code(rows) == status.UNKNOWN_BIT
