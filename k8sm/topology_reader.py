"""The sections of hosts.yaml, read into the topology (k8sm.topology) in three phases, as kind does:

1. load: the sections as mappings, each key known (LabReader.load -> Loaded);
2. defaults: every value the file leaves out, from the topology's own dataclasses and the
   defaults derived from other values (k8sm.topology_defaults.with_defaults -> Filled);
3. validate: each value against its rule, then the rules across values (LabReader.validate -> Lab).
Every phase collects every problem with its key path (k8sm.topology_values); a problem that
would only echo an earlier one is left out.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from k8sm.errors import clip, shown
from k8sm.topology import (
    DAEMON_NAMES,
    DEFAULT_PORTS,
    ROLE_IMAGES,
    SECURITY_MODES,
    EtcdSettings,
    Images,
    KubernetesSettings,
    Lab,
    MesosSettings,
    Network,
    Node,
    PhysicalHost,
    PortMap,
    Ports,
    Timeouts,
)
from k8sm.topology_defaults import SECTION_DEFAULTS, SECTION_KEYS, TOP_KEYS, Filled, Loaded, default_first_ip, with_defaults
from k8sm.topology_values import (
    ABSOLUTE_PATH,
    DOCKER_NAME,
    DOMAIN,
    GIT_REF,
    GIT_URL,
    HOSTNAME,
    HTTP_OR_FILE_URL,
    IMAGE_PREFIX,
    IMAGE_REF,
    INTERFACE,
    PORT_MAP,
    PREFIX,
    SAFE_TEXT,
    SSH_ADDRESS,
    SUITE,
    TAG,
    USER,
    VERSION,
    ValueReader,
    ip_text,
    key_path,
    kind_of,
)

#: Ports that listen in the same container and so must differ.
_PORTS_SHARING_A_CONTAINER = (
    ("etcd_client", "etcd_client_legacy", "etcd_peer"),
    ("zookeeper_client", "zookeeper_peer", "zookeeper_election", "mesos_master"),
    ("apiserver", "controller_manager", "scheduler"),
)


class LabReader(ValueReader):
    """Reads the sections into a Lab (load -> defaults -> validate), collecting every problem with its key path."""

    def __init__(self) -> None:
        super().__init__()
        self.node_keys: dict[str, str] = {}
        self.enabled_roles: list[str] = []  # of every entry with a valid role, even if otherwise broken
        # Problems that would only echo an earlier one are not reported (one cause, one line):
        self.subnet: ipaddress.IPv4Network | None = None  # None: network.subnet is broken
        self.first_ip: ipaddress.IPv4Address | None = None  # None: network.first_ip is broken
        self.role_broken = False                            # some node's role is unknown
        self.host_names: list[str] = []                     # hosts: names, even of entries with other problems

    def lab(self, data: Any, source: str) -> Lab | None:
        """The Lab, or None after collecting every problem of every phase."""
        loaded = self.load(data)
        if loaded is None:
            return None
        return self.validate(with_defaults(loaded), source)

    def load(self, data: Any) -> Loaded | None:
        """Phase 1: the file as a mapping of sections, each a mapping of known keys."""
        if not isinstance(data, dict):
            self.problems.append(f"the file must be a mapping of sections (lab, network, ..., nodes), not {kind_of(data)}")
            return None
        top = self.mapping(data, "", TOP_KEYS)
        return Loaded({name: self.mapping(top.get(name), name, keys) for name, keys in SECTION_KEYS.items()},
                      top.get("hosts"), top.get("nodes"))

    def validate(self, filled: Filled, source: str) -> Lab | None:
        """Phase 3: each value against its rule, then the rules across values; the Lab if nothing is wrong."""
        sections = filled.sections
        lab_m = sections["lab"]
        lab_d = SECTION_DEFAULTS["lab"]
        name = self.string(lab_m, "name", "lab", lab_d["name"], DOCKER_NAME, "a valid name (letters, digits, _ . -)")
        prefix = self.string(lab_m, "container_prefix", "lab", lab_d["container_prefix"], PREFIX,
                             "a valid container-name prefix (letters, digits, _ . -)")
        security = self.string(lab_m, "security", "lab", lab_d["security"])
        if security not in SECURITY_MODES:
            self.bad("lab.security", f"{shown(security)} is not one of: {', '.join(SECURITY_MODES)}")
        publish_ip = self.ip(self.string(lab_m, "publish_address", "lab", lab_d["publish_address"]),
                             "lab.publish_address")
        publish_address = str(publish_ip) if publish_ip is not None else lab_d["publish_address"]

        network = self.network(sections["network"], name, "network.name" in filled.given)
        images = self.images(sections["images"])
        ports = self.ports(sections["ports"])
        etcd = EtcdSettings(self.string(sections["etcd"], "cluster_token", "etcd", EtcdSettings.cluster_token,
                                        SAFE_TEXT, "a token of letters, digits and _.:/@+=,-"))
        mesos = self.mesos(sections["mesos"])
        kubernetes = self.kubernetes(sections["kubernetes"])
        timeouts = self.timeouts(sections["timeouts"])
        hosts = self.hosts(filled.hosts)
        nodes = self.nodes(filled.nodes, network, prefix, hosts)
        if isinstance(filled.nodes, list) and filled.nodes and not self.role_broken:
            self.check_memberships()
        self.check_published(nodes)
        if self.problems:
            return None
        return Lab(
            name=name, container_prefix=prefix, security=security, publish_address=publish_address,
            network=network, images=images, ports=ports, etcd=etcd, all_nodes=tuple(nodes),
            hosts=tuple(hosts), source=source, mesos=mesos, kubernetes=kubernetes, timeouts=timeouts,
        )

    def timeouts(self, m: dict[str, Any]) -> Timeouts:
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

    def mesos(self, m: dict[str, Any]) -> MesosSettings:
        d = MesosSettings()
        return MesosSettings(
            version=self.string(m, "version", "mesos", d.version, VERSION, "a Mesos version (e.g. 1.11.0)"),
            url=self.string(m, "url", "mesos", d.url, HTTP_OR_FILE_URL, "an http(s):// or file:// URL ({version} is replaced)"),
            cluster=self.string(m, "cluster", "mesos", d.cluster, DOCKER_NAME, "a cluster name (letters, digits, _ . -)"),
            libraries=self.string(m, "libraries", "mesos", d.libraries, re.compile(r"^(system|bundled)$"),
                                  "system or bundled"),
        )

    def kubernetes(self, m: dict[str, Any]) -> KubernetesSettings:
        d = KubernetesSettings()
        key = "kubernetes"
        service_range = self.string(m, "service_cluster_ip_range", key, d.service_cluster_ip_range)
        cluster_dns = self.string(m, "cluster_dns", key, d.cluster_dns)
        dns = self.ip(cluster_dns, "kubernetes.cluster_dns")
        try:
            net = ipaddress.ip_network(ip_text(service_range), strict=True)
            service_range = str(net)
            if dns is not None and dns not in net:
                self.bad("kubernetes.cluster_dns", f"{dns} is outside service_cluster_ip_range {net}")
        except ValueError:
            self.bad("kubernetes.service_cluster_ip_range", f"{shown(service_range)} is not a network in CIDR form")
        log_level = self.integer(m, "log_level", key, d.log_level)
        if not 0 <= log_level <= 10:
            self.bad("kubernetes.log_level", f"{shown(log_level)} is not between 0 and 10")
        return KubernetesSettings(
            repo=self.string(m, "repo", key, d.repo, GIT_URL, "a git URL or an absolute path"),
            ref=self.string(m, "ref", key, d.ref, GIT_REF, "a git ref"),
            checkout=self.string(m, "checkout", key, d.checkout, ABSOLUTE_PATH,
                                 "an absolute path (on the machine that runs the lab)"),
            service_cluster_ip_range=service_range,
            cluster_dns=str(dns) if dns is not None else cluster_dns,
            cluster_domain=self.string(m, "cluster_domain", key, d.cluster_domain, DOMAIN, "a DNS domain"),
            mesos_user=self.string(m, "mesos_user", key, d.mesos_user, USER, "a user name"),
            log_level=log_level,
            nginx_image=self.string(m, "nginx_image", key, d.nginx_image, IMAGE_REF, "an image reference"),
            pause_image=self.string(m, "pause_image", key, d.pause_image, IMAGE_REF, "an image reference"),
            run_proxy=self.boolean(m, "run_proxy", key, d.run_proxy),
        )

    def network(self, m: dict[str, Any], lab_name: str, name_given: bool) -> Network:
        """The network; its name is checked only where the file gives one (else it is the lab's, checked there)."""
        name = self.string(m, "name", "network", lab_name, DOCKER_NAME if name_given else None, "a valid network name")
        subnet_text = self.string(m, "subnet", "network", SECTION_DEFAULTS["network"]["subnet"])
        subnet: ipaddress.IPv4Network | None = None
        try:
            net = ipaddress.ip_network(ip_text(subnet_text), strict=True)
            if not isinstance(net, ipaddress.IPv4Network):
                self.bad("network.subnet", f"{shown(subnet_text)} must be an IPv4 network")
            elif net.num_addresses < 8:
                self.bad("network.subnet", f"{shown(subnet_text)} is too small for a lab")
            else:
                subnet = net
        except ValueError as exc:
            self.bad("network.subnet", f"{shown(subnet_text)} is not a network in CIDR form ({clip(str(exc), 100)})")
        first_text = self.string(m, "first_ip", "network", default_first_ip(subnet_text))
        self.subnet = subnet
        if subnet is not None:
            first = self.ip(first_text, "network.first_ip")
            if first is not None and first not in subnet:
                self.bad("network.first_ip", f"{first} is outside network.subnet {subnet}")
            elif first is not None:
                self.first_ip = first  # type: ignore[assignment]
                first_text = str(first)
        return Network(name=name, subnet=str(subnet) if subnet else subnet_text, first_ip=first_text)

    def images(self, m: dict[str, Any]) -> Images:
        d = Images()
        return Images(
            base=self.string(m, "base", "images", d.base, IMAGE_REF, "an image reference"),
            prefix=self.string(m, "prefix", "images", d.prefix, IMAGE_PREFIX,
                               "an image prefix (lower case, ending with /, e.g. k8sm/)"),
            tag=self.string(m, "tag", "images", d.tag, TAG, "a valid image tag"),
            debian_mirror=self.string(m, "debian_mirror", "images", d.debian_mirror, HTTP_OR_FILE_URL,
                                      "an http(s):// or file:// URL"),
            debian_suite=self.string(m, "debian_suite", "images", d.debian_suite, SUITE, "a Debian suite name"),
        )

    def ports(self, m: dict[str, Any]) -> Ports:
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
            key = key_path("hosts", name)
            if not isinstance(name, str) or not DOCKER_NAME.fullmatch(name):
                self.bad(key, "host names must be letters, digits and _ . - (at most 63)")
                continue
            self.host_names.append(name)
            sm = self.mapping(spec, key, ("address", "advertise_address"))
            address = self.string(sm, "address", key, "", SSH_ADDRESS, "an SSH address (user@host[:port])")
            if not address:
                self.bad(f"{key}.address", "is required")
            elif SSH_ADDRESS.fullmatch(address):
                self.ssh_address(address, f"{key}.address")
            advertise = self.string(sm, "advertise_address", key, "")
            if advertise and not INTERFACE.fullmatch(advertise):
                self.ip(advertise, f"{key}.advertise_address", "an IP address or a network interface name")
            hosts.append(PhysicalHost(name=name, address=address, advertise_address=advertise))
        return hosts

    def node_list(self, value: Any) -> list[Any]:
        """The `nodes:` entries; [] after reporting a missing, empty or wrong-kind section."""
        if value is None:
            self.bad("nodes", "is required: list the lab's containers (see README, 'Configuration')")
        elif not isinstance(value, list):
            self.bad("nodes", f"must be a non-empty list, not {kind_of(value)}")
        elif not value:
            self.bad("nodes", "must be a non-empty list, and it is empty: list the lab's containers "
                              "(see README, 'Configuration')")
        else:
            return value
        return []

    def nodes(self, value: Any, network: Network, prefix: str, hosts: Sequence[PhysicalHost]) -> list[Node]:
        value = self.node_list(value)
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
            if not isinstance(name, str) or not HOSTNAME.fullmatch(name):
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
                self.bad(f"{key}.enabled", f"must be true or false, not {kind_of(enabled)}")
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
            self.bad(f"{key}.host", f"must be the name of a host in hosts:, not {kind_of(host)}")
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
            self.bad(key, f"must be a list of ports (5050 or \"15050:5050\"), not {kind_of(value)}")
            return ()
        maps = []
        for j, item in enumerate(value):
            path = f"{key}[{j}]"
            pair = PORT_MAP.fullmatch(item) if isinstance(item, str) else None
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
