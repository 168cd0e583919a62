"""Drills on bad input through the real command line: one line naming the problem, no traceback, nothing run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import ROOT, invoke

GOOD = (ROOT / "hosts.yaml").read_text()

#: (description, hosts.yaml text, what the one-line error must contain)
MALFORMED = [
    ("empty file", "", "nodes: is required"),
    ("not a mapping", "- a\n- b\n", "the file must be a mapping of sections (lab, network, ..., nodes), not a list"),
    ("tab indentation", "lab:\n\tname: x\n", "not valid YAML: line 2"),
    ("unclosed bracket", "nodes: [\n", "not valid YAML"),
    ("duplicate top-level key", GOOD + "\nlab: {name: again}\n", "duplicate key 'lab'"),
    ("unknown top-level key", GOOD + "\nlabs: {}\n", "labs: unknown key"),
    ("unknown lab key", GOOD.replace("  name: k8sm ", "  nmae: k8sm "), "lab.nmae: unknown key"),
    ("bad security", GOOD.replace("security: capabilities", "security: yes-please"), "lab.security:"),
    ("bad publish address", GOOD.replace("publish_address: 127.0.0.1", "publish_address: everywhere"),
     "lab.publish_address: 'everywhere' is not an IP address"),
    ("subnet not CIDR", GOOD.replace("subnet: 172.30.0.0/16", "subnet: 172.30.0.0"),
     "network.subnet: '172.30.0.0' is too small for a lab"),
    ("subnet with host bits", GOOD.replace("subnet: 172.30.0.0/16", "subnet: 172.30.1.0/16"), "network.subnet"),
    ("first_ip outside", GOOD.replace("first_ip: 172.30.1.1", "first_ip: 10.0.0.1"), "network.first_ip: 10.0.0.1"),
    ("port out of range", GOOD.replace("apiserver: 8080", "apiserver: 80800"), "ports.apiserver: 80800"),
    ("port clash", GOOD.replace("etcd_peer: 2380", "etcd_peer: 2379"), "ports.etcd_peer: 2379 is already used"),
    ("even etcd", GOOD.replace("  - {name: etcd-2, role: etcd}\n", ""), "odd number of etcd nodes"),
    ("even masters", GOOD.replace("  - {name: mesos-master-2, role: mesos-master}\n", ""),
     "odd number of mesos-master nodes"),
    ("duplicate node", GOOD.replace("name: etcd-1,", "name: etcd-0,"), "nodes[1].name: 'etcd-0' is already used"),
    ("node name not a hostname", GOOD.replace("name: etcd-1,", "name: Etcd_1,"), "nodes[1].name: 'Etcd_1'"),
    ("unknown role", GOOD.replace("name: etcd-1, role: etcd", "name: etcd-1, role: database"), "nodes[1].role"),
    ("ip outside subnet", GOOD.replace("name: etcd-1, role: etcd}", "name: etcd-1, role: etcd, ip: 10.1.1.1}"),
     "nodes[1].ip: 10.1.1.1 is outside network.subnet"),
    ("duplicate ip", GOOD.replace("name: etcd-1, role: etcd}", "name: etcd-1, role: etcd, ip: 172.30.1.1}"),
     "nodes[1].ip: 172.30.1.1 is already used by nodes[0]"),
    ("published port clash", GOOD.replace("publish: [8080]", "publish: [5050]"), "host port 5050 is already published"),
    ("publish not a list", GOOD.replace("publish: [8080]", "publish: 8080"), "nodes[6].publish: must be a list"),
    ("enabled not a boolean", GOOD.replace("enabled: false", "enabled: maybe"), "nodes[11].enabled"),
    ("bad image prefix", GOOD.replace("prefix: k8sm/", "prefix: K8SM"), "images.prefix: 'K8SM'"),
    ("bad mesos version", GOOD + "\nmesos: {version: 'latest; rm -rf /'}\n", "mesos.version"),
    ("bad kubernetes ref", GOOD + "\nkubernetes: {ref: '$(reboot)'}\n", "kubernetes.ref: '$(reboot)' is not a git ref"),
    ("cluster dns outside range", GOOD + "\nkubernetes: {cluster_dns: 10.99.0.1}\n", "kubernetes.cluster_dns"),
    ("bad timeout", GOOD + "\ntimeouts: {etcd: -1}\n", "timeouts.etcd: -1 is not between 1 and 3600"),
    ("bad ssh address", GOOD.replace("hosts: {}", "hosts: {box: {address: 'root@x;reboot'}}"), "hosts.box.address"),
]


@pytest.mark.parametrize(("case", "text", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_hosts_yaml_gives_one_line_naming_the_key(case, text, expected, tmp_path):
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(text)
    run = invoke("status", hosts=hosts)
    assert run.code == 1, str(run)
    assert "Traceback" not in run.stderr + run.stdout
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert run.stderr.startswith(f"k8sm: {hosts}: ") and expected in run.stderr, run.stderr


def test_there_are_at_least_twenty_variants():
    assert len(MALFORMED) >= 20


@pytest.mark.parametrize("args", [
    ("etcd", "--status", "--node", "etcd-0; touch {pwned}"),
    ("etcd", "--start", "--node", "etcd-0", "--name", "$(touch {pwned})"),
    ("etcd", "--start", "--token", "`touch {pwned}`"),
    ("etcd", "--start", "--initial-cluster", "a=http://1.2.3.4:2380;touch {pwned}"),
    ("mesos.master", "--start", "--zk", "zk://h:1/p && touch {pwned}"),
    ("mesos.master", "--start", "--quorum", "1; touch {pwned}"),
    ("logs", "etcd-0 | touch {pwned}"),
    ("proxy", "--mesos-name", "m.example.org; touch {pwned}"),
])
def test_shell_metacharacters_are_rejected_and_never_run(args, tmp_path):
    pwned = tmp_path / "pwned"
    run = invoke(*[a.format(pwned=pwned) for a in args], hosts=ROOT / "hosts.yaml")
    assert run.code == 1 and "Traceback" not in run.stderr, str(run)
    assert len(run.stderr.strip().splitlines()) == 1
    assert not Path(pwned).exists()


def test_a_metacharacter_path_is_passed_literally(tmp_path):
    pwned = tmp_path / "pwned"
    tarball = f"/nonexistent/x; touch {pwned}"
    run = invoke("build.mesos", "--tarball", tarball, hosts=ROOT / "hosts.yaml", env={"DOCKER_HOST": "unix:///nonexistent"})
    assert run.code == 1 and "Traceback" not in run.stderr
    assert not pwned.exists()
