"""hosts.yaml loading: the defaults, and every validation error, reported at once with its key."""

from __future__ import annotations

import os
import textwrap
import threading
from typing import Any

import pytest
import yaml

from k8sm import topology
from k8sm.errors import K8smError, TopologyError
from tests.cli import ROOT
from tests.hoststext import MINIMAL, parse, problems


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


# ------------------------------------------------------------------ bad input: bounded, one line, never a hang

TWO_NODES = {"nodes": [{"name": "etcd-0", "role": "etcd"}, {"name": "master-0", "role": "mesos-master"}]}


def load_error(path) -> TopologyError:
    """topology.load(path)'s error, from a thread given 5 s: a load that blocks fails the test instead of hanging."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            topology.load(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(5)
    assert outcome, f"loading {path} blocked"
    assert isinstance(outcome[0], TopologyError), repr(outcome[0])
    return outcome[0]


def one_line(error: TopologyError, path) -> str:
    text = str(error)
    assert "\n" not in text and text.startswith(f"{path}: "), text
    return text


def test_a_file_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "hosts.yaml"
    path.write_bytes(b"lab: {name: caf\xe9}\n")
    assert "is not UTF-8 text (byte 0xe9 at offset 15)" in one_line(load_error(path), path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_files_are_named_as_such(tmp_path, encoding):
    path = tmp_path / "hosts.yaml"
    path.write_bytes((ROOT / "hosts.yaml").read_text().encode(encoding))
    assert f"is {encoding.upper()} text, not UTF-8; save it as UTF-8" in one_line(load_error(path), path)


def test_utf16_without_a_byte_order_mark_and_binary_junk_are_refused(tmp_path):
    for name, data in (("le.yaml", MINIMAL.encode("utf-16-le")), ("junk.yaml", bytes(range(256)) * 8)):
        path = tmp_path / name
        path.write_bytes(data)
        assert "is not UTF-8 text" in one_line(load_error(path), path)


def test_a_utf8_byte_order_mark_is_allowed(tmp_path):
    path = tmp_path / "hosts.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert topology.load(path).node("etcd-0").ip == "172.30.1.1"


def test_a_symlink_loop_and_a_dangling_symlink(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    assert "cannot read it: a symbolic link loop" in one_line(load_error(tmp_path / "a"), tmp_path / "a")
    assert "is a symbolic link to a missing file" in one_line(load_error(tmp_path / "dangling"),
                                                                tmp_path / "dangling")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "hosts.yaml"
    os.mkfifo(fifo)
    assert "is a FIFO (named pipe), not a file" in one_line(load_error(fifo), fifo)


def test_a_directory_and_a_device_are_refused(tmp_path):
    assert "is a directory, not a file" in one_line(load_error(tmp_path), tmp_path)
    assert "is a character device, not a file" in one_line(load_error("/dev/null"), "/dev/null")


def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "hosts.yaml").symlink_to(tmp_path / "fifo")
    assert "is a FIFO" in one_line(load_error(tmp_path / "hosts.yaml"), tmp_path / "hosts.yaml")


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "hosts.yaml"
    with path.open("wb") as f:
        f.truncate(topology.MAX_FILE_BYTES + 1)  # sparse: its size alone refuses it
    assert "is larger than 1 MiB" in one_line(load_error(path), path)


def test_an_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "hosts.yaml"
    path.write_text(MINIMAL)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(topology.os, "open", refuse)  # root reads mode-000 files, so refuse the open itself
    assert "cannot read it: Permission denied" in one_line(load_error(path), path)


def test_a_large_but_allowed_alias_expansion_is_quoted_briefly():
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(3))
    error = str(pytest.raises(TopologyError, parse, text + "nodes: [{name: *d, role: etcd}]\n").value)
    assert "nodes[0].name: [[[...], [...]" in error and len(error) < 1500, error


def test_a_huge_value_is_quoted_briefly():
    error = str(pytest.raises(TopologyError, parse, MINIMAL + f"  - {{name: {'a' * 500_000}, role: etcd}}\n").value)
    assert "nodes[2].name: 'aaaa" in error and "…" in error and len(error) < 400, error[:500]


def test_huge_keys_and_numbers_are_quoted_briefly():
    error = str(pytest.raises(TopologyError, parse,
                              f"lab:\n  ? {'k' * 100_000}\n  : 1\ntimeouts: {{etcd: {'9' * 4000}}}\n" + MINIMAL).value)
    assert len(error) < 800 and "lab.'kkkk" in error and "timeouts.etcd: 9999" in error, error[:1000]


@pytest.mark.parametrize(("text", "key"), [
    (MINIMAL + "  -\n", "nodes[2]"),
    ("nodes:\n  -\n  - {name: etcd-0, role: etcd}\n  - {name: master-0, role: mesos-master}\n", "nodes[0]"),
    (MINIMAL + "  - null\n", "nodes[2]"),
    (MINIMAL + "  - {name: x, role: client, publish: [8080, null]}\n", "nodes[2].publish[1]"),
    (MINIMAL + "  - {name: x, role: client, publish: [~]}\n", "nodes[2].publish[0]"),
], ids=["last", "first", "null", "publish null", "publish tilde"])
def test_an_empty_list_entry_is_an_error_at_its_index(text, key):
    assert f"{key}: is empty (a stray '-'?)" in "\n".join(problems(text))


def test_an_empty_node_list_says_it_is_empty():
    (found,) = problems("nodes: []\n")
    assert found.startswith("nodes: must be a non-empty list, and it is empty") and "not a list" not in found


NON_ASCII_DIGITS = "\u0664\u0665\u0660\u0665\u0660"  # Arabic-Indic 45050
FULLWIDTH_ONE = "\uff11"


@pytest.mark.parametrize(("section", "key", "value"), [
    ("nodes", "publish", [f"{NON_ASCII_DIGITS}:5050"]),
    ("nodes", "publish", [f"15050:{FULLWIDTH_ONE}"]),
    ("nodes", "ip", "172.30.1.\u0662\u0660"),
    ("lab", "publish_address", "\u0661\u0662\u0667.0.0.1"),
    ("network", "subnet", "10.0.0.0/\u0661\u0666"),
    ("network", "first_ip", "172.30.1.\u0661"),
    ("kubernetes", "service_cluster_ip_range", "10.10.10.0/\u0662\u0664"),
    ("kubernetes", "cluster_dns", "10.10.10.\u0661\u0660"),
    ("ports", "apiserver", "8080"),
    ("timeouts", "etcd", "\u0669\u0660"),
])
def test_numbers_and_addresses_take_ascii_digits_only(section, key, value):
    data = yaml.safe_load(yaml.safe_dump(TWO_NODES))
    if section == "nodes":
        data["nodes"].append({"name": "x", "role": "client", key: value})
        path = f"nodes[2].{key}"
    else:
        data[section] = {key: value}
        path = f"{section}.{key}"
    found = problems(yaml.safe_dump(data, allow_unicode=True))
    assert any(p.startswith(path) for p in found), found


#: Every validated string, with a value that passes: the same value with a trailing newline must not.
VALIDATED_STRINGS = [
    ("lab", "name", "lab2"), ("lab", "container_prefix", "x-"), ("lab", "security", "privileged"),
    ("lab", "publish_address", "127.0.0.2"), ("network", "name", "net2"), ("network", "subnet", "10.5.0.0/16"),
    ("images", "base", "debian:bookworm"), ("images", "prefix", "me/"), ("images", "tag", "v1"),
    ("images", "debian_mirror", "http://mirror.example/debian"), ("images", "debian_suite", "trixie"),
    ("etcd", "cluster_token", "tok"), ("mesos", "version", "1.11.0"),
    ("mesos", "url", "https://example.org/mesos-{version}.tar.gz"), ("mesos", "cluster", "c1"),
    ("kubernetes", "repo", "https://example.org/k.git"), ("kubernetes", "ref", "v1.1.8"),
    ("kubernetes", "checkout", "/opt/k"), ("kubernetes", "service_cluster_ip_range", "10.10.10.0/25"),
    ("kubernetes", "cluster_dns", "10.10.10.53"), ("kubernetes", "cluster_domain", "lab.local"),
    ("kubernetes", "mesos_user", "root"), ("kubernetes", "nginx_image", "nginx:1"),
    ("hosts", "box", {"address": "root@box:22"}),
    ("nodes", "name", "x"), ("nodes", "role", "client"), ("nodes", "ip", "172.30.1.50"),
    ("nodes", "publish", ["18080:8080"]),
]


def _with(section: str, key: str, value: Any) -> str:
    data = yaml.safe_load(yaml.safe_dump(TWO_NODES))
    if section == "nodes":
        data["nodes"].append({"name": "x", "role": "client", key: value})
    else:
        data[section] = {key: value}
    return yaml.safe_dump(data)


def _newline_at_end(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _newline_at_end(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_newline_at_end(v) for v in value]
    return value + "\n"


@pytest.mark.parametrize(("section", "key", "value"), VALIDATED_STRINGS, ids=[f"{s}.{k}" for s, k, _ in VALIDATED_STRINGS])
def test_a_trailing_newline_never_passes_validation(section, key, value):
    parse(_with(section, key, value))  # the value itself is fine
    found = problems(_with(section, key, _newline_at_end(value)))
    where = "nodes[2]." + key if section == "nodes" else f"{section}.{key}"
    assert any(p.startswith(where) and "\\n" in p for p in found), found


ODD_VALUES = [
    ("lab", "publish_address", "::1%eth0"), ("lab", "publish_address", "fe80::1%$(reboot)"),
    ("kubernetes", "cluster_dns", " 10.10.10.10"), ("nodes", "ip", "172.30.1.50 "),
    ("lab", "name", "a" * 64), ("images", "debian_mirror", "http://mirror/$(reboot)"),
    ("images", "debian_mirror", "http://mirror/d\u00e9bian"), ("mesos", "url", "http://x/\x1b[31m"),
    ("kubernetes", "repo", "https://x/`reboot`"),
]


@pytest.mark.parametrize(("section", "key", "value"), ODD_VALUES, ids=[f"{s}.{k}-{i}" for i, (s, k, _) in enumerate(ODD_VALUES)])
def test_odd_values_are_refused(section, key, value):
    found = problems(_with(section, key, value))
    assert any(key in p for p in found), found


def test_an_unknown_node_name_is_quoted_briefly():
    lab = parse(MINIMAL)
    with pytest.raises(K8smError) as info:
        lab.node("x" * 100_000)
    assert len(str(info.value)) < 200


# ---------------------------------------------------------------- several hosts

HOSTS = """\
hosts:
  a: {address: root@server-a}
  b: {address: "root@server-b:2222", advertise_address: 10.1.2.3}
"""


def spread(nodes: str, hosts: str = HOSTS) -> str:
    """hosts.yaml text: the hosts section, then `nodes:` with the given node lines."""
    return hosts + "nodes:\n" + textwrap.dedent(nodes)


def test_nodes_run_on_the_first_host_unless_they_name_another():
    lab = parse(spread("""
        - {name: etcd-0, role: etcd}
        - {name: master-0, role: mesos-master, host: b}
        """))
    assert [n.host for n in lab.nodes] == ["a", "b"]
    assert lab.multi_host
    assert [h.name for h in lab.lab_hosts] == ["a", "b"]
    assert lab.host("b").advertise_address == "10.1.2.3" and lab.host("a").advertise_address == ""


def test_a_lab_on_one_host_is_not_multi_host():
    on_a = parse(HOSTS + MINIMAL)
    assert not on_a.multi_host and {n.host for n in on_a.nodes} == {"a"}
    all_on_b = parse(spread("""
        - {name: etcd-0, role: etcd, host: b}
        - {name: master-0, role: mesos-master, host: b}
        """))
    assert not all_on_b.multi_host  # it runs where -H says, as always
    assert not parse(MINIMAL).multi_host and parse(MINIMAL).nodes[0].host == ""


def test_the_manager_is_a_lab_host_even_without_nodes():
    lab = parse(spread("""
        - {name: etcd-0, role: etcd, host: b}
        - {name: master-0, role: mesos-master, host: c}
        """, HOSTS + "  c: {address: root@server-c}\n"))
    assert [h.name for h in lab.lab_hosts] == ["a", "b", "c"]


def test_a_node_must_name_a_host_of_the_hosts_section():
    found = problems(spread("""
        - {name: etcd-0, role: etcd, host: c}
        - {name: master-0, role: mesos-master, host: [a]}
        """))
    assert found == ["nodes[0].host: 'c' is not a host of the hosts: section (hosts: a, b)",
                     "nodes[1].host: must be the name of a host in hosts:, not a list"]
    assert problems(MINIMAL + "  - {name: etcd-1, role: etcd, host: a}\n  - {name: etcd-2, role: etcd}\n") == [
        "nodes[2].host: 'a' is not a host of the hosts: section (it is empty: add the host there with its address)"]


def test_a_broken_host_entry_is_reported_once_and_its_nodes_are_not():
    found = problems(spread("""
        - {name: etcd-0, role: etcd, host: a}
        - {name: master-0, role: mesos-master}
        """, 'hosts:\n  a: {address: "root@x;y", advertise_address: "10.0.0.1; rm -rf /"}\n'))
    assert found == ["hosts.a.address: 'root@x;y' is not an SSH address (user@host[:port])",
                     "hosts.a.advertise_address: '10.0.0.1; rm -rf /' is not an IP address or a network interface name"]


def test_advertise_address_takes_an_interface_name():
    lab = parse("hosts: {a: {address: root@x, advertise_address: eth0}}\n" + MINIMAL)
    assert lab.hosts[0].advertise_address == "eth0"


@pytest.mark.parametrize("address", ["root@[::1]:2222", "[::1]", "root@[fe80::1]:22", "deploy@server1:2200"])
def test_host_addresses_take_bracketed_ipv6_as_ssh_does(address):
    lab = topology.parse(f"hosts:\n  server1: {{address: '{address}'}}\nnodes:\n"
                         "  - {name: etcd-0, role: etcd}\n  - {name: mesos-master-0, role: mesos-master}\n")
    assert lab.hosts[0].address == address


@pytest.mark.parametrize("address", ["root@[::1", "root@::1]:22", "root@[::1]:22x", "root@[::1]:2222\n"])
def test_broken_bracketed_addresses_are_refused_at_the_hosts_key(address):
    with pytest.raises(topology.TopologyError, match=r"hosts\.server1\.address"):
        topology.parse(f"hosts:\n  server1: {{address: {address!r}}}\nnodes:\n"
                       "  - {name: etcd-0, role: etcd}\n  - {name: mesos-master-0, role: mesos-master}\n")
