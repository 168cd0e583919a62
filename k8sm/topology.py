"""The lab's topology as frozen, typed objects: what hosts.yaml says, once read.

Reading hosts.yaml is k8sm.hostsfile (the file), k8sm.topology_reader (the sections,
with their defaults) and k8sm.topology_values (each value against its rule): strict,
every problem collected and reported together, each naming its key. `load` and
`parse` here are the way in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from k8sm.errors import K8smError, shown
from k8sm.errors import TopologyError as TopologyError  # what load and parse raise
from k8sm.plan import START_ORDER

#: Roles a node can have, and the image each role runs.
ROLE_IMAGES: Mapping[str, str] = {
    "etcd": "etcd",
    "mesos-master": "mesos-master",
    "framework": "framework",
    "minion": "minion",
    "client": "client",
}

#: Roles whose containers run a Docker engine or mount filesystems inside,
#: so they need privileged mode or the explicit capability set.
ELEVATED_ROLES = frozenset({"framework", "minion"})

SECURITY_MODES = ("capabilities", "privileged")


@dataclass(frozen=True)
class PhysicalHost:
    """A machine that remote mode (-H NAME) can run the lab on, or that holds some of a multi-host lab's nodes."""

    name: str
    address: str
    #: The address the Swarm advertises for this host (an IP or an interface name); "" lets Docker choose.
    advertise_address: str = ""


@dataclass(frozen=True)
class PortMap:
    """A container port published on the Docker host."""

    host_port: int
    container_port: int


@dataclass(frozen=True)
class Node:
    """One lab container: its hostname, role, static IP and container name."""

    name: str
    role: str
    ip: str
    container: str
    index: int
    enabled: bool = True
    publish: tuple[PortMap, ...] = ()
    host: str = ""  # the hosts.yaml host it runs on ("" when the file names no hosts)

    @property
    def image_name(self) -> str:
        return ROLE_IMAGES[self.role]

    @property
    def elevated(self) -> bool:
        return self.role in ELEVATED_ROLES


@dataclass(frozen=True)
class Network:
    """The lab's own Docker network."""

    name: str
    subnet: str
    first_ip: str


@dataclass(frozen=True)
class Images:
    """Where images come from and what they are called."""

    base: str = "k8sm/base:bookworm"
    prefix: str = "k8sm/"
    tag: str = "latest"
    debian_mirror: str = "http://deb.debian.org/debian"
    debian_suite: str = "bookworm"

    def ref(self, name: str) -> str:
        """The full reference of one of the lab's images, e.g. k8sm/etcd:latest."""
        return f"{self.prefix}{name}:{self.tag}"


@dataclass(frozen=True)
class Ports:
    """Ports the daemons listen on inside their containers."""

    etcd_client: int = 2379
    etcd_client_legacy: int = 4001
    etcd_peer: int = 2380
    zookeeper_client: int = 2181
    zookeeper_peer: int = 2888
    zookeeper_election: int = 3888
    mesos_master: int = 5050
    mesos_agent: int = 5051
    apiserver: int = 8080
    controller_manager: int = 10252
    scheduler: int = 10251


#: The `ports:` keys and their defaults: Ports's fields.
DEFAULT_PORTS: Mapping[str, int] = asdict(Ports())


@dataclass(frozen=True)
class EtcdSettings:
    cluster_token: str = "k8sm-etcd-cluster"


#: Daemon names a `timeouts:` entry may name (besides `default`): the start plan's.
DAEMON_NAMES = START_ORDER


@dataclass(frozen=True)
class Timeouts:
    """Seconds `invoke up` waits for each daemon to become healthy."""

    default: int = 90
    per_daemon: tuple[tuple[str, int], ...] = ()

    def of(self, daemon: str) -> int:
        return dict(self.per_daemon).get(daemon, self.default)


@dataclass(frozen=True)
class MesosSettings:
    """Apache Mesos: which release `build.mesos` builds, and the cluster's name."""

    version: str = "1.11.0"
    url: str = "https://archive.apache.org/dist/mesos/{version}/mesos-{version}.tar.gz"
    cluster: str = "k8sm"
    #: "system": build against Debian's protobuf, gRPC, ZooKeeper and libarchive (compiles on
    #: current distributions); "bundled": Mesos's own 3rdparty copies (1.11's gRPC needs glibc < 2.30)
    libraries: str = "system"

    @property
    def source_url(self) -> str:
        return self.url.replace("{version}", self.version)


@dataclass(frozen=True)
class KubernetesSettings:
    """Kubernetes-on-Mesos: the source `build.k8s` builds, and the km daemons' settings."""

    repo: str = "https://github.com/kubernetes/kubernetes"
    #: Kubernetes of 5 October 2015 (a merge on master before the v1.1 branch): the nginx pod ran
    #: on Mesos 1.11 agents with km from it. Its neighbours do not run here: 7a33a4b0 (a few commits
    #: before) has the kubelet's nil OOMAdjuster panic, fixed by 54e99d9f; from 9 October the
    #: kubelet writes host sysctls (vm.overcommit_memory, ...), which a container may not.
    ref: str = "c18d872f1ac92564e24c9a0b03c08889217663c1"
    checkout: str = "/opt/kubernetes"
    service_cluster_ip_range: str = "10.10.10.0/24"
    cluster_dns: str = "10.10.10.10"
    cluster_domain: str = "cluster.local"
    mesos_user: str = "root"
    log_level: int = 2
    #: The example pod's image and the pods' infrastructure image, as named in the minions' engines;
    #: k8sm makes both and loads them there (k8sm.workloads): no registry is asked.
    nginx_image: str = "k8sm/nginx:bookworm"
    pause_image: str = "k8sm/pause:0.8.0"
    #: kube-proxy beside each executor (km's --run-proxy). It raises its open-files limit to
    #: 64000 and exits where the engine's containers cannot (a hard limit below that).
    run_proxy: bool = True


@dataclass(frozen=True)
class Lab:
    """The whole topology: what `run` creates and what daemons are started."""

    name: str
    container_prefix: str
    security: str
    publish_address: str
    network: Network
    images: Images
    ports: Ports
    etcd: EtcdSettings
    all_nodes: tuple[Node, ...]
    hosts: tuple[PhysicalHost, ...] = ()
    source: str = "hosts.yaml"
    mesos: MesosSettings = MesosSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    timeouts: Timeouts = Timeouts()

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The enabled nodes, in hosts.yaml order."""
        return tuple(n for n in self.all_nodes if n.enabled)

    def role(self, role: str) -> tuple[Node, ...]:
        """Enabled nodes of one role, in order."""
        return tuple(n for n in self.nodes if n.role == role)

    def node(self, name: str) -> Node:
        """An enabled node by name, or a clear error listing the valid names."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise K8smError(f"unknown node {shown(name)} in lab {self.name!r}", f"nodes are: {_listing(self.nodes)}")

    def select(self, role: str, name: str | None = None) -> tuple[Node, ...]:
        """All enabled nodes of a role, or the one named (which must have that role)."""
        if name is None:
            nodes = self.role(role)
            if not nodes:
                raise K8smError(f"lab {self.name!r} has no {role} nodes", f"add some in {self.source}")
            return nodes
        node = self.node(name)
        if node.role != role:
            valid = _listing(self.role(role)) or "none"
            raise K8smError(f"node {shown(name)} is a {node.role} node, not {role}", f"{role} nodes: {valid}")
        return (node,)

    def host(self, name: str) -> PhysicalHost | None:
        return next((h for h in self.hosts if h.name == name), None)

    @property
    def lab_hosts(self) -> tuple[PhysicalHost, ...]:
        """The hosts a multi-host lab uses, in hosts.yaml order: the first host (the Swarm manager) and
        every host that holds an enabled node."""
        used = {n.host for n in self.nodes}
        return tuple(h for i, h in enumerate(self.hosts) if i == 0 or h.name in used)

    @property
    def multi_host(self) -> bool:
        """Whether the enabled nodes sit on more than one host (else the lab runs where -H says, as always)."""
        return len({n.host for n in self.nodes}) > 1

    @property
    def framework(self) -> Node | None:
        return next(iter(self.role("framework")), None)


# --------------------------------------------------------------------- loading

#: A hosts file larger than this is refused (the default one is 3 KB).
MAX_FILE_BYTES = 1 << 20


def default_hosts_file(configured: str | os.PathLike[str] | None = None) -> Path:
    """$K8SM_HOSTS, else configured (Invoke's k8sm.hosts_file), else ./hosts.yaml, else this checkout's."""
    chosen = os.environ.get("K8SM_HOSTS") or configured
    if chosen:
        return Path(chosen)
    here = Path("hosts.yaml")
    if here.is_file():
        return here
    from k8sm.resources import project_file

    return project_file("hosts.yaml")


def load(path: str | os.PathLike[str] | None = None) -> Lab:
    """Read and validate hosts.yaml; raise TopologyError naming every problem."""
    from k8sm.hostsfile import load_file

    return load_file(Path(path) if path is not None else default_hosts_file())


def parse(text: str, source: str = "hosts.yaml") -> Lab:
    """Validate YAML text into a Lab; raise TopologyError naming every problem."""
    from k8sm.hostsfile import parse_text

    return parse_text(text, source)


def _listing(nodes: Sequence[Node], limit: int = 20) -> str:
    """'a, b, c' of the nodes' names, the first `limit` of them."""
    names = [n.name for n in nodes[:limit]]
    return ", ".join(names) + (f" and {len(nodes) - limit} more" if len(nodes) > limit else "")

