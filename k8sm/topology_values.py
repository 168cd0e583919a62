"""The values of hosts.yaml, each checked against its rule; a problem is collected with its key path.

ValueReader holds the checks every section uses (k8sm.topology_reader); the patterns
are the rules for names, references, URLs and addresses.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from k8sm.errors import K8smError, shown

# Every pattern is used with fullmatch (a trailing newline never passes), is ASCII only and bounds the length.
HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")
PREFIX = re.compile(r"([a-zA-Z0-9][a-zA-Z0-9_.-]{0,62})?")
IMAGE_REF = re.compile(r"[a-z0-9][a-z0-9._/:-]{0,254}")
IMAGE_PREFIX = re.compile(r"(?=.{0,128}\Z)([a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*/)?")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
SAFE_TEXT = re.compile(r"[A-Za-z0-9_.:/@+=,-]{1,255}")
#: The rest of a URL: printable ASCII without spaces, quotes, backslashes or shell operators ({version} is kept).
URL_REST = r"[A-Za-z0-9._~:/?#\[\]@!%()*+,={}-]{1,2000}"
VERSION = re.compile(r"[0-9][0-9A-Za-z.+~-]{0,62}")
HTTP_OR_FILE_URL = re.compile(rf"(https?|file)://{URL_REST}")
GIT_URL = re.compile(rf"((https?|ssh|git|file)://|/){URL_REST}")
GIT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}")
ABSOLUTE_PATH = re.compile(r"/[A-Za-z0-9._/-]{0,1023}")
DOMAIN = re.compile(r"(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
SUITE = re.compile(r"[a-z][a-z0-9-]{0,62}")
#: A network interface name as Linux takes it (at most 15 characters), e.g. eth0, ens3, br-lab.
INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,14}")
SSH_ADDRESS = re.compile(r"([A-Za-z0-9_.-]{1,64}@)?[A-Za-z0-9_.:\[\]-]{1,255}")
#: An IP address or network as text: ASCII hex digits, '.', ':' and '/' only (no scope such as %eth0).
IP_TEXT = re.compile(r"[0-9A-Fa-f.:/]{1,64}")
#: A published port: 5050 or "15050:5050", ASCII digits only.
PORT_MAP = re.compile(r"([0-9]{1,5}):([0-9]{1,5})")
#: A key shown as it is in a problem's path; any other key is quoted and bounded.
PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


class ValueReader:
    """Checks values of the parsed YAML, collecting every problem with its key path."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def mapping(self, value: Any, key: str, allowed: Iterable[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.bad(key, f"must be a mapping, not {kind_of(value)}")
            return {}
        allowed = tuple(allowed)
        for k in value:
            if k not in allowed:
                self.bad(key_path(key, k), f"unknown key (known: {', '.join(allowed)})")
        return value

    def string(self, m: dict[str, Any], k: str, key: str, default: str, pattern: re.Pattern[str] | None = None,
               what: str = "") -> str:
        value = m.get(k, default)
        path = f"{key}.{k}" if key else k
        if not isinstance(value, str):
            self.bad(path, f"must be a string, not {kind_of(value)}")
            return default
        if pattern is not None and not pattern.fullmatch(value):
            self.bad(path, f"{shown(value)} is not {what or 'valid'}")
        return value

    def integer(self, m: dict[str, Any], k: str, key: str, default: int) -> int:
        value = m.get(k, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(f"{key}.{k}", f"must be an integer, not {kind_of(value)}")
            return default
        return value

    def port(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            self.bad(path, f"{shown(value)} is not a port number (1-65535)")
            return None
        return value

    def ip(self, value: Any, path: str, what: str = "an IP address") -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """An IP address written in ASCII, without a zone (%eth0); None after reporting anything else."""
        try:
            return ipaddress.ip_address(ip_text(value))
        except ValueError:
            self.bad(path, f"{shown(value)} is not {what}")
            return None

    def empty_entry(self, path: str, what: str) -> None:
        self.bad(path, f"is empty (a stray '-'?): give {what}, or remove the line")

    def ssh_address(self, address: str, path: str) -> None:
        """Report an address that ssh would not take (brackets, port), as -H would."""
        from k8sm.sshaddr import parse_address

        try:
            parse_address(address, what="")
        except K8smError as exc:
            self.bad(path, exc.message.strip())

    def boolean(self, m: dict[str, Any], k: str, key: str, default: bool) -> bool:
        value = m.get(k, default)
        if not isinstance(value, bool):
            self.bad(f"{key}.{k}", f"must be true or false, not {kind_of(value)}")
            return default
        return value


def key_path(parent: str, key: Any) -> str:
    """parent.key for a problem: the key as written if it is a short plain word, else quoted and bounded."""
    text = key if isinstance(key, str) and PLAIN_KEY.fullmatch(key) else shown(key, 40)
    return f"{parent}.{text}" if parent else text


def ip_text(value: Any) -> str:
    """value if it can only be an IP address or network in ASCII (no zone, no spaces); ValueError otherwise."""
    if not isinstance(value, str) or not IP_TEXT.fullmatch(value):
        raise ValueError("not an IP address or network in ASCII")
    return value


def kind_of(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)
