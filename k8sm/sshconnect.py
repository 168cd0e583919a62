"""Opening a Fabric connection with every hop verified, bounded in time and in sessions.

A ProxyJump in the SSH config makes Fabric build the jump connections itself,
each with its own paramiko client that trusts any key. Here the chain is
built again from ProxyJump (first hop first, as ssh connects them; bracketed
IPv6 allowed), and every hop gets the same treatment as the final host:
its known_hosts files (k8sm.sshkeys), --accept-host-key for this run only,
the connect timeouts, and a session-bounded transport (k8sm.sshtransport).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import paramiko

from k8sm import sshkeys, sshtransport
from k8sm.errors import K8smError
from k8sm.sshaddr import display, parse_address

#: Jump connections this process opened (Fabric's close() leaves them open).
_gateways: list[Any] = []


def label_of(conn: Any) -> str:
    return f"{conn.user}@{display(conn.host, conn.port)}"


def hops(conn: Any) -> list[Any]:
    """The connections to open in order: each ProxyJump host, then conn itself."""
    chain = [conn]
    gateway = conn.gateway
    while gateway is not None and not isinstance(gateway, (str, bool)):
        chain.insert(0, gateway)
        gateway = gateway.gateway
    return chain


def rebuild_jumps(conn: Any) -> None:
    """Replace the jump chain Fabric built from ProxyJump by one in ssh's order, with checked addresses.

    Fabric also drops a jump host with the final host's address whatever the ports, so two sshds
    on one machine would be connected to directly; only a hop that is the final host itself is.
    """
    from fabric import Connection

    spec = str(conn.ssh_config.get("proxyjump") or "").strip()
    if not spec or spec.lower() == "none" or isinstance(conn.gateway, str):
        return
    gateway: Any = False  # a jump host's own ProxyJump/ProxyCommand is not followed
    for hop in spec.split(","):
        address = parse_address(hop.strip(), "ProxyJump")
        hop_conn = Connection(**address.connection_kwargs(), config=conn.config.clone(), gateway=gateway)
        if (hop_conn.host, hop_conn.port) != (conn.host, conn.port):  # a `Host *` ProxyJump reaching itself
            gateway = hop_conn
    conn.gateway = gateway or None


def prepare(conn: Any, accept: bool, timeout: int) -> None:
    """Give one hop its known_hosts check, timeouts and transport; Fabric's defaults trust any key."""
    conn.connect_kwargs = dict(conn.connect_kwargs)  # a copy: the config's dict is shared by every host
    if conn.connect_timeout is None and "timeout" not in conn.connect_kwargs:
        conn.connect_timeout = timeout
    for key in ("banner_timeout", "auth_timeout"):
        conn.connect_kwargs.setdefault(key, timeout)
    book = sshkeys.verify_hop(conn.client, conn.ssh_config, accept)
    known = book.for_host(sshkeys.hostkey_name(conn.host, conn.port))
    conn.connect_kwargs["transport_factory"] = sshtransport.factory(label_of(conn),
                                                                    sshkeys.preferred_key_types(known))


def open_all(conn: Any, label: str, accept: bool, timeout: int) -> None:
    """Open every hop, first jump host first; K8smError (one line) naming the hop that failed."""
    from k8sm.ssherrors import ssh_error

    rebuild_jumps(conn)
    chain = hops(conn)
    for hop in chain:
        prepare(hop, accept, timeout)
    for hop in chain:
        final = hop is conn
        try:
            hop.open()
        except K8smError:
            _close(chain)
            raise
        except Exception as exc:
            _close(chain)
            if final and isinstance(exc, paramiko.ChannelException) and len(chain) > 1:
                raise _unreachable_from_jump(chain[-2], hop, exc) from None
            raise ssh_error(exc, label if final else label_of(hop), timeout, key_problem=key_problem(hop),
                            jump_for=None if final else label) from None
        if not final:
            _gateways.append(hop)


def close_gateways() -> None:
    """Close the jump connections this process opened."""
    while _gateways:
        _gateways.pop().close()


def key_problem(conn: Any) -> K8smError | None:
    """Why a configured key (-i, IdentityFile) cannot be used: encrypted without a passphrase, or a wrong one."""
    passphrase = conn.connect_kwargs.get("passphrase")
    paths = conn.connect_kwargs.get("key_filename") or []
    for path in [paths] if isinstance(paths, str) else paths:
        if _unlocks(path, passphrase) is False:
            if passphrase:
                return K8smError(f"the passphrase given does not unlock the SSH key {path}",
                                 "run again and type the key's passphrase")
            return K8smError(f"the SSH key {path} is encrypted and no passphrase was given",
                             "pass --prompt-for-passphrase to be asked for it, or load the key into ssh-agent")
    return None


def _unlocks(path: str, passphrase: str | None) -> bool | None:
    """True if the key loads, False if it is encrypted and does not open, None if it is no key we can read."""
    if _loads(path, passphrase):
        return True
    return False if _encrypted(path) else None


def _loads(path: str, passphrase: str | None) -> bool:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            kind.from_private_key_file(path, passphrase)
            return True
        except (paramiko.SSHException, OSError, ValueError, TypeError):
            pass
    return False


def _encrypted(path: str) -> bool:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            kind.from_private_key_file(path, None)
        except paramiko.PasswordRequiredException:
            return True
        except (paramiko.SSHException, OSError, ValueError, TypeError):
            pass
    return False


def _unreachable_from_jump(jump: Any, hop: Any, exc: paramiko.ChannelException) -> K8smError:
    return K8smError(f"the jump host {label_of(jump)} could not connect to {display(hop.host, hop.port)} "
                     f"({exc.text})", "check that the host is reachable from the jump host and that the jump "
                     "host allows TCP forwarding (AllowTcpForwarding)")


def _close(chain: Sequence[Any]) -> None:
    for hop in reversed(chain):
        hop.client.close()  # also after a refused key: paramiko leaves the transport running
        hop.transport = None
