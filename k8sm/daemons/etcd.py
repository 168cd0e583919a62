"""etcd: a cluster member per etcd node, v2 API on, client ports 2379 and 4001."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from k8sm.daemons.base import DATA_ROOT, Daemon, Health, http_net_probe, http_probe, parse_http
from k8sm.errors import K8smError, shown
from k8sm.topology import Lab, Node

DATA_DIR = f"{DATA_ROOT}/etcd"
CLUSTER_STATES = ("new", "existing")
_MEMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}=https?://[A-Za-z0-9.\[\]:-]{1,255}:[0-9]{1,5}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_TOKEN = re.compile(r"[A-Za-z0-9_.:/@+=,-]{1,128}")


@dataclass(frozen=True)
class Overrides:
    """The original's `manual` mode: values that replace the topology's for one start."""

    name: str | None = None
    initial_cluster: str | None = None
    cluster_state: str | None = None
    token: str | None = None

    def validate(self) -> None:
        problems = []
        if self.name is not None and not _NAME.fullmatch(self.name):
            problems.append(f"--name {shown(self.name)} is not a valid member name")
        if self.initial_cluster is not None and not all(
                _MEMBER.fullmatch(m) for m in self.initial_cluster.split(",")):
            problems.append(f"--initial-cluster {shown(self.initial_cluster)} is not NAME=http://IP:PORT[,...]")
        if self.cluster_state is not None and self.cluster_state not in CLUSTER_STATES:
            problems.append(f"--cluster-state must be one of {', '.join(CLUSTER_STATES)}")
        if self.token is not None and not _TOKEN.fullmatch(self.token):
            problems.append(f"--token {shown(self.token)} may only hold letters, digits and _.:/@+=,-")
        if problems:
            raise K8smError("; ".join(problems))

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.name, self.initial_cluster, self.cluster_state, self.token))


def peer_url(lab: Lab, node: Node) -> str:
    return f"http://{node.ip}:{lab.ports.etcd_peer}"


def client_urls(lab: Lab, host: str) -> list[str]:
    return [f"http://{host}:{port}" for port in (lab.ports.etcd_client, lab.ports.etcd_client_legacy)]


def initial_cluster(lab: Lab) -> str:
    return ",".join(f"{n.name}={peer_url(lab, n)}" for n in lab.role("etcd"))


def endpoints(lab: Lab, legacy: bool = False) -> str:
    """Every member's client URL: what etcd clients (apiserver, scheduler) are given."""
    port = lab.ports.etcd_client_legacy if legacy else lab.ports.etcd_client
    return ",".join(f"http://{n.ip}:{port}" for n in lab.role("etcd"))


def argv(lab: Lab, node: Node, overrides: Overrides = Overrides()) -> list[str]:
    """The etcd command line for node, from the topology and any overrides."""
    listen = client_urls(lab, node.ip) + client_urls(lab, "127.0.0.1")
    return [
        "etcd",
        "--name", overrides.name or node.name,
        "--data-dir", DATA_DIR,
        "--listen-client-urls", ",".join(listen),
        "--advertise-client-urls", ",".join(client_urls(lab, node.ip)),
        "--listen-peer-urls", peer_url(lab, node),
        "--initial-advertise-peer-urls", peer_url(lab, node),
        "--initial-cluster", overrides.initial_cluster or initial_cluster(lab),
        "--initial-cluster-state", overrides.cluster_state or "new",
        "--initial-cluster-token", overrides.token or lab.etcd.cluster_token,
        "--enable-v2=true",
    ]


def probe_argv(lab: Lab, node: Node) -> list[str]:
    """The local member's own view (v2 /stats/self, which the lab always enables): its raft state and leader.

    curl, not etcdctl: much lighter, and quick to give up when the member is down.
    """
    return http_probe(f"http://127.0.0.1:{lab.ports.etcd_client}/v2/stats/self")


def parse_probe(output: str) -> Health:
    code, body = parse_http(output)
    if code != 200:
        return Health(False, "not answering" if code == 0 else f"HTTP {code}")
    try:
        stats = json.loads(body)
        state, leader = stats.get("state"), (stats.get("leaderInfo") or {}).get("leader")
    except (ValueError, AttributeError):
        return Health(False, "unreadable stats")
    if state == "StateLeader":
        return Health(True, "leader")
    if state == "StateFollower" and leader:
        return Health(True, "follower")
    return Health(False, "no leader" if state in ("StateFollower", "StateCandidate") else f"state {state}")


ETCD = Daemon(name="etcd", title="etcd", role="etcd", task="etcd", argv=argv, probe_argv=probe_argv,
              parse_probe=parse_probe, quorum=True, net_probe=http_net_probe("etcd_client", "/v2/stats/self"))
