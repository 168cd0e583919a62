"""hosts.yaml loading: the defaults, and every validation error, reported at once with its key."""

from __future__ import annotations

import textwrap

import pytest

from k8sm import topology
from k8sm.errors import K8smError, TopologyError
from tests.cli import ROOT

MINIMAL = """
nodes:
  - {name: etcd-0, role: etcd}
  - {name: master-0, role: mesos-master}
"""


def parse(text: str) -> topology.Lab:
    return topology.parse(textwrap.dedent(text), "test.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(TopologyError) as info:
        parse(text)
    return info.value.problems


def test_default_reproduces_the_seed_topology():
    lab = topology.load(ROOT / "hosts.yaml")
    seed = [
        ("etcd-0", "172.30.1.1"), ("etcd-1", "172.30.1.2"), ("etcd-2", "172.30.1.3"),
        ("mesos-master-0", "172.30.1.4"), ("mesos-master-1", "172.30.1.5"), ("mesos-master-2", "172.30.1.6"),
        ("kubernetes-mesos", "172.30.1.7"),
        ("kubernetes-minion-0", "172.30.1.8"), ("kubernetes-minion-1", "172.30.1.9"),
        ("kubernetes-minion-2", "172.30.1.10"), ("kubernetes-minion-3", "172.30.1.11"),
    ]
    assert [(n.name, n.ip) for n in lab.nodes] == seed
    assert [n.container for n in lab.nodes] == [name for name, _ in seed]
    client = lab.all_nodes[-1]
    assert (client.name, client.ip, client.role, client.enabled) == ("kubernetes-client", "172.30.1.12", "client", False)
    assert lab.network.subnet == "172.30.0.0/16"
    assert lab.publish_address == "127.0.0.1"
    assert lab.security == "capabilities"
    published = {n.name: [(p.host_port, p.container_port) for p in n.publish] for n in lab.nodes if n.publish}
    assert published == {"mesos-master-0": [(5050, 5050)], "kubernetes-mesos": [(8080, 8080)]}


def test_default_subnet_does_not_overlap_docker0():
    import ipaddress

    lab = topology.load(ROOT / "hosts.yaml")
    assert not ipaddress.ip_network(lab.network.subnet).overlaps(ipaddress.ip_network("172.17.0.0/16"))


def test_minimal_file_gets_defaults():
    lab = parse(MINIMAL)
    assert lab.name == "k8sm" and lab.network.name == "k8sm"
    assert lab.ports.etcd_client_legacy == 4001
    assert lab.images.ref("etcd") == "k8sm/etcd:latest"
    assert [n.ip for n in lab.nodes] == ["172.30.1.1", "172.30.1.2"]
    assert lab.role("mesos-master")[0].index == 0


def test_explicit_ips_prefix_and_second_subnet():
    lab = parse("""
        lab: {name: lab2, container_prefix: "lab2-"}
        network: {subnet: 10.50.0.0/24}
        nodes:
          - {name: etcd-0, role: etcd, ip: 10.50.0.10}
          - {name: m-0, role: mesos-master}
    """)
    assert lab.network.first_ip == "10.50.0.2"
    assert [(n.container, n.ip) for n in lab.nodes] == [("lab2-etcd-0", "10.50.0.10"), ("lab2-m-0", "10.50.0.3")]


def test_disabled_node_keeps_its_position_but_is_not_a_member():
    lab = parse("""
        nodes:
          - {name: etcd-0, role: etcd}
          - {name: etcd-1, role: etcd, enabled: false}
          - {name: master-0, role: mesos-master}
    """)
    assert [n.name for n in lab.role("etcd")] == ["etcd-0"]
    assert lab.node("master-0").ip == "172.30.1.3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus: 1\n" + MINIMAL, "bogus: unknown key"),
        ("lab: {nme: x}\n" + MINIMAL, "lab.nme: unknown key"),
        ("lab: {name: 'a b'}\n" + MINIMAL, "lab.name: 'a b' is not a valid name"),
        ("lab: {security: root}\n" + MINIMAL, "lab.security: 'root' is not one of: capabilities, privileged"),
        ("lab: {publish_address: localhost}\n" + MINIMAL, "lab.publish_address: 'localhost' is not an IP address"),
        ("lab: [1]\n" + MINIMAL, "lab: must be a mapping, not a list"),
        ("network: {subnet: 10.0.0.0/33}\n" + MINIMAL, "network.subnet: '10.0.0.0/33' is not a network"),
        ("network: {subnet: 10.0.0.1/16}\n" + MINIMAL, "network.subnet: '10.0.0.1/16' is not a network"),
        ("network: {subnet: 'fd00::/64'}\n" + MINIMAL, "network.subnet: 'fd00::/64' must be an IPv4 network"),
        ("network: {subnet: 10.0.0.0/16, first_ip: 10.1.0.1}\n" + MINIMAL,
         "network.first_ip: 10.1.0.1 is outside network.subnet 10.0.0.0/16"),
        ("ports: {etcd_client: 70000}\n" + MINIMAL, "ports.etcd_client: 70000 is not a port number"),
        ("ports: {etcd_peer: 2379}\n" + MINIMAL, "ports.etcd_peer: 2379 is already used by ports.etcd_client"),
        ("ports: {mesos_master: 2181}\n" + MINIMAL, "ports.mesos_master: 2181 is already used by ports.zookeeper_client"),
        ("ports: {etcd_client: '2379'}\n" + MINIMAL, "ports.etcd_client: '2379' is not a port number"),
        ("images: {prefix: K8SM}\n" + MINIMAL, "images.prefix: 'K8SM' is not an image prefix"),
        ("images: {tag: 'a b'}\n" + MINIMAL, "images.tag: 'a b' is not a valid image tag"),
        ("images: {debian_mirror: 'deb.debian.org'}\n" + MINIMAL, "images.debian_mirror: 'deb.debian.org' is not"),
        ("etcd: {cluster_token: 'a;b'}\n" + MINIMAL, "etcd.cluster_token: 'a;b' is not a token"),
        ("hosts: {s1: {address: 'root@h;rm'}}\n" + MINIMAL, "hosts.s1.address: 'root@h;rm' is not an SSH address"),
        ("hosts: {s1: {}}\n" + MINIMAL, "hosts.s1.address: is required"),
        ("lab: {name: x}\n", "nodes: is required"),
        ("nodes: []\n", "nodes: must be a non-empty list"),
        ("nodes: {a: 1}\n", "nodes: must be a non-empty list, not a mapping"),
        (MINIMAL + "  - {name: Etcd_1, role: etcd}\n", "nodes[2].name: 'Etcd_1' is not a valid hostname"),
        (MINIMAL + "  - {name: 'a;reboot', role: etcd}\n", "nodes[2].name: 'a;reboot' is not a valid hostname"),
        (MINIMAL + "  - {name: etcd-0, role: etcd}\n", "nodes[2].name: 'etcd-0' is already used by nodes[0]"),
        (MINIMAL + "  - {name: x, role: master}\n", "nodes[2].role: 'master' is not one of"),
        (MINIMAL + "  - {name: x, role: client, ip: 172.30.1.1}\n", "nodes[2].ip: 172.30.1.1 is already used by nodes[0]"),
        (MINIMAL + "  - {name: x, role: client, ip: 10.9.9.9}\n", "nodes[2].ip: 10.9.9.9 is outside network.subnet"),
        (MINIMAL + "  - {name: x, role: client, ip: 172.30.0.1}\n", "nodes[2].ip: 172.30.0.1 is reserved"),
        (MINIMAL + "  - {name: x, role: client, ip: banana}\n", "nodes[2].ip: 'banana' is not an IP address"),
        (MINIMAL + "  - {name: x, role: client, enabled: 'no'}\n", "nodes[2].enabled: must be true or false"),
        (MINIMAL + "  - {name: x, role: client, colour: red}\n", "nodes[2].colour: unknown key"),
        (MINIMAL + "  - {name: x, role: client, publish: 8080}\n", "nodes[2].publish: must be a list of ports"),
        (MINIMAL + "  - {name: x, role: client, publish: ['a:b']}\n", "nodes[2].publish[0]: 'a:b' is not a port"),
        (MINIMAL + "  - {name: x, role: client, publish: [0]}\n", "nodes[2].publish[0]: 0 is not a port number"),
        (MINIMAL + "  - {name: x, role: client, publish: [80]}\n  - {name: y, role: framework, publish: ['80:8080']}\n",
         "nodes[3].publish: host port 80 is already published by x"),
        (MINIMAL + "  - {name: etcd-1, role: etcd}\n", "odd number of etcd nodes for a majority, not 2"),
        (MINIMAL + "  - {name: m-1, role: mesos-master}\n", "odd number of mesos-master nodes for a majority, not 2"),
        ("nodes:\n  - {name: m-0, role: mesos-master}\n", "needs at least one enabled etcd node"),
        ("nodes:\n  - {name: e-0, role: etcd}\n", "needs at least one enabled mesos-master node"),
        (MINIMAL + "  - {name: f1, role: framework}\n  - {name: f2, role: framework}\n",
         "at most one enabled framework node"),
        (MINIMAL + "  - just-a-string\n", "nodes[2]: must be a mapping, not a string"),
    ],
)
def test_each_problem_names_its_key(text, expected):
    found = problems(text)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems("""
        lab: {name: 'bad name', bogus: 1}
        ports: {etcd_client: 0}
        nodes:
          - {name: etcd-0, role: etcd}
          - {name: etcd-0, role: etcd, ip: 172.30.1.1}
          - {name: m, role: nope}
    """)
    keys = [p.split(":")[0] for p in found]
    assert {"lab.bogus", "lab.name", "ports.etcd_client", "nodes[1].name", "nodes[1].ip", "nodes[2].role"} <= set(keys)


def test_single_problem_is_one_line_naming_the_file():
    with pytest.raises(TopologyError) as info:
        parse("lab: {security: root}\n" + MINIMAL)
    assert str(info.value).count("\n") == 0
    assert str(info.value).startswith("test.yaml: lab.security:")


def test_duplicate_yaml_key_is_an_error():
    found = problems("lab: {name: a}\nlab: {name: b}\n" + MINIMAL)
    assert found == ["not valid YAML: line 2, column 1: duplicate key 'lab'"]


def test_broken_yaml_names_line():
    found = problems("nodes: [\n  {name: a\n")
    assert len(found) == 1 and found[0].startswith("not valid YAML: line")


def test_missing_file(tmp_path):
    with pytest.raises(TopologyError) as info:
        topology.load(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value)


def test_unknown_node_lists_valid_names():
    lab = parse(MINIMAL)
    with pytest.raises(K8smError) as info:
        lab.node("etcd-9")
    assert "unknown node 'etcd-9'" in str(info.value) and "etcd-0, master-0" in str(info.value)


def test_select_refuses_a_node_of_another_role():
    lab = parse(MINIMAL)
    assert lab.select("etcd") == lab.role("etcd")
    with pytest.raises(K8smError, match="is a mesos-master node, not etcd"):
        lab.select("etcd", "master-0")
    with pytest.raises(K8smError, match="has no minion nodes"):
        lab.select("minion")
