"""Drills on bad input through the real command line: one line naming the problem, no traceback, nothing run."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli import ROOT, invoke, k8sm

GOOD = (ROOT / "hosts.yaml").read_text()


def with_section(text: str, section: str) -> str:
    """text with its top-level section of the same key replaced by `section` (one line), appended last."""
    key = section.split(":", 1)[0]
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(f"{key}:"):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace() and not line.startswith("#"):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept) + "\n" + section + "\n"

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
    ("bad mesos version", with_section(GOOD, "mesos: {version: 'latest; rm -rf /'}"), "mesos.version"),
    ("bad kubernetes ref", with_section(GOOD, "kubernetes: {ref: '$(reboot)'}"),
     "kubernetes.ref: '$(reboot)' is not a git ref"),
    ("cluster dns outside range", with_section(GOOD, "kubernetes: {cluster_dns: 10.99.0.1}"), "kubernetes.cluster_dns"),
    ("bad timeout", GOOD + "\ntimeouts: {etcd: -1}\n", "timeouts.etcd: -1 is not between 1 and 3600"),
    ("bad ssh address", GOOD.replace("hosts: {}", "hosts: {box: {address: 'root@x;reboot'}}"), "hosts.box.address"),
    ("stray dash in nodes", GOOD + "  -\n", "nodes[12]: is empty (a stray '-'?)"),
    ("null in publish", GOOD.replace("publish: [8080]", "publish: [8080, null]"), "nodes[6].publish[1]: is empty"),
    ("non-ASCII digits in a port", GOOD.replace("publish: [5050]", "publish: ['\u0664\u0665\u0660\u0665\u0660:5050']"),
     "nodes[3].publish[0]: '\u0664\u0665\u0660\u0665\u0660:5050' is not a port"),
    ("trailing newline in a token", GOOD.replace("cluster_token: k8sm-etcd-cluster", 'cluster_token: "tok\\n"'),
     "etcd.cluster_token: 'tok\\n' is not a token"),
    ("trailing newline in a network name", GOOD.replace("  name: k8sm\n  subnet", '  name: "k8sm\\n"\n  subnet'),
     "network.name: 'k8sm\\n' is not a valid network name"),
    ("empty node list", "nodes: []\n", "nodes: must be a non-empty list, and it is empty"),
    ("merge of a scalar", GOOD.replace("{name: etcd-1, role: etcd}", "{<<: 1, name: etcd-1, role: etcd}"),
     "expected a mapping or list of mappings for merging"),
    ("recursive alias", GOOD.replace("hosts: {}", "hosts: &h {x: *h}"), "alias *h is inside the value it names"),
    ("impossible date", GOOD.replace("tag: latest", "tag: 2024-02-30"), "cannot read this value: day is out of range"),
    ("deep nesting", GOOD.replace("hosts: {}", "hosts: " + "[" * 3000 + "]" * 3000), "nested more than 32 levels"),
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


# ------------------------------------------------- files that are not hosts files: one line, quickly, nothing run

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # a task that got past loading fails differently

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


def _write(text: str | bytes) -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        path = directory / "hosts.yaml"
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    return make


def _loop(directory: Path) -> Path:
    (directory / "a").symlink_to(directory / "b")
    (directory / "b").symlink_to(directory / "a")
    return directory / "a"


def _fifo(directory: Path) -> Path:
    os.mkfifo(directory / "hosts.yaml")
    return directory / "hosts.yaml"


def _dangling(directory: Path) -> Path:
    (directory / "hosts.yaml").symlink_to(directory / "gone.yaml")
    return directory / "hosts.yaml"


#: (description, makes the file in a directory and returns its path, what the one line must contain)
BAD_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("latin-1", _write(GOOD.replace("k8sm-etcd-cluster", "caf\xe9").encode("latin-1")), "is not UTF-8 text (byte 0xe9"),
    ("UTF-16", _write(GOOD.encode("utf-16")), "is UTF-16 text, not UTF-8"),
    ("UTF-16 without BOM", _write(GOOD.encode("utf-16-le")), "is not UTF-8 text (a NUL byte at offset 1"),
    ("binary junk", _write(bytes(range(256)) * 64), "is not UTF-8 text"),
    ("nested 3000 deep", _write("nodes: " + "[" * 3000 + "]" * 3000 + "\n"), "nested more than 32 levels deep"),
    ("block nesting 1000 deep", _write("".join(" " * i + "-\n" for i in range(1000))), "nested more than 32 levels"),
    ("symlink loop", _loop, "cannot read it: a symbolic link loop"),
    ("dangling symlink", _dangling, "is a symbolic link to a missing file"),
    ("FIFO", _fifo, "is a FIFO (named pipe), not a file"),
    ("directory", lambda d: d, "is a directory, not a file"),
    ("character device", lambda d: Path("/dev/zero"), "is a character device, not a file"),
    ("missing", lambda d: d / "nope.yaml", "file not found"),
    ("alias bomb in a value", _write(BOMB + GOOD.replace("name: etcd-0,", "name: *i,")), "an alias bomb?"),
    ("2 MB node name", _write(GOOD.replace("name: etcd-0,", f"name: {'a' * 2_000_000},")), "is larger than 1 MiB"),
    ("500 KB node name", _write(GOOD.replace("name: etcd-0,", f"name: {'a' * 500_000},")),
     "nodes[0].name: 'aaaaaaaaaa"),
]


#: The same through the k8sm program (Fabric's), for the cases that hung or flooded.
K8SM_CASES = ("FIFO", "symlink loop", "alias bomb in a value", "nested 3000 deep")


RUNS = [(invoke, *b) for b in BAD_FILES] + [(k8sm, *b) for b in BAD_FILES if b[0] in K8SM_CASES]


@pytest.mark.parametrize(("program", "case", "make", "expected"), RUNS,
                         ids=[f"{r[0].__name__}-{r[1]}" for r in RUNS])
def test_a_bad_hosts_file_is_one_bounded_line_before_any_engine_call(program, case, make, expected, tmp_path):
    hosts = make(tmp_path)
    run = program("status", hosts=hosts, env=NO_ENGINE, timeout=30)
    assert run.code == 1, str(run)[:2000]
    assert "Traceback" not in run.stderr + run.stdout
    assert len(run.stderr.strip().splitlines()) == 1 and len(run.stderr) < 500, run.stderr[:2000]
    assert run.stderr.startswith(f"k8sm: {hosts}: ") and expected in run.stderr, run.stderr
    assert run.seconds < 10, run.seconds


def test_a_merge_key_loads(tmp_path):
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text(GOOD.replace("{name: etcd-1, role: etcd}", "&e {name: etcd-1, role: etcd}")
                     .replace("{name: etcd-2, role: etcd}", "{<<: *e, name: etcd-2}"))
    run = invoke("status", hosts=hosts, env=NO_ENGINE)
    assert "cannot reach the Docker engine" in run.stderr and "hosts.yaml" not in run.stderr, str(run)


def test_logs_export_to_an_existing_file_is_one_line(tmp_path):
    existing = tmp_path / "bundle"
    existing.write_text("keep me\n")
    for path, expected in ((existing, f"k8sm: {existing} exists and is not a directory"),
                           (existing / "sub", f"k8sm: cannot make the directory {existing / 'sub'}: {existing} is not")):
        run = invoke("logs.export", str(path), hosts=ROOT / "hosts.yaml", env=NO_ENGINE)
        assert run.code == 1 and "Traceback" not in run.stderr, str(run)
        assert len(run.stderr.strip().splitlines()) == 1 and run.stderr.startswith(expected), run.stderr
    assert existing.read_text() == "keep me\n"


# ------------------------------------------------------------------------------------------------ messages


def test_rm_counts_in_the_singular_and_the_plural():
    from k8sm import topology
    from k8sm.lab import Removal, describe_removal

    lab = topology.load(ROOT / "hosts.yaml")
    done = Removal(containers=["etcd-0"], networks=["k8sm"], volumes=["a", "b"], images=[])
    assert describe_removal(done, lab, volumes=True) == "lab k8sm: removed 1 container, 1 network, 0 images, 2 volumes"
    assert describe_removal(Removal(containers=["a", "b"]), lab, volumes=False) == (
        "lab k8sm: removed 2 containers, 0 networks, 0 images")


def test_up_gives_the_hint_of_a_failed_stage_once(monkeypatch):
    from k8sm import topology, up
    from k8sm.daemons import control
    from k8sm.daemons.base import DaemonState
    from k8sm.errors import DaemonError

    lab = topology.load(ROOT / "hosts.yaml")

    def stopped_everywhere(target, lab, wanted):
        return {d.name: [DaemonState(node=n.name, daemon=d.name, running=False) for n in lab.role(d.role)]
                for d in wanted}

    def start(target, lab, daemon, nodes, say, **kwargs):
        raise DaemonError(f"{daemon.title} stopped", f"see the log: docker exec x k8sm-daemon log {daemon.name}")

    monkeypatch.setattr(up, "current_states", stopped_everywhere)
    monkeypatch.setattr(control, "start", start)
    with pytest.raises(DaemonError) as info:
        up.bring_up(None, lab, lambda line: None)
    assert str(info.value).count("see the log") == 1, str(info.value)
    assert str(info.value).endswith(f"; {info.value.hint}") and "more)" in info.value.message
