"""hosts.yaml -> frozen, validated topology objects.

Loading is strict: unknown keys, wrong types, duplicate names or IPs, IPs
outside the subnet, even or empty memberships and clashing published ports
are all collected and reported together, each naming its key.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from k8sm.errors import K8smError, TopologyError

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

_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DOCKER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_PREFIX = re.compile(r"^([a-zA-Z0-9][a-zA-Z0-9_.-]*)?$")
_IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*$")
_IMAGE_PREFIX = re.compile(r"^([a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*/)?$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:/@+=,-]+$")

DEFAULT_PORTS: Mapping[str, int] = {
    "etcd_client": 2379,
    "etcd_client_legacy": 4001,
    "etcd_peer": 2380,
    "zookeeper_client": 2181,
    "zookeeper_peer": 2888,
    "zookeeper_election": 3888,
    "mesos_master": 5050,
    "mesos_agent": 5051,
    "apiserver": 8080,
    "controller_manager": 10252,
    "scheduler": 10251,
}

#: Ports that listen in the same container and so must differ.
_PORTS_SHARING_A_CONTAINER = (
    ("etcd_client", "etcd_client_legacy", "etcd_peer"),
    ("zookeeper_client", "zookeeper_peer", "zookeeper_election", "mesos_master"),
    ("apiserver", "controller_manager", "scheduler"),
)


@dataclass(frozen=True)
class PhysicalHost:
    """A machine that remote mode (-H NAME) can run the lab on."""

    name: str
    address: str


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


@dataclass(frozen=True)
class EtcdSettings:
    cluster_token: str = "k8sm-etcd-cluster"


#: Daemon names a `timeouts:` entry may name (besides `default`).
DAEMON_NAMES = ("etcd", "zookeeper", "mesos-master", "docker", "mesos-slave", "apiserver", "controller-manager",
                "scheduler")


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

    @property
    def source_url(self) -> str:
        return self.url.replace("{version}", self.version)


@dataclass(frozen=True)
class KubernetesSettings:
    """Kubernetes-on-Mesos: the source `build.k8s` builds, and the km daemons' settings."""

    repo: str = "https://github.com/kubernetes/kubernetes"
    ref: str = "v1.1.8"
    checkout: str = "/opt/kubernetes"
    service_cluster_ip_range: str = "10.10.10.0/24"
    cluster_dns: str = "10.10.10.10"
    cluster_domain: str = "cluster.local"
    mesos_user: str = "root"
    log_level: int = 2
    nginx_image: str = "nginx"


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
        names = ", ".join(n.name for n in self.nodes)
        raise K8smError(f"unknown node {name!r} in lab {self.name!r}", f"nodes are: {names}")

    def select(self, role: str, name: str | None = None) -> tuple[Node, ...]:
        """All enabled nodes of a role, or the one named (which must have that role)."""
        if name is None:
            nodes = self.role(role)
            if not nodes:
                raise K8smError(f"lab {self.name!r} has no {role} nodes", f"add some in {self.source}")
            return nodes
        node = self.node(name)
        if node.role != role:
            valid = ", ".join(n.name for n in self.role(role)) or "none"
            raise K8smError(f"node {name!r} is a {node.role} node, not {role}", f"{role} nodes: {valid}")
        return (node,)

    def host(self, name: str) -> PhysicalHost | None:
        return next((h for h in self.hosts if h.name == name), None)

    @property
    def framework(self) -> Node | None:
        return next(iter(self.role("framework")), None)


# --------------------------------------------------------------------- loading


def default_hosts_file() -> Path:
    """K8SM_HOSTS, else ./hosts.yaml, else the hosts.yaml of this checkout."""
    env = os.environ.get("K8SM_HOSTS")
    if env:
        return Path(env)
    here = Path("hosts.yaml")
    if here.is_file():
        return here
    from k8sm.resources import project_file

    return project_file("hosts.yaml")


def load(path: str | os.PathLike[str] | None = None) -> Lab:
    """Read and validate hosts.yaml; raise TopologyError naming every problem."""
    file = Path(path) if path is not None else default_hosts_file()
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyError(source, ["file not found; create it (see README, 'Configuration') or set K8SM_HOSTS"]) from None
    except OSError as exc:
        raise TopologyError(source, [f"cannot read it: {exc.strerror}"]) from None
    return parse(text, source)


def parse(text: str, source: str = "hosts.yaml") -> Lab:
    """Validate YAML text into a Lab; raise TopologyError naming every problem."""
    import yaml

    from k8sm.yamlstrict import StrictLoader

    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise TopologyError(source, [_yaml_problem(exc)]) from None
    if data is None:
        data = {}
    reader = _Reader()
    lab = reader.lab(data, source)
    if reader.problems:
        raise TopologyError(source, reader.problems)
    assert lab is not None
    return lab


def _yaml_problem(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"not valid YAML: {where}{problem}"


class _Reader:
    """Walks the parsed YAML, collecting every problem with its key path."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.node_keys: dict[str, str] = {}
        self.enabled_roles: list[str] = []  # of every entry with a valid role, even if otherwise broken
        # Problems that would only echo an earlier one are not reported (one cause, one line):
        self.subnet: ipaddress.IPv4Network | None = None  # None: network.subnet is broken
        self.first_ip: ipaddress.IPv4Address | None = None  # None: network.first_ip is broken
        self.role_broken = False                            # some node's role is unknown

    def bad(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    # -- primitives

    def mapping(self, value: Any, key: str, allowed: Iterable[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(key, f"must be a mapping, not {_kind(value)}")
            return {}
        allowed = tuple(allowed)
        for k in value:
            if k not in allowed:
                self.bad(f"{key}.{k}" if key else str(k), f"unknown key (known: {', '.join(allowed)})")
        return value

    def string(self, m: dict[str, Any], k: str, key: str, default: str, pattern: re.Pattern[str] | None = None,
               what: str = "") -> str:
        value = m.get(k, default)
        path = f"{key}.{k}" if key else k
        if not isinstance(value, str):
            self.bad(path, f"must be a string, not {_kind(value)}")
            return default
        if pattern is not None and not pattern.match(value):
            self.bad(path, f"{value!r} is not {what or 'valid'}")
        return value

    def integer(self, m: dict[str, Any], k: str, key: str, default: int) -> int:
        value = m.get(k, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(f"{key}.{k}", f"must be an integer, not {_kind(value)}")
            return default
        return value

    def port(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            self.bad(path, f"{value!r} is not a port number (1-65535)")
            return None
        return value

    # -- sections

    def lab(self, data: Any, source: str) -> Lab | None:
        if not isinstance(data, dict):
            self.problems.append(f"the file must be a mapping of sections (lab, network, ..., nodes), not {_kind(data)}")
            return None
        top = self.mapping(data, "", ("hosts", "lab", "network", "images", "ports", "etcd", "mesos", "kubernetes",
                                      "timeouts", "nodes"))
        lab_m = self.mapping(top.get("lab"), "lab", ("name", "container_prefix", "security", "publish_address"))
        name = self.string(lab_m, "name", "lab", "k8sm", _DOCKER_NAME, "a valid name (letters, digits, _ . -)")
        prefix = self.string(lab_m, "container_prefix", "lab", "", _PREFIX,
                             "a valid container-name prefix (letters, digits, _ . -)")
        security = self.string(lab_m, "security", "lab", "capabilities")
        if security not in SECURITY_MODES:
            self.bad("lab.security", f"{security!r} is not one of: {', '.join(SECURITY_MODES)}")
        publish_address = self.string(lab_m, "publish_address", "lab", "127.0.0.1")
        try:
            ipaddress.ip_address(publish_address)
        except ValueError:
            self.bad("lab.publish_address", f"{publish_address!r} is not an IP address")

        network = self.network(top.get("network"), name)
        images = self.images(top.get("images"))
        ports = self.ports(top.get("ports"))
        etcd_m = self.mapping(top.get("etcd"), "etcd", ("cluster_token",))
        etcd = EtcdSettings(self.string(etcd_m, "cluster_token", "etcd", "k8sm-etcd-cluster", _SAFE_TEXT,
                                        "a token of letters, digits and _.:/@+=,-"))
        mesos = self.mesos(top.get("mesos"))
        kubernetes = self.kubernetes(top.get("kubernetes"))
        timeouts = self.timeouts(top.get("timeouts"))
        hosts = self.hosts(top.get("hosts"))
        nodes = self.nodes(top.get("nodes"), network, prefix)
        if isinstance(top.get("nodes"), list) and top["nodes"] and not self.role_broken:
            self.check_memberships()
        self.check_published(nodes)
        if self.problems:
            return None
        return Lab(
            name=name, container_prefix=prefix, security=security, publish_address=publish_address,
            network=network, images=images, ports=ports, etcd=etcd, all_nodes=tuple(nodes),
            hosts=tuple(hosts), source=source, mesos=mesos, kubernetes=kubernetes, timeouts=timeouts,
        )

    def timeouts(self, value: Any) -> Timeouts:
        m = self.mapping(value, "timeouts", ("default", *DAEMON_NAMES))
        values = {}
        for k in m:
            if k not in ("default", *DAEMON_NAMES):
                continue
            seconds = self.integer(m, k, "timeouts", Timeouts.default)
            if not 1 <= seconds <= 3600:
                self.bad(f"timeouts.{k}", f"{seconds} is not between 1 and 3600 seconds")
            values[k] = seconds
        default = values.pop("default", Timeouts.default)
        return Timeouts(default=default, per_daemon=tuple(sorted(values.items())))

    def mesos(self, value: Any) -> MesosSettings:
        d = MesosSettings()
        m = self.mapping(value, "mesos", ("version", "url", "cluster"))
        return MesosSettings(
            version=self.string(m, "version", "mesos", d.version, re.compile(r"^[0-9][0-9A-Za-z.+~-]*$"),
                                "a Mesos version (e.g. 1.11.0)"),
            url=self.string(m, "url", "mesos", d.url, re.compile(r"^(https?|file)://[^\s'\"`$;|&<>]+$"),
                            "an http(s):// or file:// URL ({version} is replaced)"),
            cluster=self.string(m, "cluster", "mesos", d.cluster, _DOCKER_NAME, "a cluster name (letters, digits, _ . -)"),
        )

    def kubernetes(self, value: Any) -> KubernetesSettings:
        d = KubernetesSettings()
        m = self.mapping(value, "kubernetes", [f.name for f in fields(KubernetesSettings)])
        key = "kubernetes"
        service_range = self.string(m, "service_cluster_ip_range", key, d.service_cluster_ip_range)
        cluster_dns = self.string(m, "cluster_dns", key, d.cluster_dns)
        try:
            net = ipaddress.ip_network(service_range, strict=True)
            try:
                if ipaddress.ip_address(cluster_dns) not in net:
                    self.bad("kubernetes.cluster_dns", f"{cluster_dns} is outside service_cluster_ip_range {net}")
            except ValueError:
                self.bad("kubernetes.cluster_dns", f"{cluster_dns!r} is not an IP address")
        except ValueError:
            self.bad("kubernetes.service_cluster_ip_range", f"{service_range!r} is not a network in CIDR form")
        log_level = self.integer(m, "log_level", key, d.log_level)
        if not 0 <= log_level <= 10:
            self.bad("kubernetes.log_level", f"{log_level} is not between 0 and 10")
        return KubernetesSettings(
            repo=self.string(m, "repo", key, d.repo, re.compile(r"^((https?|ssh|git|file)://|/)[^\s'\"`$;|&<>]+$"),
                             "a git URL or an absolute path"),
            ref=self.string(m, "ref", key, d.ref, re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"), "a git ref"),
            checkout=self.string(m, "checkout", key, d.checkout, re.compile(r"^/[A-Za-z0-9._/-]*$"),
                                 "an absolute path (on the machine that runs the lab)"),
            service_cluster_ip_range=service_range,
            cluster_dns=cluster_dns,
            cluster_domain=self.string(m, "cluster_domain", key, d.cluster_domain,
                                       re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"),
                                       "a DNS domain"),
            mesos_user=self.string(m, "mesos_user", key, d.mesos_user, re.compile(r"^[a-z_][a-z0-9_-]*$"), "a user name"),
            log_level=log_level,
            nginx_image=self.string(m, "nginx_image", key, d.nginx_image, _IMAGE_REF, "an image reference"),
        )

    def network(self, value: Any, lab_name: str) -> Network:
        m = self.mapping(value, "network", ("name", "subnet", "first_ip"))
        name = self.string(m, "name", "network", lab_name, _DOCKER_NAME if "name" in m else None,
                           "a valid network name")
        subnet_text = self.string(m, "subnet", "network", "172.30.0.0/16")
        subnet: ipaddress.IPv4Network | None = None
        try:
            net = ipaddress.ip_network(subnet_text, strict=True)
            if not isinstance(net, ipaddress.IPv4Network):
                self.bad("network.subnet", f"{subnet_text!r} must be an IPv4 network")
            elif net.num_addresses < 8:
                self.bad("network.subnet", f"{subnet_text!r} is too small for a lab")
            else:
                subnet = net
        except ValueError as exc:
            self.bad("network.subnet", f"{subnet_text!r} is not a network in CIDR form ({exc})")
        default_first = str(subnet.network_address + 257) if subnet and subnet.num_addresses > 512 else (
            str(subnet.network_address + 2) if subnet else "")
        first_text = self.string(m, "first_ip", "network", default_first)
        self.subnet = subnet
        if subnet is not None:
            try:
                first = ipaddress.ip_address(first_text)
                if first not in subnet:
                    self.bad("network.first_ip", f"{first_text} is outside network.subnet {subnet}")
                else:
                    self.first_ip = first  # type: ignore[assignment]
            except ValueError:
                self.bad("network.first_ip", f"{first_text!r} is not an IP address")
        return Network(name=name, subnet=str(subnet) if subnet else subnet_text, first_ip=first_text)

    def images(self, value: Any) -> Images:
        d = Images()
        m = self.mapping(value, "images", ("base", "prefix", "tag", "debian_mirror", "debian_suite"))
        return Images(
            base=self.string(m, "base", "images", d.base, _IMAGE_REF, "an image reference"),
            prefix=self.string(m, "prefix", "images", d.prefix, _IMAGE_PREFIX,
                               "an image prefix (lower case, ending with /, e.g. k8sm/)"),
            tag=self.string(m, "tag", "images", d.tag, _TAG, "a valid image tag"),
            debian_mirror=self.string(m, "debian_mirror", "images", d.debian_mirror,
                                      re.compile(r"^(https?|file)://\S+$"), "an http(s):// or file:// URL"),
            debian_suite=self.string(m, "debian_suite", "images", d.debian_suite,
                                     re.compile(r"^[a-z][a-z0-9-]*$"), "a Debian suite name"),
        )

    def ports(self, value: Any) -> Ports:
        m = self.mapping(value, "ports", DEFAULT_PORTS)
        values: dict[str, int] = {}
        for k, default in DEFAULT_PORTS.items():
            v = self.port(m.get(k, default), f"ports.{k}")
            values[k] = v if v is not None else default
        for group in _PORTS_SHARING_A_CONTAINER:
            seen: dict[int, str] = {}
            for k in group:
                if values[k] in seen:
                    self.bad(f"ports.{k}", f"{values[k]} is already used by ports.{seen[values[k]]} in the same container")
                seen.setdefault(values[k], k)
        return Ports(**values)

    def hosts(self, value: Any) -> list[PhysicalHost]:
        m = self.mapping(value, "hosts", value.keys() if isinstance(value, dict) else ())
        hosts = []
        for name, spec in m.items():
            key = f"hosts.{name}"
            if not isinstance(name, str) or not _DOCKER_NAME.match(name):
                self.bad(key, "host names must be letters, digits and _ . -")
                continue
            sm = self.mapping(spec, key, ("address",))
            address = self.string(sm, "address", key, "", re.compile(r"^([A-Za-z0-9_.-]+@)?[A-Za-z0-9_.:\[\]-]+$"),
                                  "an SSH address (user@host[:port])")
            if not address:
                self.bad(f"{key}.address", "is required")
            hosts.append(PhysicalHost(name=name, address=address))
        return hosts

    def nodes(self, value: Any, network: Network, prefix: str) -> list[Node]:
        if value is None:
            self.bad("nodes", "is required: list the lab's containers (see README, 'Configuration')")
            return []
        if not isinstance(value, list) or not value:
            self.bad("nodes", f"must be a non-empty list, not {_kind(value)}")
            return []
        subnet, first = self.subnet, self.first_ip
        nodes: list[Node] = []
        names: dict[str, str] = {}
        ips: dict[str, str] = {}
        per_role: dict[str, int] = {}
        for i, spec in enumerate(value):
            key = f"nodes[{i}]"
            m = self.mapping(spec, key, ("name", "role", "ip", "enabled", "publish"))
            if not m:
                if isinstance(spec, dict):
                    self.bad(key, "needs at least name and role")
                continue
            name = m.get("name")
            if not isinstance(name, str) or not _HOSTNAME.match(name):
                self.bad(f"{key}.name", f"{name!r} is not a valid hostname (lower-case letters, digits, '-')")
                name = None
            elif name in names:
                self.bad(f"{key}.name", f"{name!r} is already used by {names[name]}")
            else:
                names[name] = key
            role = m.get("role")
            if role not in ROLE_IMAGES:
                self.bad(f"{key}.role", f"{role!r} is not one of: {', '.join(ROLE_IMAGES)}")
                self.role_broken = True
                role = None
            enabled = m.get("enabled", True)
            if not isinstance(enabled, bool):
                self.bad(f"{key}.enabled", f"must be true or false, not {_kind(enabled)}")
                enabled = True
            if role is not None and enabled:
                self.enabled_roles.append(role)
            ip = self.node_ip(m, key, i, subnet, first)
            if ip is not None:
                if ip in ips:
                    self.bad(f"{key}.ip", f"{ip} is already used by {ips[ip]}")
                else:
                    ips[ip] = key
            publish = self.publish(m.get("publish"), f"{key}.publish")
            if name is None or role is None or ip is None:
                continue
            index = per_role.get(role, 0)
            if enabled:
                per_role[role] = index + 1
            self.node_keys[name] = key
            nodes.append(Node(name=name, role=role, ip=ip, container=f"{prefix}{name}", index=index,
                              enabled=enabled, publish=publish))
        return nodes

    def node_ip(self, m: dict[str, Any], key: str, i: int, subnet: Any, first: Any) -> str | None:
        if subnet is None:
            return None  # network.subnet is reported already
        if "ip" in m:
            try:
                ip = ipaddress.ip_address(m["ip"] if isinstance(m["ip"], str) else "")
            except ValueError:
                self.bad(f"{key}.ip", f"{m['ip']!r} is not an IP address")
                return None
        elif first is None:
            return None  # network.first_ip is reported already
        else:
            ip = first + i
        if ip not in subnet:
            self.bad(f"{key}.ip", f"{ip} is outside network.subnet {subnet}")
            return None
        if ip in (subnet.network_address, subnet.broadcast_address, subnet.network_address + 1):
            self.bad(f"{key}.ip", f"{ip} is reserved in {subnet} (network, gateway or broadcast address)")
            return None
        return str(ip)

    def publish(self, value: Any, key: str) -> tuple[PortMap, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.bad(key, f"must be a list of ports (5050 or \"15050:5050\"), not {_kind(value)}")
            return ()
        maps = []
        for j, item in enumerate(value):
            path = f"{key}[{j}]"
            if isinstance(item, str) and re.fullmatch(r"\d+:\d+", item):
                host_text, container_text = item.split(":")
                host, container = self.port(int(host_text), path), self.port(int(container_text), path)
            elif isinstance(item, int) and not isinstance(item, bool):
                host = container = self.port(item, path)
            else:
                self.bad(path, f"{item!r} is not a port (5050) or a mapping \"HOST:CONTAINER\"")
                continue
            if host is not None and container is not None:
                maps.append(PortMap(host_port=host, container_port=container))
        return tuple(maps)

    def check_memberships(self) -> None:
        for role, what in (("etcd", "etcd cluster"), ("mesos-master", "ZooKeeper ensemble")):
            count = self.enabled_roles.count(role)
            if count == 0:
                self.bad("nodes", f"the {what} needs at least one enabled {role} node")
            elif count % 2 == 0:
                self.bad("nodes", f"the {what} needs an odd number of {role} nodes for a majority, not {count}")
        for role in ("framework", "client"):
            count = self.enabled_roles.count(role)
            if count > 1:
                self.bad("nodes", f"at most one enabled {role} node is supported, not {count}")

    def check_published(self, nodes: list[Node]) -> None:
        used: dict[int, str] = {}
        for n in nodes:
            if not n.enabled:
                continue
            for p in n.publish:
                if p.host_port in used:
                    self.bad(f"{self.node_keys[n.name]}.publish",
                             f"host port {p.host_port} is already published by {used[p.host_port]}")
                else:
                    used[p.host_port] = n.name


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)
