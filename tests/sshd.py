"""A throwaway sshd on 127.0.0.1 with its own keys, for testing remote mode for real.

Everything lives in one directory: host key, client keys, authorized_keys,
a client ssh_config whose UserKnownHostsFile is a file there too, so the
user's own ~/.ssh is never read or written. The daemon is ended by the pid
this code started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


class Sshd:
    """sshd -D on 127.0.0.1:port (and on [::1]:port with ipv6=True); `extra` lines go into its sshd_config."""

    def __init__(self, directory: Path, extra: str = "", ipv6: bool = False) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.extra = extra
        self.listen = ["127.0.0.1", "::1"] if ipv6 else ["127.0.0.1"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.host_key = keygen(self.dir / "host_key")
        self.client_key = keygen(self.dir / "id_client")
        # sshd reads authorized_keys as the user logging in, so the directory must be reachable
        # by any user (the test directory itself may sit below a private one).
        self.keys_dir = Path(tempfile.mkdtemp(prefix="k8sm-sshd-keys-"))
        self.keys_dir.chmod(0o755)
        self.authorize("root", self.client_key)
        self.known_hosts = self.dir / "known_hosts"
        self.ssh_config = self.dir / "ssh_config"
        self.write_client_config(self.known_hosts)
        self.trust_host_key()

    @property
    def address(self) -> str:
        return f"root@127.0.0.1:{self.port}"

    def authorize(self, user: str, key: Path) -> None:
        """Let `key` log in as user (added to the keys already authorized)."""
        path = self.keys_dir / user
        with path.open("a") as keys:
            keys.write(key.with_suffix(".pub").read_text())
        path.chmod(0o644)

    def write_client_config(self, known_hosts: Path) -> None:
        self.ssh_config.write_text(
            f"Host {' '.join(self.listen)}\n  UserKnownHostsFile {known_hosts}\n  IdentitiesOnly yes\n")

    @property
    def address6(self) -> str:
        return f"root@[::1]:{self.port}"

    def host_key_line(self, key: Path | None = None, host: str = "127.0.0.1", marker: str = "") -> str:
        """A known_hosts line for this server's key (or `key`), with an optional @marker."""
        public = (key or self.host_key).with_suffix(".pub").read_text().split()
        return f"{marker + ' ' if marker else ''}[{host}]:{self.port} {public[0]} {public[1]}\n"

    def trust_host_key(self, key: Path | None = None) -> None:
        self.known_hosts.write_text("".join(self.host_key_line(key, host) for host in self.listen))

    def start(self) -> Sshd:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
        config = self.dir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}",
            *(f"ListenAddress {address}" for address in self.listen),
            f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.keys_dir}/%u",
            "StrictModes no",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "LogLevel ERROR",
            self.extra,
        ]) + "\n")
        log = open(self.dir / "sshd.log", "ab")  # noqa: SIM115 - kept open for the daemon's life
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=log,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.dir / 'sshd.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the daemon and its children
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.keys_dir, ignore_errors=True)

    def k8sm_args(self, host: str | None = None) -> list[str]:
        """The k8sm core flags that reach this sshd: -S config, -i key, -H address."""
        return ["-S", str(self.ssh_config), "-i", str(self.client_key), "-H", host or self.address]
