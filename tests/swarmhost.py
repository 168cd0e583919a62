"""A second "physical host" for the multi-host tests: a container running its own dockerd and sshd.

The container is made from the lab's minion image (which has docker.io) plus
openssh-server, in the capability mode the minions use (no --privileged),
on a Docker network of the test's own. Its sshd takes the test's client key
and shows a host key of the test's own, published on 127.0.0.1 only; its
dockerd is started (and stopped) by exec, by the pid file it writes.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import time
from pathlib import Path

from k8sm.lab import ELEVATED_CAPS, ELEVATED_SECURITY_OPT

#: Label on everything this module creates, with the test session as its value.
LABEL = "io.k8sm.test-swarm"
DOCKERFILE = """\
ARG MINION_IMAGE
FROM ${MINION_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends openssh-server \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd
"""
SSHD_CONFIG = """\
Port 22
HostKey /etc/k8sm-test/host_key
AuthorizedKeysFile /etc/k8sm-test/authorized_keys
PidFile /run/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
LogLevel ERROR
"""
#: Runs the engine in the background, as k8sm-dind does for the minions.
START_DOCKERD = "k8sm-dind --host=unix:///var/run/docker.sock >> /var/log/dockerd.log 2>&1 &"


def build_image(engine, minion_image: str, tag: str, session: str) -> str:
    """The host image: the minion image plus openssh-server."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = DOCKERFILE.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    for chunk in engine.build(fileobj=buf, custom_context=True, tag=tag, buildargs={"MINION_IMAGE": minion_image},
                              labels={LABEL: session}, decode=True, rm=True, forcerm=True):
        if "error" in chunk:
            raise RuntimeError(f"building {tag}: {chunk['error']}")
    return tag


class DockerHost:
    """One host container: `ssh root@127.0.0.1:port` reaches it; its own engine inside."""

    def __init__(self, engine, name: str, image: str, network: str, ip: str, keys: Path, session: str) -> None:
        self.engine, self.name, self.ip, self.keys = engine, name, ip, keys
        self.volume = f"{name}-docker"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "sshd_config").write_text(SSHD_CONFIG)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "host_key")], check=True)
        engine.create_volume(self.volume, labels={LABEL: session})
        host_config = engine.create_host_config(
            binds={self.volume: {"bind": "/var/lib/docker", "mode": "rw"},
                   str(keys): {"bind": "/etc/k8sm-test", "mode": "ro"}},
            port_bindings={22: ("127.0.0.1", None)}, cap_add=list(ELEVATED_CAPS),
            security_opt=list(ELEVATED_SECURITY_OPT), init=True)
        networking = engine.create_networking_config({network: engine.create_endpoint_config(ipv4_address=ip)})
        self.id = engine.create_container(image, ["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/k8sm-test/sshd_config"],
                                          name=name, labels={LABEL: session}, host_config=host_config,
                                          networking_config=networking, ports=[22], detach=True)["Id"]
        engine.start(self.id)
        self.port = int(engine.port(self.id, 22)[0]["HostPort"])

    @property
    def address(self) -> str:
        return f"root@127.0.0.1:{self.port}"

    def authorize(self, public_key: Path) -> None:
        (self.keys / "authorized_keys").write_text(public_key.read_text())

    def known_hosts_line(self) -> str:
        kind, key = (self.keys / "host_key.pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {key}\n"

    def sh(self, script: str, *, stdin: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """sh -c script in the host container (through the real engine's CLI)."""
        argv = ["docker", "exec", *(["-i"] if stdin is not None else []), self.id, "sh", "-c", script]
        return subprocess.run(argv, input=stdin, capture_output=True, check=check, timeout=900)

    def start_engine(self, timeout: float = 60) -> None:
        self.sh(START_DOCKERD)
        deadline = time.monotonic() + timeout
        while self.sh("docker version -f '{{.Server.Version}}'", check=False).returncode != 0:
            if time.monotonic() > deadline:
                log = self.sh("tail -5 /var/log/dockerd.log", check=False).stdout.decode()
                raise RuntimeError(f"the engine in {self.name} did not start: {log}")
            time.sleep(0.5)

    def stop_engine(self, timeout: float = 60) -> None:
        """SIGTERM to the dockerd this class started (by its pid file); it stops its containers first."""
        self.sh('kill -TERM "$(cat /var/run/docker.pid)"')
        deadline = time.monotonic() + timeout
        while self.sh("test -e /var/run/docker.pid && kill -0 \"$(cat /var/run/docker.pid)\"",
                      check=False).returncode == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the engine in {self.name} did not stop")
            time.sleep(0.5)

    def load_images(self, refs: list[str]) -> None:
        """docker save on the real engine | docker load in this host's engine."""
        save = subprocess.Popen(["docker", "save", *refs], stdout=subprocess.PIPE)
        try:
            load = subprocess.run(["docker", "exec", "-i", self.id, "docker", "load", "-q"], stdin=save.stdout,
                                  capture_output=True, timeout=1200)
        finally:
            save.stdout.close()  # type: ignore[union-attr]
            save.wait()
        if load.returncode != 0 or save.returncode != 0:
            raise RuntimeError(f"loading images into {self.name} failed: {load.stderr.decode()[-300:]}")

    def remove(self) -> None:
        import docker.errors

        for action, arg in ((self.engine.remove_container, self.id), (self.engine.remove_volume, self.volume)):
            try:
                action(arg, force=True)
            except docker.errors.NotFound:
                pass
