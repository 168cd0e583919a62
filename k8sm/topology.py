"""hosts.yaml -> frozen, validated topology objects.

Loading is strict: unknown keys, wrong types, duplicate names or IPs, IPs
outside the subnet, even or empty memberships and clashing published ports
are all collected and reported together, each naming its key.
"""

from __future__ import annotations

import codecs
import errno
import ipaddress
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from k8sm.errors import K8smError, TopologyError, clip, shown
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

# Every pattern is used with fullmatch (a trailing newline never passes), is ASCII only and bounds the length.
_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
_PREFIX = re.compile(r"([a-zA-Z0-9][a-zA-Z0-9_.-]{0,62})?")
_IMAGE_REF = re.compile(r"[a-z0-9][a-z0-9._/:-]{0,254}")
_IMAGE_PREFIX = re.compile(r"(?=.{0,128}\Z)([a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*/)?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.:/@+=,-]{1,255}")
#: The rest of a URL: printable ASCII without spaces, quotes, backslashes or shell operators ({version} is kept).
_URL_REST = r"[A-Za-z0-9._~:/?#\[\]@!%()*+,={}-]{1,2000}"
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+~-]{0,62}")
_HTTP_OR_FILE_URL = re.compile(rf"(https?|file)://{_URL_REST}")
_GIT_URL = re.compile(rf"((https?|ssh|git|file)://|/){_URL_REST}")
_GIT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")
_ABSOLUTE_PATH = re.compile(r"/[A-Za-z0-9._/-]{0,1023}")
_DOMAIN = re.compile(r"(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_SUITE = re.compile(r"[a-z][a-z0-9-]{0,62}")
#: A network interface name as Linux takes it (at most 15 characters), e.g. eth0, ens3, br-lab.
_INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,14}")
_SSH_ADDRESS = re.compile(r"([A-Za-z0-9_.-]{1,64}@)?[A-Za-z0-9_.:\[\]-]{1,255}")
#: An IP address or network as text: ASCII hex digits, '.', ':' and '/' only (no scope such as %eth0).
_IP_TEXT = re.compile(r"[0-9A-Fa-f.:/]{1,64}")
#: A published port: 5050 or "15050:5050", ASCII digits only.
_PORT_MAP = re.compile(r"([0-9]{1,5}):([0-9]{1,5})")
#: A key shown as it is in a problem's path; any other key is quoted and bounded.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")

#: Ports that listen in the same container and so must differ.
_PORTS_SHARING_A_CONTAINER = (
    ("etcd_client", "etcd_client_legacy", "etcd_peer"),
    ("zookeeper_client", "zookeeper_peer", "zookeeper_election", "mesos_master"),
    ("apiserver", "controller_manager", "scheduler"),
)


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
    file = Path(path) if path is not None else default_hosts_file()
    return parse(read_hosts_file(file), str(file))


#: A hosts file larger than this is refused (the default one is 3 KB).
MAX_FILE_BYTES = 1 << 20

_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def read_hosts_file(file: Path) -> str:
    """The text of a regular UTF-8 file of at most MAX_FILE_BYTES; TopologyError otherwise. Never blocks."""
    source = str(file)
    try:
        data = _read_regular(file, source)
    except FileNotFoundError:
        problem = ("is a symbolic link to a missing file" if os.path.islink(file)
                   else "file not found; create it (see README, 'Configuration') or set K8SM_HOSTS")
        raise TopologyError(source, [problem]) from None
    except OSError as exc:
        reason = "a symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise TopologyError(source, [f"cannot read it: {reason}"]) from None
    return _decode(data, source)


def _read_regular(file: Path, source: str) -> bytes:
    """The bytes of a regular file: stat first, open without blocking (a FIFO never waits), check again."""
    _check_regular(os.stat(file), source)
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        _check_regular(os.fstat(fd), source)  # it may have been replaced since the stat
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES and (chunk := os.read(fd, MAX_FILE_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise _too_large(source)
    return b"".join(chunks)


def _check_regular(st: os.stat_result, source: str) -> None:
    for test, kind in _NOT_REGULAR:
        if test(st.st_mode):
            raise TopologyError(source, [f"is {kind}, not a file; point K8SM_HOSTS at a hosts.yaml"])
    if not stat.S_ISREG(st.st_mode):
        raise TopologyError(source, ["is not a regular file; point K8SM_HOSTS at a hosts.yaml"])
    if st.st_size > MAX_FILE_BYTES:
        raise _too_large(source)


def _too_large(source: str) -> TopologyError:
    return TopologyError(source, [f"is larger than {MAX_FILE_BYTES >> 20} MiB; a hosts file is a few KB"])


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is allowed); UTF-16/32 and binary files are refused."""
    for boms, encoding in (((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE), "UTF-32"),
                           ((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE), "UTF-16")):
        if data.startswith(boms):
            raise TopologyError(source, [f"is {encoding} text, not UTF-8; save it as UTF-8"])
    if b"\0" in data:
        raise TopologyError(source, [f"is not UTF-8 text (a NUL byte at offset {data.index(0)}: binary, "
                                     "or UTF-16/32 without a byte-order mark); save it as UTF-8"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TopologyError(source, [f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                                     "save it as UTF-8"]) from None


def parse(text: str, source: str = "hosts.yaml") -> Lab:
    """Validate YAML text into a Lab; raise TopologyError naming every problem."""
    import yaml

    from k8sm.yamlstrict import StrictLoader

    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise TopologyError(source, [_yaml_problem(exc)]) from None
    except RecursionError:  # StrictLoader bounds nesting; this is the last guard
        raise TopologyError(source, ["not valid YAML: nested too deeply"]) from None
    if data is None:
        data = {}
    reader = _Reader()
    lab = reader.lab(data, source)
    if reader.problems:
        raise TopologyError(source, reader.problems)
    assert lab is not None
    return lab


def _yaml_problem(exc: Exception) -> str:
    """'not valid YAML: line L, column C: what', bounded."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"not valid YAML: {where}{clip(problem, 160)}"


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
        self.host_names: list[str] = []                     # hosts: names, even of entries with other problems

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
                self.bad(_path(key, k), f"unknown key (known: {', '.join(allowed)})")
        return value

    def string(self, m: dict[str, Any], k: str, key: str, default: str, pattern: re.Pattern[str] | None = None,
               what: str = "") -> str:
        value = m.get(k, default)
        path = f"{key}.{k}" if key else k
        if not isinstance(value, str):
            self.bad(path, f"must be a string, not {_kind(value)}")
            return default
        if pattern is not None and not pattern.fullmatch(value):
            self.bad(path, f"{shown(value)} is not {what or 'valid'}")
        return value

    def integer(self, m: dict[str, Any], k: str, key: str, default: int) -> int:
        value = m.get(k, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(f"{key}.{k}", f"must be an integer, not {_kind(value)}")
            return default
        return value

    def port(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            self.bad(path, f"{shown(value)} is not a port number (1-65535)")
            return None
        return value

    def ip(self, value: Any, path: str, what: str = "an IP address") -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """An IP address written in ASCII, without a zone (%eth0); None after reporting anything else."""
        try:
            return ipaddress.ip_address(_ip_text(value))
        except ValueError:
            self.bad(path, f"{shown(value)} is not {what}")
            return None

    def empty_entry(self, path: str, what: str) -> None:
        self.bad(path, f"is empty (a stray '-'?): give {what}, or remove the line")

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
            self.bad("lab.security", f"{shown(security)} is not one of: {', '.join(SECURITY_MODES)}")
        publish_ip = self.ip(self.string(lab_m, "publish_address", "lab", "127.0.0.1"), "lab.publish_address")
        publish_address = str(publish_ip) if publish_ip is not None else "127.0.0.1"

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
        nodes = self.nodes(top.get("nodes"), network, prefix, hosts)
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
                self.bad(f"timeouts.{k}", f"{shown(seconds)} is not between 1 and 3600 seconds")
            values[k] = seconds
        default = values.pop("default", Timeouts.default)
        return Timeouts(default=default, per_daemon=tuple(sorted(values.items())))

    def mesos(self, value: Any) -> MesosSettings:
        d = MesosSettings()
        m = self.mapping(value, "mesos", ("version", "url", "cluster", "libraries"))
        return MesosSettings(
            version=self.string(m, "version", "mesos", d.version, _VERSION, "a Mesos version (e.g. 1.11.0)"),
            url=self.string(m, "url", "mesos", d.url, _HTTP_OR_FILE_URL, "an http(s):// or file:// URL ({version} is replaced)"),
            cluster=self.string(m, "cluster", "mesos", d.cluster, _DOCKER_NAME, "a cluster name (letters, digits, _ . -)"),
            libraries=self.string(m, "libraries", "mesos", d.libraries, re.compile(r"^(system|bundled)$"),
                                  "system or bundled"),
        )

    def kubernetes(self, value: Any) -> KubernetesSettings:
        d = KubernetesSettings()
        m = self.mapping(value, "kubernetes", [f.name for f in fields(KubernetesSettings)])
        key = "kubernetes"
        service_range = self.string(m, "service_cluster_ip_range", key, d.service_cluster_ip_range)
        cluster_dns = self.string(m, "cluster_dns", key, d.cluster_dns)
        dns = self.ip(cluster_dns, "kubernetes.cluster_dns")
        try:
            net = ipaddress.ip_network(_ip_text(service_range), strict=True)
            service_range = str(net)
            if dns is not None and dns not in net:
                self.bad("kubernetes.cluster_dns", f"{dns} is outside service_cluster_ip_range {net}")
        except ValueError:
            self.bad("kubernetes.service_cluster_ip_range", f"{shown(service_range)} is not a network in CIDR form")
        log_level = self.integer(m, "log_level", key, d.log_level)
        if not 0 <= log_level <= 10:
            self.bad("kubernetes.log_level", f"{shown(log_level)} is not between 0 and 10")
        return KubernetesSettings(
            repo=self.string(m, "repo", key, d.repo, _GIT_URL, "a git URL or an absolute path"),
            ref=self.string(m, "ref", key, d.ref, _GIT_REF, "a git ref"),
            checkout=self.string(m, "checkout", key, d.checkout, _ABSOLUTE_PATH,
                                 "an absolute path (on the machine that runs the lab)"),
            service_cluster_ip_range=service_range,
            cluster_dns=str(dns) if dns is not None else cluster_dns,
            cluster_domain=self.string(m, "cluster_domain", key, d.cluster_domain, _DOMAIN, "a DNS domain"),
            mesos_user=self.string(m, "mesos_user", key, d.mesos_user, _USER, "a user name"),
            log_level=log_level,
            nginx_image=self.string(m, "nginx_image", key, d.nginx_image, _IMAGE_REF, "an image reference"),
            pause_image=self.string(m, "pause_image", key, d.pause_image, _IMAGE_REF, "an image reference"),
            run_proxy=self.boolean(m, "run_proxy", key, d.run_proxy),
        )

    def ssh_address(self, address: str, path: str) -> None:
        """Report an address that ssh would not take (brackets, port), as -H would."""
        from k8sm.sshaddr import parse_address

        try:
            parse_address(address, what="")
        except K8smError as exc:
            self.bad(path, exc.message.strip())

    def boolean(self, m: dict[str, Any], k: str, key: str, default: bool) -> bool:
        value = m.get(k, default)
        if not isinstance(value, bool):
            self.bad(f"{key}.{k}", f"must be true or false, not {_kind(value)}")
            return default
        return value

    def network(self, value: Any, lab_name: str) -> Network:
        m = self.mapping(value, "network", ("name", "subnet", "first_ip"))
        name = self.string(m, "name", "network", lab_name, _DOCKER_NAME if "name" in m else None,
                           "a valid network name")
        subnet_text = self.string(m, "subnet", "network", "172.30.0.0/16")
        subnet: ipaddress.IPv4Network | None = None
        try:
            net = ipaddress.ip_network(_ip_text(subnet_text), strict=True)
            if not isinstance(net, ipaddress.IPv4Network):
                self.bad("network.subnet", f"{shown(subnet_text)} must be an IPv4 network")
            elif net.num_addresses < 8:
                self.bad("network.subnet", f"{shown(subnet_text)} is too small for a lab")
            else:
                subnet = net
        except ValueError as exc:
            self.bad("network.subnet", f"{shown(subnet_text)} is not a network in CIDR form ({clip(str(exc), 100)})")
        default_first = str(subnet.network_address + 257) if subnet and subnet.num_addresses > 512 else (
            str(subnet.network_address + 2) if subnet else "")
        first_text = self.string(m, "first_ip", "network", default_first)
        self.subnet = subnet
        if subnet is not None:
            first = self.ip(first_text, "network.first_ip")
            if first is not None and first not in subnet:
                self.bad("network.first_ip", f"{first} is outside network.subnet {subnet}")
            elif first is not None:
                self.first_ip = first  # type: ignore[assignment]
                first_text = str(first)
        return Network(name=name, subnet=str(subnet) if subnet else subnet_text, first_ip=first_text)

    def images(self, value: Any) -> Images:
        d = Images()
        m = self.mapping(value, "images", ("base", "prefix", "tag", "debian_mirror", "debian_suite"))
        return Images(
            base=self.string(m, "base", "images", d.base, _IMAGE_REF, "an image reference"),
            prefix=self.string(m, "prefix", "images", d.prefix, _IMAGE_PREFIX,
                               "an image prefix (lower case, ending with /, e.g. k8sm/)"),
            tag=self.string(m, "tag", "images", d.tag, _TAG, "a valid image tag"),
            debian_mirror=self.string(m, "debian_mirror", "images", d.debian_mirror, _HTTP_OR_FILE_URL,
                                      "an http(s):// or file:// URL"),
            debian_suite=self.string(m, "debian_suite", "images", d.debian_suite, _SUITE, "a Debian suite name"),
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
            key = _path("hosts", name)
            if not isinstance(name, str) or not _DOCKER_NAME.fullmatch(name):
                self.bad(key, "host names must be letters, digits and _ . - (at most 63)")
                continue
            self.host_names.append(name)
            sm = self.mapping(spec, key, ("address", "advertise_address"))
            address = self.string(sm, "address", key, "", _SSH_ADDRESS, "an SSH address (user@host[:port])")
            if not address:
                self.bad(f"{key}.address", "is required")
            elif _SSH_ADDRESS.fullmatch(address):
                self.ssh_address(address, f"{key}.address")
            advertise = self.string(sm, "advertise_address", key, "")
            if advertise and not _INTERFACE.fullmatch(advertise):
                self.ip(advertise, f"{key}.advertise_address", "an IP address or a network interface name")
            hosts.append(PhysicalHost(name=name, address=address, advertise_address=advertise))
        return hosts

    def nodes(self, value: Any, network: Network, prefix: str, hosts: Sequence[PhysicalHost]) -> list[Node]:
        if value is None:
            self.bad("nodes", "is required: list the lab's containers (see README, 'Configuration')")
            return []
        if not isinstance(value, list):
            self.bad("nodes", f"must be a non-empty list, not {_kind(value)}")
            return []
        if not value:
            self.bad("nodes", "must be a non-empty list, and it is empty: list the lab's containers "
                              "(see README, 'Configuration')")
            return []
        subnet, first = self.subnet, self.first_ip
        nodes: list[Node] = []
        names: dict[str, str] = {}
        ips: dict[str, str] = {}
        per_role: dict[str, int] = {}
        for i, spec in enumerate(value):
            key = f"nodes[{i}]"
            if spec is None:
                self.empty_entry(key, "the node's name and role")
                continue
            m = self.mapping(spec, key, ("name", "role", "ip", "enabled", "publish", "host"))
            if not m:
                if isinstance(spec, dict):
                    self.bad(key, "needs at least name and role")
                continue
            name = m.get("name")
            if not isinstance(name, str) or not _HOSTNAME.fullmatch(name):
                self.bad(f"{key}.name", f"{shown(name)} is not a valid hostname (lower-case letters, digits, '-'; "
                                        "at most 63)")
                name = None
            elif name in names:
                self.bad(f"{key}.name", f"{shown(name)} is already used by {names[name]}")
            else:
                names[name] = key
            role = m.get("role")
            if not isinstance(role, str) or role not in ROLE_IMAGES:
                self.bad(f"{key}.role", f"{shown(role)} is not one of: {', '.join(ROLE_IMAGES)}")
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
            host = self.node_host(m, key, hosts)
            if name is None or role is None or ip is None:
                continue
            index = per_role.get(role, 0)
            if enabled:
                per_role[role] = index + 1
            self.node_keys[name] = key
            nodes.append(Node(name=name, role=role, ip=ip, container=f"{prefix}{name}", index=index,
                              enabled=enabled, publish=publish, host=host))
        return nodes

    def node_host(self, m: dict[str, Any], key: str, hosts: Sequence[PhysicalHost]) -> str:
        """The host a node names (`host:`), else the first host of `hosts:`, else ""."""
        default = hosts[0].name if hosts else ""
        if "host" not in m:
            return default
        host = m["host"]
        if not isinstance(host, str):
            self.bad(f"{key}.host", f"must be the name of a host in hosts:, not {_kind(host)}")
        elif host not in self.host_names:
            known = ", ".join(self.host_names[:20])
            self.bad(f"{key}.host", f"{shown(host)} is not a host of the hosts: section"
                                    + (f" (hosts: {known})" if known else " (it is empty: add the host there with its "
                                                                          "address)"))
        else:
            return host
        return default

    def node_ip(self, m: dict[str, Any], key: str, i: int, subnet: Any, first: Any) -> str | None:
        if subnet is None:
            return None  # network.subnet is reported already
        if "ip" in m:
            ip = self.ip(m["ip"], f"{key}.ip")
            if ip is None:
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
            pair = _PORT_MAP.fullmatch(item) if isinstance(item, str) else None
            if pair:
                host, container = self.port(int(pair[1]), path), self.port(int(pair[2]), path)
            elif isinstance(item, int) and not isinstance(item, bool):
                host = container = self.port(item, path)
            elif item is None:
                self.empty_entry(path, "a port (5050) or \"HOST:CONTAINER\"")
                continue
            else:
                self.bad(path, f"{shown(item)} is not a port (5050) or a mapping \"HOST:CONTAINER\" (ASCII digits)")
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


def _path(parent: str, key: Any) -> str:
    """parent.key for a problem: the key as written if it is a short plain word, else quoted and bounded."""
    text = key if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) else shown(key, 40)
    return f"{parent}.{text}" if parent else text


def _ip_text(value: Any) -> str:
    """value if it can only be an IP address or network in ASCII (no zone, no spaces); ValueError otherwise."""
    if not isinstance(value, str) or not _IP_TEXT.fullmatch(value):
        raise ValueError("not an IP address or network in ASCII")
    return value


def _listing(nodes: Sequence[Node], limit: int = 20) -> str:
    """'a, b, c' of the nodes' names, the first `limit` of them."""
    names = [n.name for n in nodes[:limit]]
    return ", ".join(names) + (f" and {len(nodes) - limit} more" if len(nodes) > limit else "")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)
