"""SSH addresses as ssh takes them: `[user@]host[:port]`, IPv6 literals in brackets.

`root@[::1]:2222`, `::1` (no port: brackets are needed only with one),
`server1:2200`, `admin@10.0.0.5`. Every part is checked here, once, so a
value from -H or hosts.yaml is either a clean address or one clear line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from k8sm.errors import K8smError

#: Host names and ssh_config aliases: letters, digits, '.', '_' and '-', not starting with '-'.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
#: User names as useradd takes them (plus '.'), not starting with '-'.
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?")
#: Shown in errors: enough to recognise the value, never a wall of text.
_SHOWN = 80


@dataclass(frozen=True)
class SshAddress:
    host: str
    user: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.user}@" if self.user else ""
        return f"{user}{host}:{self.port}" if self.port is not None else f"{user}{host}"

    def connection_kwargs(self) -> dict[str, object]:
        """Keyword arguments for fabric.Connection (unset parts come from the SSH config)."""
        kwargs: dict[str, object] = {"host": self.host}
        if self.user:
            kwargs["user"] = self.user
        if self.port is not None:
            kwargs["port"] = self.port
        return kwargs


def parse_address(text: str, what: str = "-H") -> SshAddress:
    """`[user@]host[:port]` -> SshAddress; K8smError (one line) if any part is malformed."""
    user, at, rest = text.rpartition("@")
    if at and not _USER.fullmatch(user):
        raise _bad(text, what, f"{_show(user)} is not a user name")
    host, port = _split_port(text, rest, what)
    if not (_is_ipv6(host) or _NAME.fullmatch(host) and len(host) <= 253):
        raise _bad(text, what, f"{_show(host)} is not a host name or IP address")
    return SshAddress(host=host, user=user or None, port=port)


def display(host: str, port: int | str | None = None) -> str:
    """host:port as ssh prints it: IPv6 literals in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown


def parse_port(text: str) -> int | None:
    """A TCP port from ASCII digits, 1..65535; None if it is not one."""
    if not re.fullmatch(r"[0-9]{1,5}", text):
        return None
    port = int(text)
    return port if 1 <= port <= 65535 else None


def _split_port(text: str, rest: str, what: str) -> tuple[str, int | None]:
    if rest.startswith("["):
        host, closing, tail = rest[1:].partition("]")
        if not closing or not _is_ipv6(host):
            raise _bad(text, what, f"{_show(rest)} is not a bracketed IPv6 address like [::1]:22")
        if not tail:
            return host, None
        if not tail.startswith(":"):
            raise _bad(text, what, f"unexpected {_show(tail)} after ]")
        return host, _port(text, tail[1:], what)
    if rest.count(":") > 1:  # a bare IPv6 literal, as ssh takes it: no port
        return rest, None
    host, colon, port = rest.partition(":")
    return host, _port(text, port, what) if colon else None


def _port(text: str, port: str, what: str) -> int:
    value = parse_port(port)
    if value is None:
        raise _bad(text, what, f"the port {_show(port)} is not a number from 1 to 65535")
    return value


def _is_ipv6(host: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False


def _show(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")


def _bad(text: str, what: str, problem: str) -> K8smError:
    return K8smError(f"{what} {_show(text)}: {problem}", "write it as [user@]host[:port], e.g. root@server1:2222 "
                     "or root@[::1]:2222")
