"""SSH failures in words: what went wrong with which host (or jump host), and what to do."""

from __future__ import annotations

from k8sm.errors import HostUnreachable, K8smError, first_line


def ssh_error(exc: BaseException, label: str, timeout: int, *, key_problem: K8smError | None = None,
              jump_for: str | None = None) -> K8smError:
    """Turn an SSH failure into one clear message with what to do.

    key_problem says why a configured key cannot be used (see sshconnect.key_problem);
    jump_for names the final host when the failing hop is a ProxyJump host.
    """
    import socket

    import paramiko

    bare = label.split("@", 1)[-1]
    host = _display(bare) + (f" (the jump host to {jump_for})" if jump_for else "")
    shown = label.split("@", 1)[0] + "@" + _display(bare) if "@" in label else _display(bare)
    found = _host_key_error(exc, host, bare)
    if found is not None:
        return found
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError) or isinstance(exc, ConnectionRefusedError):
        return HostUnreachable(f"{host} refused the SSH connection", "check the host and port, and that sshd runs there")
    if isinstance(exc, socket.gaierror):
        return HostUnreachable(f"cannot resolve the host name in {shown}", "check the spelling, or use an IP address")
    text = str(exc).lower()
    if isinstance(exc, (socket.timeout, TimeoutError)) or any(
            s in text for s in ("banner", "timed out", "no existing session")):
        return HostUnreachable(f"{host} did not answer within {timeout}s", "check that the host is up and reachable "
                         "(raise the limit with -t SECONDS)")
    if key_problem is not None and isinstance(exc, paramiko.SSHException):
        return key_problem
    if isinstance(exc, paramiko.AuthenticationException):
        return HostUnreachable(f"SSH authentication failed for {shown}",
                         "check the key (-i KEY), your ssh-agent, or the user name (user@host)")
    if isinstance(exc, OSError):
        return HostUnreachable(f"cannot connect to {host}: {exc.strerror or exc}")
    return HostUnreachable(f"SSH error with {shown}: {first_line(exc) if str(exc) else type(exc).__name__}")


def _host_key_error(exc: BaseException, host: str, bare: str) -> K8smError | None:
    """The message for a host key that is revoked, changed or unknown; None for other failures."""
    import paramiko

    from k8sm import sshkeys

    name = getattr(exc, "host", None) or _known_hosts_name(bare)
    recorded = getattr(exc, "where", "")  # sshkeys' errors say where the key was recorded
    where = f" ({recorded})" if recorded else ""
    if isinstance(exc, sshkeys.HostKeyRevoked):
        return HostUnreachable(f"the host key of {host} is marked as REVOKED in known_hosts{where}: refusing to connect, "
                         "a revoked key may be a stolen one used to impersonate the host",
                         "ask the host's administrator for its new key")
    if isinstance(exc, (sshkeys.HostKeyChanged, paramiko.BadHostKeyException)):
        return HostUnreachable(f"the host key of {host} has CHANGED since it was recorded in known_hosts{where}: "
                         "someone may be intercepting the connection",
                         f"if the change is expected, remove the old key (ssh-keygen -R '{name}') "
                         "and verify the new one")
    if isinstance(exc, sshkeys.HostKeyUnknown) or (
            isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc)):
        return HostUnreachable(f"the host key of {host} is not in known_hosts",
                         "verify it and add it (ssh once, or ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts), "
                         "or pass --accept-host-key to trust it for this run")
    return None


def _display(host_port: str) -> str:
    """`h:p`, `::1:p` or `[::1]:p` as ssh prints it: IPv6 in brackets."""
    from k8sm.sshaddr import display

    name, colon, port = host_port.rpartition(":")
    if not colon:
        return host_port
    return display(name.strip("[]"), port)


def _known_hosts_name(host: str) -> str:
    """The known_hosts name of `host:port`: `host` on port 22, else `[host]:port`."""
    name, colon, port = host.rpartition(":")
    name = name.strip("[]")
    return host if not colon else name if port == "22" else f"[{name}]:{port}"
