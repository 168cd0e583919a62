"""Apache Mesos: masters on the mesos-master nodes, agents on the minions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from k8sm.daemons.base import DATA_ROOT, LOG_DIR, Daemon, Health, NetProbe, http_net_probe, http_probe, parse_http, parse_http_all
from k8sm.daemons.zookeeper import zk_url
from k8sm.errors import K8smError, shown
from k8sm.node import exec_on
from k8sm.probes import HttpGet
from k8sm.target import Where
from k8sm.topology import Lab, Node

WORK_DIR = f"{DATA_ROOT}/mesos"
MESOS_LOG_DIR = f"{LOG_DIR}/mesos"
CONTAINERIZERS = "docker,mesos"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_ZK = re.compile(r"zk://([A-Za-z0-9_.:-]{1,128}@)?[A-Za-z0-9.:,\[\]-]{1,1024}/[A-Za-z0-9_./-]{1,255}")


@dataclass(frozen=True)
class MasterOverrides:
    """The original's manual prompts for mesos-master, as options."""

    quorum: int | None = None
    cluster: str | None = None
    zk: str | None = None

    def validate(self, lab: Lab) -> None:
        masters = len(lab.role("mesos-master"))
        if self.quorum is not None and not 1 <= self.quorum <= masters:
            raise K8smError(f"--quorum must be between 1 and the number of masters ({masters}), not {self.quorum}")
        if self.cluster is not None and not _NAME.fullmatch(self.cluster):
            raise K8smError(f"--cluster {shown(self.cluster)} may only hold letters, digits and _ . -")
        if self.zk is not None and not _ZK.fullmatch(self.zk):
            raise K8smError(f"--zk {shown(self.zk)} is not a zk://HOST:PORT[,...]/PATH URL")

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.quorum, self.cluster, self.zk))


@dataclass(frozen=True)
class AgentOverrides:
    """The original's manual prompts for mesos-slave, as options."""

    master: str | None = None
    containerizers: str | None = None

    def validate(self, lab: Lab) -> None:
        if self.master is not None and not (_ZK.fullmatch(self.master) or _NAME.fullmatch(self.master.replace(":", "_"))):
            raise K8smError(f"--master {shown(self.master)} is not a zk:// URL or HOST:PORT")
        if self.containerizers is not None and not all(
                c in ("docker", "mesos") for c in self.containerizers.split(",")):
            raise K8smError(f"--containerizers {shown(self.containerizers)} must list docker and/or mesos")

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.master, self.containerizers))


def master_argv(lab: Lab, node: Node, overrides: MasterOverrides = MasterOverrides()) -> list[str]:
    return [
        "mesos-master",
        f"--ip={node.ip}",
        f"--hostname={node.name}",
        f"--port={lab.ports.mesos_master}",
        f"--cluster={overrides.cluster or lab.mesos.cluster}",
        f"--zk={overrides.zk or zk_url(lab)}",
        f"--quorum={overrides.quorum or MESOS_MASTER.majority(lab)}",  # the original hard-coded 1
        "--registry=replicated_log",
        f"--work_dir={WORK_DIR}",
        f"--log_dir={MESOS_LOG_DIR}",
    ]


def agent_argv(lab: Lab, node: Node, overrides: AgentOverrides = AgentOverrides()) -> list[str]:
    return [
        "k8sm-mesos-agent",
        f"--master={overrides.master or zk_url(lab)}",
        f"--ip={node.ip}",
        f"--hostname={node.name}",
        f"--port={lab.ports.mesos_agent}",
        f"--containerizers={overrides.containerizers or CONTAINERIZERS}",
        "--docker=docker",
        "--launcher=posix",          # no cgroup launcher inside a container
        "--systemd_enable_support=false",
        f"--work_dir={WORK_DIR}",
        f"--log_dir={MESOS_LOG_DIR}",
    ]


def master_probe_argv(lab: Lab, node: Node) -> list[str]:
    # The leading master answers 200 with its state; the others redirect (307) to it.
    # Mesos listens on --ip only (the node's address), never on 127.0.0.1.
    return http_probe(f"http://{node.ip}:{lab.ports.mesos_master}/master/state")


def parse_master_probe(output: str) -> Health:
    code, body = parse_http(output)
    if code == 307:
        return Health(True, "standby")
    if code != 200:
        return Health(False, "not answering" if code == 0 else f"HTTP {code}")
    try:
        state = json.loads(body)
    except ValueError:
        return Health(False, "unreadable state")
    if not isinstance(state, dict) or not state.get("pid"):  # every master's state names its own pid
        return Health(False, "unreadable state")
    leading = state.get("leader") and state.get("leader") == state.get("pid")
    return Health(True, "leader" if leading else "standby")


#: What the agent probe asks: its state (the master it detected), then its metrics (whether it
#: registered: an agent names the master it detected before the master accepts it).
AGENT_PATHS = ("/state", "/metrics/snapshot")


def agent_probe_argv(lab: Lab, node: Node) -> list[str]:
    return http_probe(*(f"http://{node.ip}:{lab.ports.mesos_agent}{path}" for path in AGENT_PATHS))


def agent_net_probe(lab: Lab, node: Node) -> NetProbe:
    return NetProbe(tuple(HttpGet(node.ip, lab.ports.mesos_agent, path) for path in AGENT_PATHS), "".join)


def parse_agent_probe(output: str) -> Health:
    """Registered when the agent's metrics say slave/registered 1 (without metrics: when its
    state names a master); the detail names the master."""
    answers = parse_http_all(output)
    code, body = answers[0] if answers else (0, "")
    if code != 200:
        return Health(False, "not answering" if code == 0 else f"HTTP {code}")
    try:
        master = json.loads(body).get("master_hostname")
    except (ValueError, AttributeError):
        return Health(False, "unreadable state")
    registered = _registered(answers[1:])
    if registered is False:
        return Health(False, f"not registered yet (detected {master})" if master else "not registered with a master")
    return Health(True, f"registered with {master}") if master else Health(False, "not registered with a master")


def _registered(answers: list[tuple[int, str]]) -> bool | None:
    """slave/registered from the metrics answer; None when there is no readable one."""
    if not answers or answers[0][0] != 200:
        return None
    try:
        value = json.loads(answers[0][1]).get("slave/registered")
    except (ValueError, AttributeError):
        return None
    return None if not isinstance(value, (int, float)) else value >= 1


MESOS_MASTER = Daemon(name="mesos-master", title="Mesos master", role="mesos-master", task="mesos.master",
                      argv=master_argv, probe_argv=master_probe_argv, parse_probe=parse_master_probe,
                      quorum=True, requires=("mesos-master",), provided_by="invoke build.mesos", dist="mesos",
                      net_probe=http_net_probe("mesos_master", "/master/state"))
MESOS_AGENT = Daemon(name="mesos-slave", title="Mesos agent", role="minion", task="mesos.slave",
                     argv=agent_argv, probe_argv=agent_probe_argv, parse_probe=parse_agent_probe,
                     requires=("mesos-agent|mesos-slave",), provided_by="invoke build.mesos", dist="mesos",
                     net_probe=agent_net_probe)


# ------------------------------------------------------------ cluster views


@dataclass(frozen=True)
class Leader:
    hostname: str
    ip: str
    port: int


def parse_leader(output: str) -> Leader | None:
    """k8sm-zk-leader output (a MasterInfo as JSON) -> the leader, or None."""
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            try:
                info = json.loads(line)
            except ValueError:
                return None
            address = info.get("address") or {}
            hostname = info.get("hostname") or address.get("hostname") or ""
            ip = address.get("ip") or _int_ip(info.get("ip"))
            return Leader(hostname=hostname, ip=ip, port=int(info.get("port") or address.get("port") or 0))
    return None


def _int_ip(value: object) -> str:
    # MasterInfo.ip is an IPv4 address as a little-endian 32-bit integer
    if not isinstance(value, int):
        return ""
    return ".".join(str((value >> shift) & 0xFF) for shift in (0, 8, 16, 24))


def leader(target: Where, lab: Lab) -> Leader | None:
    """The leading master, read from ZooKeeper's /mesos node (on the first mesos-master node)."""
    master = lab.role("mesos-master")[0]
    result = exec_on(target, [(master, ["k8sm-zk-leader", "/mesos", str(lab.ports.zookeeper_client)])])[0]
    return parse_leader(result.output) if result.ok else None


def registered_agents(target: Where, lab: Lab, current: Leader) -> list[str]:
    """Hostnames of the agents the leading master lists (its /master/slaves endpoint)."""
    master = lab.role("mesos-master")[0]
    url = f"http://{current.ip}:{current.port or lab.ports.mesos_master}/master/slaves"
    return parse_agents(exec_on(target, [(master, http_probe(url))])[0].output)


def parse_agents(output: str) -> list[str]:
    """/master/slaves JSON -> the hostnames of the registered agents."""
    code, body = parse_http(output)
    if code != 200:
        return []
    try:
        return sorted(a.get("hostname", "?") for a in json.loads(body).get("slaves", []) if a.get("active", True))
    except (ValueError, AttributeError):
        return []
