"""Remote mode for real: `k8sm -H` through a real sshd on 127.0.0.1, and every SSH failure.

The sshd and its keys live in a temp directory; the user's ~/.ssh is never
read or written (the client ssh_config passed with -S names its own
known_hosts file). The "remote" engine is this machine's engine, reached
only through SSH and `docker system dial-stdio`.
"""

from __future__ import annotations

import os
import pwd
import secrets
import socket
import subprocess
import threading

import pytest

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


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
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
    assert run.code == 1, str(run)
    assert "Traceback" not in run.stderr + run.stdout, str(run)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, str(run)
    assert run.seconds < within, f"took {run.seconds:.1f}s: {run}"
    return lines[0]


def test_build_through_ssh_puts_images_on_the_remote_engine(remote_lab, engine):
    assert f"[etcd] building {REMOTE_PREFIX}etcd:latest" in remote_lab.build_run.stdout
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
    assert accepted.code == 0 and "etcd-0" in accepted.stdout, str(accepted)
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
