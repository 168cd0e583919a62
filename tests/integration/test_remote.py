"""Remote mode for real: `k8sm -H` through a real sshd on 127.0.0.1, and every SSH failure.

The sshd and its keys live in a temp directory; the user's ~/.ssh is never
read or written (the client ssh_config passed with -S names its own
known_hosts file). The "remote" engine is this machine's engine, reached
only through SSH and `docker system dial-stdio`.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.cli import ROOT
from tests.integration.conftest import BASE_IMAGE, image_prefix, succeeded
from tests.sshd import Sshd, free_port, keygen

REMOTE_NODES = """
  - {name: etcd-0, role: etcd}
  - {name: etcd-1, role: etcd}
  - {name: etcd-2, role: etcd}
  - {name: mesos-master-0, role: mesos-master}
  - {name: kubernetes-mesos, role: framework}
"""
REMOTE_PREFIX = image_prefix("remote")


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """The lab's sshd, on 127.0.0.1 and, where the machine has it, on [::1] too."""
    server = Sshd(tmp_path_factory.mktemp("sshd"), ipv6=ipv6_loopback()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def remote_lab(sshd, make_lab, built, engine):
    """A lab built, run and started entirely through `k8sm -H`; its images are its own."""
    lab = make_lab(REMOTE_NODES, images=f"{{base: {BASE_IMAGE}, prefix: {REMOTE_PREFIX}}}")
    via = sshd.k8sm_args()
    lab.build_run = succeeded(lab.k8sm(*via, "build", "--image", "etcd", "--image", "mesos-master",
                                       "--image", "framework", timeout=1800))
    lab.run_run = succeeded(lab.k8sm(*via, "run"))
    lab.etcd_run = succeeded(lab.k8sm(*via, "etcd", "--start", timeout=180))
    lab.zk_run = succeeded(lab.k8sm(*via, "mesos.zk", "--start", timeout=180))
    yield lab
    lab.k8sm(*via, "rm", "--volumes", "--images")
    for name in ("node", "etcd", "mesos-master", "framework"):
        try:
            engine.remove_image(f"{REMOTE_PREFIX}{name}:latest", force=True)
        except Exception:  # noqa: BLE001 - already gone is fine
            pass


def one_line_error(run, within: float) -> str:
    assert run.code in (1, 32), str(run)  # 32: status's code for a host or engine it cannot reach
    assert "Traceback" not in run.stderr + run.stdout, str(run)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, str(run)
    assert run.seconds < within, f"took {run.seconds:.1f}s: {run}"
    return lines[0]


def test_build_through_ssh_puts_images_on_the_remote_engine(remote_lab, engine):
    out = remote_lab.build_run.stdout  # built there, or tagged there from an image of the same inputs
    assert f"[etcd] building {REMOTE_PREFIX}etcd:latest" in out or f"[etcd] {REMOTE_PREFIX}etcd:latest: the same" in out
    for name in ("node", "etcd", "mesos-master", "framework"):
        assert engine.inspect_image(f"{REMOTE_PREFIX}{name}:latest")["Config"]["Labels"]["io.k8sm.image"] == name


def test_run_through_ssh_creates_the_lab(remote_lab):
    assert f"lab {remote_lab.name}: 5 created" in remote_lab.run_run.stdout
    assert "root@127.0.0.1:" in remote_lab.run_run.stdout  # says where it runs
    assert {c["Labels"]["io.k8sm.node"] for c in remote_lab.containers() if c["State"] == "running"} == {
        "etcd-0", "etcd-1", "etcd-2", "mesos-master-0", "kubernetes-mesos"}


def test_etcd_and_zookeeper_come_up_through_ssh(remote_lab, sshd):
    assert "etcd: 3/3 healthy" in remote_lab.etcd_run.stdout
    assert "ZooKeeper: 1/1 healthy" in remote_lab.zk_run.stdout
    code, out = remote_lab.exec("etcd-1", "etcdctl", "--endpoints=http://127.0.0.1:2379", "endpoint", "health")
    assert code == 0 and "is healthy" in out


def test_status_through_ssh_matches_local(remote_lab, sshd):
    remote = succeeded(remote_lab.k8sm(*sshd.k8sm_args(), "status"))
    local = succeeded(remote_lab.invoke("status"))
    assert remote.stdout == local.stdout
    assert "etcd: healthy (leader)" in remote.stdout and "zookeeper: healthy (standalone)" in remote.stdout


def json_states(run) -> dict[tuple[str, str], dict]:
    return {(n["name"], d["name"]): d for n in json.loads(run.stdout)["nodes"] for d in n["daemons"]}


def test_status_through_ssh_asks_the_daemons_over_tcp_channels(remote_lab, sshd):
    states = json_states(succeeded(remote_lab.k8sm(*sshd.k8sm_args(), "status", "--json")))
    assert {states[(f"etcd-{i}", "etcd")]["via"] for i in range(3)} == {"network"}
    assert states[("mesos-master-0", "zookeeper")]["via"] == "network"
    assert {d["state"] for d in states.values()} == {"healthy", "not installed"}


def test_status_through_a_server_that_forwards_nothing_is_the_same(remote_lab, sshd, tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd-nofwd"), extra="AllowTcpForwarding no").start()
    try:
        usual = succeeded(remote_lab.k8sm(*sshd.k8sm_args(), "status"))
        refused = succeeded(remote_lab.k8sm(*server.k8sm_args(), "status"))
        assert refused.stdout == usual.stdout
        states = json_states(succeeded(remote_lab.k8sm(*server.k8sm_args(), "status", "--json")))
        assert states[("etcd-0", "etcd")]["via"] == "exec"  # asked in the containers instead
    finally:
        server.stop()


def test_status_through_ssh_needs_one_session(remote_lab, sshd, tmp_path_factory):
    # MaxSessions 1: the docker CLI's check of the container list; the list itself comes through the
    # engine's socket, the daemons' answers through TCP channels, neither of them a session
    server = Sshd(tmp_path_factory.mktemp("sshd-onesession"), extra="MaxSessions 1").start()
    try:
        usual = succeeded(remote_lab.k8sm(*sshd.k8sm_args(), "status"))
        assert succeeded(remote_lab.k8sm(*server.k8sm_args(), "status")).stdout == usual.stdout
    finally:
        server.stop()


def test_status_through_a_server_that_forwards_no_socket_is_the_same(remote_lab, sshd, tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd-nostreamlocal"), extra="AllowStreamLocalForwarding no").start()
    try:
        usual = succeeded(remote_lab.k8sm(*sshd.k8sm_args(), "status"))
        assert succeeded(remote_lab.k8sm(*server.k8sm_args(), "status")).stdout == usual.stdout  # by the SDK
    finally:
        server.stop()


def test_second_run_through_ssh_creates_nothing(remote_lab, sshd):
    run = succeeded(remote_lab.k8sm(*sshd.k8sm_args(), "run"))
    assert "nothing to do" in run.stdout


def test_kill_through_ssh_hits_only_that_member(remote_lab, sshd):
    via = sshd.k8sm_args()
    succeeded(remote_lab.k8sm(*via, "etcd", "--kill", "--node", "etcd-2"))
    run = remote_lab.k8sm(*via, "etcd", "--status")
    assert run.code == 3
    rows = {line.split()[0]: line for line in run.stdout.splitlines()[1:]}
    assert "stopped" in rows["etcd-2"] and "healthy" in rows["etcd-0"] and "healthy" in rows["etcd-1"]
    succeeded(remote_lab.k8sm(*via, "etcd", "--start", "--node", "etcd-2"))


def test_named_host_from_hosts_yaml(remote_lab, sshd):
    remote_lab.write(hosts=f"{{box: {{address: '{sshd.address}'}}}}")
    try:
        run = succeeded(remote_lab.k8sm("-S", str(sshd.ssh_config), "-i", str(sshd.client_key), "-H", "box", "status"))
        assert "etcd-0" in run.stdout
    finally:
        remote_lab.write()


def test_without_h_k8sm_runs_locally_like_invoke(remote_lab):
    assert succeeded(remote_lab.k8sm("status")).stdout == succeeded(remote_lab.invoke("status")).stdout


def test_several_hosts_each_get_a_summary(remote_lab, sshd):
    closed = f"root@127.0.0.1:{free_port()}"
    run = remote_lab.k8sm("-S", str(sshd.ssh_config), "-i", str(sshd.client_key), "-H", f"{sshd.address},{closed}",
                          "status")
    assert run.code == 1, str(run)
    assert "Traceback" not in run.stderr
    summary = run.stdout.split("SUMMARY", 1)[1].splitlines()
    assert any(line.split() == [sshd.address, "ok"] for line in summary), run.stdout
    assert any(line.strip().startswith(f"{closed}  failed: ") and "refused" in line for line in summary), run.stdout
    assert f"=== {sshd.address} ===" in run.stdout and "etcd-0" in run.stdout


# ------------------------------------------------------------- SSH failures


def test_closed_port_is_refused_quickly(remote_lab, sshd):
    port = free_port()
    run = remote_lab.k8sm("-S", str(sshd.ssh_config), "-i", str(sshd.client_key), "-H", f"root@127.0.0.1:{port}",
                          "status")
    assert one_line_error(run, within=10) == (f"k8sm: 127.0.0.1:{port} refused the SSH connection; "
                                              "check the host and port, and that sshd runs there")


def test_wrong_key_fails_authentication(remote_lab, sshd, tmp_path):
    stranger = keygen(tmp_path / "stranger")
    run = remote_lab.k8sm("-S", str(sshd.ssh_config), "-i", str(stranger), "-H", sshd.address, "status")
    line = one_line_error(run, within=15)
    assert line.startswith(f"k8sm: SSH authentication failed for {sshd.address}; check the key (-i KEY)")


def test_unknown_host_key_is_refused_unless_accepted(remote_lab, sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    config = tmp_path / "ssh_config"
    config.write_text(f"Host 127.0.0.1\n  UserKnownHostsFile {empty}\n  IdentitiesOnly yes\n")
    via = ["-S", str(config), "-i", str(sshd.client_key), "-H", sshd.address]
    line = one_line_error(remote_lab.k8sm(*via, "status"), within=15)
    assert line.startswith(f"k8sm: the host key of 127.0.0.1:{sshd.port} is not in known_hosts; verify it")
    assert "--accept-host-key" in line
    accepted = remote_lab.k8sm("--accept-host-key", *via, "status")
    assert connected(accepted), str(accepted)
    assert empty.read_text() == ""  # accepted for this run only, nothing written


def test_changed_host_key_is_refused(remote_lab, sshd, tmp_path):
    impostor = keygen(tmp_path / "impostor_host_key")
    known = tmp_path / "known_hosts"
    known.write_text(sshd.host_key_line(impostor))
    config = tmp_path / "ssh_config"
    config.write_text(f"Host 127.0.0.1\n  UserKnownHostsFile {known}\n  IdentitiesOnly yes\n")
    run = remote_lab.k8sm("--accept-host-key", "-S", str(config), "-i", str(sshd.client_key), "-H", sshd.address,
                          "status")
    line = one_line_error(run, within=15)
    assert line.startswith(f"k8sm: the host key of 127.0.0.1:{sshd.port} has CHANGED")
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd.port}'" in line


def test_silent_host_times_out_within_the_connect_timeout(remote_lab, sshd):
    with socket.socket() as silent:  # accepts TCP, never says a word of SSH
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        held = []
        stop = threading.Event()

        def accept_and_hold():
            silent.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(silent.accept()[0])
                except OSError:
                    pass

        thread = threading.Thread(target=accept_and_hold, daemon=True)
        thread.start()
        try:
            run = remote_lab.k8sm("-t", "2", "-S", str(sshd.ssh_config), "-i", str(sshd.client_key),
                                  "-H", f"root@127.0.0.1:{port}", "status")
        finally:
            stop.set()
            thread.join()
            for conn in held:
                conn.close()
    line = one_line_error(run, within=8)
    assert line == (f"k8sm: 127.0.0.1:{port} did not answer within 2s; check that the host is up and reachable "
                    "(raise the limit with -t SECONDS)")


@pytest.fixture(scope="module")
def sshd_without_engine(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd-noengine"),
                  extra="SetEnv DOCKER_HOST=unix:///nonexistent/k8sm-no-engine.sock").start()
    yield server
    server.stop()


def test_no_docker_engine_on_the_remote(remote_lab, sshd_without_engine):
    server = sshd_without_engine
    run = remote_lab.k8sm(*server.k8sm_args(), "status")
    line = one_line_error(run, within=20)
    assert line == (f"k8sm: no Docker engine is running on {server.address}; "
                    "start it there (`systemctl start docker`)")


@pytest.fixture(scope="module")
def user_without_docker(sshd):
    if os.geteuid() != 0:
        pytest.skip("creating a test user needs root")
    name = f"k8smt{secrets.token_hex(3)}"
    # "*": no password, yet not locked (sshd refuses locked accounts to key logins too)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", "--password", "*", name], check=True)
    try:
        assert name not in subprocess.run(["id", "-nG", name], capture_output=True, text=True).stdout.split()[1:]
        sshd.authorize(name, sshd.client_key)
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)


def test_user_without_access_to_the_docker_socket(remote_lab, sshd, user_without_docker):
    user = user_without_docker
    assert pwd.getpwnam(user)
    run = remote_lab.k8sm(*sshd.k8sm_args(f"{user}@127.0.0.1:{sshd.port}"), "status")
    line = one_line_error(run, within=20)
    assert line == (f"k8sm: permission denied on the Docker socket of {user}@127.0.0.1:{sshd.port}; "
                    f"add {user} to the 'docker' group there (usermod -aG docker {user}) or connect as root")


def test_doctor_and_up_through_ssh(remote_lab, sshd):
    via = sshd.k8sm_args()
    run = succeeded(remote_lab.k8sm(*via, "doctor"))
    assert f"on {sshd.address}" in run.stdout.splitlines()[0]
    run = succeeded(remote_lab.k8sm(*via, "up", timeout=600))
    assert f"lab {remote_lab.name}: up" in run.stdout


# ------------------------------------------------------------- every hop verified


@pytest.fixture(scope="module")
def jump_sshd(sshd, tmp_path_factory):
    """A second sshd on 127.0.0.1, the jump host to the lab's sshd; it lets the lab's client key in."""
    server = Sshd(tmp_path_factory.mktemp("sshd-jump")).start()
    server.authorize("root", sshd.client_key)
    yield server
    server.stop()


def client_config(directory, known_lines, *, jump=None, target=None, user_files=None, global_files=None):
    """An ssh_config (and its known_hosts) in directory; with jump: host `lab-target` through ProxyJump."""
    known = directory / "known_hosts"
    known.write_text("".join(known_lines))
    user = " ".join(str(f) for f in user_files) if user_files else str(known)
    lines = []
    if jump is not None:
        lines += ["Host lab-target", "  HostName 127.0.0.1", f"  Port {target.port}", "  User root",
                  f"  ProxyJump root@127.0.0.1:{jump.port}"]
    lines += ["Host *", f"  UserKnownHostsFile {user}", "  IdentitiesOnly yes"]
    if global_files:
        lines.append(f"  GlobalKnownHostsFile {' '.join(str(f) for f in global_files)}")
    config = directory / "ssh_config"
    config.write_text("\n".join(lines) + "\n")
    return config


def connected(run) -> bool:
    """Whether `status` reached the lab's engine (its table; its exit code is the lab's health), not a refusal."""
    return run.code not in (1, 32) and "NODE" in run.stdout and "etcd-0" in run.stdout and "Traceback" not in run.stderr


def test_through_a_jump_host_whose_key_is_known(remote_lab, sshd, jump_sshd, tmp_path):
    config = client_config(tmp_path, [sshd.host_key_line(), jump_sshd.host_key_line()], jump=jump_sshd, target=sshd)
    run = remote_lab.k8sm("-S", str(config), "-i", str(sshd.client_key), "-H", "lab-target", "status")
    assert connected(run), str(run)
    assert run.stderr == ""


def test_the_connection_really_goes_through_the_jump_host(remote_lab, sshd, tmp_path_factory, tmp_path):
    closed = Sshd(tmp_path_factory.mktemp("sshd-noforward"), extra="AllowTcpForwarding no").start()
    try:
        closed.authorize("root", sshd.client_key)
        config = client_config(tmp_path, [sshd.host_key_line(), closed.host_key_line()], jump=closed, target=sshd)
        run = remote_lab.k8sm("-S", str(config), "-i", str(sshd.client_key), "-H", "lab-target", "status")
    finally:
        closed.stop()
    line = one_line_error(run, within=20)
    assert line.startswith(f"k8sm: the jump host root@127.0.0.1:{closed.port} could not connect to "
                           f"127.0.0.1:{sshd.port}"), line


@pytest.mark.parametrize(("case", "accept", "refusal"), [
    ("unknown", False, "is not in known_hosts"),
    ("changed", True, "has CHANGED since it was recorded in known_hosts"),
    ("revoked", True, "is marked as REVOKED in known_hosts"),
])
def test_the_jump_host_key_is_checked_like_the_final_one(remote_lab, sshd, jump_sshd, tmp_path, case, accept,
                                                          refusal):
    jump_lines = {"unknown": [],
                  "changed": [jump_sshd.host_key_line(keygen(tmp_path / "impostor"))],
                  "revoked": [jump_sshd.host_key_line(), jump_sshd.host_key_line(marker="@revoked")]}[case]
    config = client_config(tmp_path, [sshd.host_key_line(), *jump_lines], jump=jump_sshd, target=sshd)
    flags = ["--accept-host-key"] if accept else []
    run = remote_lab.k8sm(*flags, "-S", str(config), "-i", str(sshd.client_key), "-H", "lab-target", "status")
    line = one_line_error(run, within=20)
    assert line.startswith(f"k8sm: the host key of 127.0.0.1:{jump_sshd.port} (the jump host to "
                           f"root@127.0.0.1:{sshd.port}) {refusal}"), line


def test_accept_host_key_applies_to_every_hop_of_the_run(remote_lab, sshd, jump_sshd, tmp_path):
    config = client_config(tmp_path, [], jump=jump_sshd, target=sshd)
    via = ["-S", str(config), "-i", str(sshd.client_key), "-H", "lab-target"]
    line = one_line_error(remote_lab.k8sm(*via, "status"), within=20)
    assert f"127.0.0.1:{jump_sshd.port} (the jump host" in line and "is not in known_hosts" in line
    assert connected(remote_lab.k8sm("--accept-host-key", *via, "status"))
    assert (tmp_path / "known_hosts").read_text() == ""  # for that run only: nothing written


# ------------------------------------------------------------- known_hosts as ssh reads it


def test_markers_and_every_known_hosts_file_are_read(remote_lab, sshd, tmp_path):
    other = keygen(tmp_path / "other_host_key")
    empty, spare = tmp_path / "empty", tmp_path / "spare"
    empty.write_text("")
    spare.write_text(f"@cert-authority *.example.org {(other.with_suffix('.pub')).read_text().strip()}\n"
                     + sshd.host_key_line(other, marker="@revoked"))
    global_file = tmp_path / "global"
    global_file.write_text(sshd.host_key_line())  # the one that lets us in: the last file read
    config = client_config(tmp_path, [], user_files=[empty, spare], global_files=[tmp_path / "missing", global_file])
    run = remote_lab.k8sm("-S", str(config), "-i", str(sshd.client_key), "-H", sshd.address, "status")
    assert connected(run), str(run)
    assert run.stderr.strip() == ("k8sm: note: 1 @cert-authority line(s) in known_hosts skipped: host certificates "
                                  "are not supported, hosts are checked by their plain keys")


def test_a_revoked_host_key_is_refused(remote_lab, sshd, tmp_path):
    config = client_config(tmp_path, [sshd.host_key_line(), sshd.host_key_line(marker="@revoked")])
    run = remote_lab.k8sm("--accept-host-key", "-S", str(config), "-i", str(sshd.client_key), "-H", sshd.address,
                          "status")
    line = one_line_error(run, within=15)
    assert line.startswith(f"k8sm: the host key of 127.0.0.1:{sshd.port} is marked as REVOKED in known_hosts "
                           f"({tmp_path / 'known_hosts'}:2)"), line


# ------------------------------------------------------------- IPv6, aliases


def test_bracketed_ipv6_with_a_port(remote_lab, sshd):
    if "::1" not in sshd.listen:
        pytest.skip("no IPv6 loopback on this machine (the parsing is covered by the unit tests)")
    run = remote_lab.k8sm(*sshd.k8sm_args(sshd.address6), "status")
    assert connected(run), str(run)
    remote_lab.write(hosts=f"{{box6: {{address: '{sshd.address6}'}}}}")
    try:
        named = remote_lab.k8sm(*sshd.k8sm_args("box6"), "status")
    finally:
        remote_lab.write()
    assert connected(named) and named.stdout == run.stdout, str(named)


def test_two_names_of_one_engine_are_refused(remote_lab, sshd, jump_sshd, tmp_path):
    config = client_config(tmp_path, [sshd.host_key_line(), jump_sshd.host_key_line()])
    run = remote_lab.k8sm("-S", str(config), "-i", str(sshd.client_key), "-H", f"{sshd.address},{jump_sshd.address}",
                          "run")
    line = one_line_error(run, within=30)
    assert line.startswith(f"k8sm: {sshd.address} and {jump_sshd.address} reach the same Docker engine (ID "), line
    assert "===" not in run.stdout  # refused before anything ran


# ------------------------------------------------------------- keys and secrets


@pytest.fixture(scope="module")
def encrypted_key(sshd, tmp_path_factory):
    key = tmp_path_factory.mktemp("enc-key") / "id_encrypted"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", PASSPHRASE, "-f", str(key)], check=True)
    sshd.authorize("root", key)
    return key


PASSPHRASE = "Tr1cky pass-phrase $(id)"


def test_an_encrypted_key_without_a_passphrase_names_the_option(remote_lab, sshd, encrypted_key):
    run = remote_lab.k8sm("-S", str(sshd.ssh_config), "-i", str(encrypted_key), "-H", sshd.address, "status")
    line = one_line_error(run, within=15)
    assert line == (f"k8sm: the SSH key {encrypted_key} is encrypted and no passphrase was given; "
                    "pass --prompt-for-passphrase to be asked for it, or load the key into ssh-agent")


def run_in_terminal(argv, answers, timeout=120):
    """argv on a pseudo-terminal, typing answers[prompt] at each prompt; (exit code, everything it printed)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the program
        try:
            os.chdir(ROOT)
            os.execvpe(argv[0], argv, {k: v for k, v in os.environ.items() if k != "K8SM_DEBUG"})
        finally:
            os._exit(127)
    output, pending = b"", dict(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
        for prompt in [p for p in pending if p.encode() in output]:
            os.write(fd, pending.pop(prompt).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")


def test_debug_output_shows_no_secret(remote_lab, sshd, encrypted_key):
    argv = [sys.executable, "-m", "k8sm", "-d", "--prompt-for-passphrase", "--prompt-for-login-password",
            "-S", str(sshd.ssh_config), "-i", str(encrypted_key), "-H", sshd.address, "status"]
    password = "L0gin-Passw0rd"
    with _hosts_env(remote_lab):
        code, output = run_in_terminal(argv, {"Enter login password": password, "Enter passphrase": PASSPHRASE})
    assert code not in (1, 32) and "etcd-0" in output, output[-3000:]
    assert len(output.splitlines()) > 50  # -d did print its log
    private_lines = [line for line in encrypted_key.read_text().splitlines() if "-----" not in line]
    for secret in (PASSPHRASE, password, *private_lines):
        assert secret not in output
    assert "'passphrase': '***'" in output  # the config dump is there, without the value


class _hosts_env:
    """K8SM_HOSTS pointing at the test lab, for a command run outside tests.cli."""

    def __init__(self, lab):
        self.lab = lab

    def __enter__(self):
        self.old = os.environ.get("K8SM_HOSTS")
        os.environ["K8SM_HOSTS"] = str(self.lab.hosts)

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("K8SM_HOSTS", None)
        else:
            os.environ["K8SM_HOSTS"] = self.old


# ------------------------------------------------------------- logs --follow and Ctrl-C


def follow_then_ctrl_c(lab, argv):
    """Start `logs --follow`, wait for its first output, press Ctrl-C once; (exit code, seconds to end)."""
    import select
    import time

    env = {k: v for k, v in os.environ.items() if k != "K8SM_DEBUG"}
    env["K8SM_HOSTS"] = str(lab.hosts)
    proc = subprocess.Popen([sys.executable, "-m", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert select.select([proc.stdout], [], [], 60)[0], "no output from logs --follow within 60s"
        assert proc.stdout.read1(4096), proc.stderr.read().decode()
        pressed = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends on Ctrl-C: to the foreground group
        code = proc.wait(timeout=20)
        return code, time.monotonic() - pressed
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def tails_left(lab, engine, node="etcd-0") -> list[str]:
    """tail -F processes in the container, and host processes exec'ing into it or dialing the engine for it."""
    inside = [" ".join(p) for p in engine.top(lab.container(node))["Processes"] if "tail" in " ".join(p)]
    outside = []
    for pid in os.listdir("/proc"):
        try:
            cmdline = (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if lab.container(node) in cmdline and "tail" in cmdline:
            outside.append(cmdline)
    return inside + outside


@pytest.mark.parametrize("remote", [False, True], ids=["local", "ssh"])
def test_follow_ends_at_the_first_ctrl_c_and_leaves_nothing_running(remote_lab, sshd, engine, remote):
    import time

    program = ["k8sm", *sshd.k8sm_args()] if remote else ["invoke"]
    code, seconds = follow_then_ctrl_c(remote_lab, [*program, "logs", "etcd-0", "--daemon", "etcd", "--follow"])
    assert code == 0 and seconds < 10, (code, seconds)
    deadline = time.monotonic() + 10
    while (left := tails_left(remote_lab, engine)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []
    if remote:  # nothing left under our sshd either (`docker exec`, `docker system dial-stdio`)
        while (under := descendants(sshd.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert under == []


def descendants(pid: int) -> list[str]:
    """The command lines of every process below pid."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        try:
            stat = (Path("/proc") / entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.isdigit():
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        todo += children.get(child, [])
        try:
            found.append((Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


# ------------------------------------------------------------- sshd's MaxSessions


@pytest.mark.parametrize("limit", [1, 2])
def test_a_server_with_few_sessions_works_or_names_its_limit(remote_lab, sshd, tmp_path_factory, limit):
    server = Sshd(tmp_path_factory.mktemp(f"sshd-max{limit}"), extra=f"MaxSessions {limit}").start()
    try:
        for task in (["status"], ["run"], ["up"]):
            usual = remote_lab.k8sm(*sshd.k8sm_args(), *task, timeout=600)
            limited = remote_lab.k8sm(*server.k8sm_args(), *task, timeout=600)
            everything = limited.stdout + limited.stderr
            for wrong in ("ChannelException", "Docker engine error", "Traceback"):
                assert wrong not in everything, str(limited)
            if "MaxSessions" in limited.stderr:
                assert "MaxSessions" in one_line_error(limited, within=600)
            else:  # a working run: what the same command gives through an sshd with the default limit
                assert limited.code == usual.code, f"{usual}\n{limited}"
    finally:
        server.stop()
