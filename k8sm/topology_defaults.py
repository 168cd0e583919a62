"""Phases 1 and 2 of reading hosts.yaml (k8sm.topology_reader): which keys each section knows, and
every value the file leaves out.

The defaults come from the topology's own dataclasses (k8sm.topology), so they are written once;
the lab and network sections have theirs here, and network.name and network.first_ip derive
from other values.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, fields
from typing import Any

from k8sm.topology import DAEMON_NAMES, DEFAULT_PORTS, EtcdSettings, Images, KubernetesSettings, MesosSettings
from k8sm.topology_values import ip_text

#: The known keys of each section (`hosts:` takes any host name; `nodes:` is a list).
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "lab": ("name", "container_prefix", "security", "publish_address"),
    "network": ("name", "subnet", "first_ip"),
    "images": tuple(f.name for f in fields(Images)),
    "ports": tuple(DEFAULT_PORTS),
    "etcd": tuple(f.name for f in fields(EtcdSettings)),
    "mesos": tuple(f.name for f in fields(MesosSettings)),
    "kubernetes": tuple(f.name for f in fields(KubernetesSettings)),
    "timeouts": ("default", *DAEMON_NAMES),
}
TOP_KEYS = ("hosts", "lab", "network", "images", "ports", "etcd", "mesos", "kubernetes", "timeouts", "nodes")

#: What a value the file leaves out is: the topology's own defaults, and those of the lab and network
#: sections (network.name and network.first_ip derive from other values: with_defaults).
SECTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "lab": {"name": "k8sm", "container_prefix": "", "security": "capabilities", "publish_address": "127.0.0.1"},
    "network": {"subnet": "172.30.0.0/16"},
    "images": asdict(Images()),
    "ports": dict(DEFAULT_PORTS),
    "etcd": asdict(EtcdSettings()),
    "mesos": asdict(MesosSettings()),
    "kubernetes": asdict(KubernetesSettings()),
    "timeouts": {},  # a daemon without its own timeout takes `default` (Timeouts.of)
}


@dataclass(frozen=True)
class Loaded:
    """Phase 1: each section as a mapping of known keys ({} when absent or broken); `hosts:` and `nodes:` raw."""

    sections: dict[str, dict[str, Any]]
    hosts: Any
    nodes: Any


@dataclass(frozen=True)
class Filled:
    """Phase 2: each section with every value, from the file or its default; `given`: the file's "section.key"s."""

    sections: dict[str, dict[str, Any]]
    given: frozenset[str]
    hosts: Any
    nodes: Any


def with_defaults(loaded: Loaded) -> Filled:
    """Every value the file leaves out, from SECTION_DEFAULTS; network.name is the lab's name and
    network.first_ip the subnet's 257th address (its 3rd in a small subnet; none when the subnet is broken)."""
    given = frozenset(f"{name}.{k}" for name, m in loaded.sections.items() for k in m)
    sections = {name: {**SECTION_DEFAULTS[name], **m} for name, m in loaded.sections.items()}
    lab_name = sections["lab"]["name"]
    network = sections["network"]
    network.setdefault("name", lab_name if isinstance(lab_name, str) else SECTION_DEFAULTS["lab"]["name"])
    network.setdefault("first_ip", default_first_ip(network["subnet"]))
    return Filled(sections, given, loaded.hosts, loaded.nodes)


def default_first_ip(subnet_text: Any) -> str:
    if not isinstance(subnet_text, str):
        subnet_text = SECTION_DEFAULTS["network"]["subnet"]  # validate reports it; the default stands in
    try:
        net = ipaddress.ip_network(ip_text(subnet_text), strict=True)
    except ValueError:
        return ""
    if not isinstance(net, ipaddress.IPv4Network) or net.num_addresses < 8:
        return ""
    return str(net.network_address + (257 if net.num_addresses > 512 else 2))
