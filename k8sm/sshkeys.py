"""Host key checks for every SSH hop, against known_hosts as OpenSSH reads it.

paramiko's HostKeys reads one file, knows no markers and no wildcards, and a
`@revoked` or `@cert-authority` line breaks it. Here every file of
UserKnownHostsFile and GlobalKnownHostsFile is read (missing ones skipped);
lines may be hashed (`|1|...`), carry patterns (`*`, `?`, `!negated`) and
markers: `@revoked` keys are refused, `@cert-authority` lines are skipped with
one notice (host certificates are not supported; hosts are checked by their
plain keys). The verdict is the same for the final host and each ProxyJump
host: a known key passes, a revoked or changed one is always refused, an
unknown one passes only with --accept-host-key (and nothing is written).
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import os
import re
import shlex
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

#: What ssh reads when the SSH config names no file.
DEFAULT_USER_FILES = "~/.ssh/known_hosts ~/.ssh/known_hosts2"
DEFAULT_GLOBAL_FILES = "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"
#: A known_hosts file larger than this is not read (it is not a known_hosts file).
MAX_FILE_BYTES = 64 * 1024 * 1024

_noticed = False


@dataclass(frozen=True)
class KnownKey:
    """One key line of a known_hosts file."""

    patterns: str
    key_type: str
    blob: bytes
    revoked: bool
    where: str  # file:line, for messages


@dataclass
class KnownHosts:
    keys: list[KnownKey] = field(default_factory=list)
    cert_authorities: int = 0  # @cert-authority lines skipped

    def for_host(self, name: str) -> list[KnownKey]:
        """The lines whose patterns match name (`host`, or `[host]:port` off port 22)."""
        return [k for k in self.keys if host_matches(k.patterns, name)]


class HostKeyError(paramiko.SSHException):
    """A host key that must not be trusted; `host` is its known_hosts name."""

    def __init__(self, host: str, where: str = "") -> None:
        super().__init__(host)
        self.host = host
        self.where = where


class HostKeyUnknown(HostKeyError):
    """No known_hosts line names this host."""


class HostKeyRevoked(HostKeyError):
    """The key is listed as @revoked."""


class HostKeyChanged(HostKeyError):
    """known_hosts has other keys for this host."""


def hostkey_name(host: str, port: int) -> str:
    """The name ssh looks up in known_hosts: `host`, or `[host]:port` off port 22."""
    return host if port == 22 else f"[{host}]:{port}"


def parse(text: str, source: str) -> KnownHosts:
    """known_hosts text -> its keys; malformed lines are skipped, as ssh skips them."""
    book = KnownHosts()
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else ""
        if marker == "@cert-authority":
            book.cert_authorities += 1
            continue
        if marker not in ("", "@revoked") or len(fields) < 3:
            continue
        blob = _decode(fields[2])
        if blob is not None:
            book.keys.append(KnownKey(fields[0], fields[1], blob, marker == "@revoked", f"{source}:{number}"))
    return book


def host_matches(patterns: str, name: str) -> bool:
    """OpenSSH's rule: a hashed name, or comma-separated patterns where a `!` match excludes."""
    name = name.lower()
    if patterns.startswith("|1|"):
        return _hashed_matches(patterns, name)
    matched = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        if _wildcard(pattern[1:] if negated else pattern).fullmatch(name):
            if negated:
                return False
            matched = True
    return matched


def check(known: Sequence[KnownKey], name: str, blob: bytes, accept: bool) -> None:
    """Refuse a revoked or changed key always, an unknown one unless accept; return if trusted."""
    for key in known:
        if key.revoked and key.blob == blob:
            raise HostKeyRevoked(name, key.where)
    plain = [k for k in known if not k.revoked]
    if any(k.blob == blob for k in plain):
        return
    if plain:
        raise HostKeyChanged(name, plain[0].where)
    if not accept:
        raise HostKeyUnknown(name)


def known_hosts_files(ssh_config: Mapping[str, Any]) -> list[Path]:
    """Every file of UserKnownHostsFile, then of GlobalKnownHostsFile, as ssh reads them."""
    return (_paths(ssh_config.get("userknownhostsfile"), DEFAULT_USER_FILES)
            + _paths(ssh_config.get("globalknownhostsfile"), DEFAULT_GLOBAL_FILES))


def load(paths: Sequence[Path]) -> KnownHosts:
    """The keys of every readable regular file among paths; others are skipped, as ssh does."""
    book = KnownHosts()
    for path in paths:
        text = _read(path)
        if text is not None:
            part = parse(text, str(path))
            book.keys += part.keys
            book.cert_authorities += part.cert_authorities
    return book


def preferred_key_types(known: Sequence[KnownKey]) -> list[str]:
    """The host key algorithms to ask for first, so the server shows a key known_hosts has."""
    types: list[str] = []
    for key in known:
        if not key.revoked:
            for name in ("rsa-sha2-512", "rsa-sha2-256") if key.key_type == "ssh-rsa" else (key.key_type,):
                if name not in types:
                    types.append(name)
    return types


class VerifyingPolicy(paramiko.MissingHostKeyPolicy):
    """Decides every host key with `check`: paramiko's own stores stay empty, so it asks for each."""

    def __init__(self, book: KnownHosts, accept: bool) -> None:
        self.book = book
        self.accept = accept

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        check(self.book.for_host(hostname), hostname, key.asbytes(), self.accept)


def verify_hop(client: paramiko.SSHClient, ssh_config: Mapping[str, Any], accept: bool) -> KnownHosts:
    """Make client check host keys against the hop's known_hosts files; the loaded keys."""
    book = load(known_hosts_files(ssh_config))
    client.get_host_keys().clear()
    client.set_missing_host_key_policy(VerifyingPolicy(book, accept))
    if book.cert_authorities:
        _notice_cert_authorities(book.cert_authorities)
    return book


def _notice_cert_authorities(count: int) -> None:
    global _noticed
    if not _noticed:
        _noticed = True
        print(f"k8sm: note: {count} @cert-authority line(s) in known_hosts skipped: host certificates are "
              "not supported, hosts are checked by their plain keys", file=sys.stderr, flush=True)


def _paths(value: str | list[str] | None, default: str) -> list[Path]:
    words: list[str] = []
    for item in ([value] if isinstance(value, str) else value) or [default]:
        try:
            words += shlex.split(item)
        except ValueError:  # an unbalanced quote: ssh would not start either
            words += item.split()
    if [w.lower() for w in words] == ["none"]:
        return []
    return [Path(_expand(w)) for w in words]


def _expand(word: str) -> str:
    home = os.path.expanduser("~")
    tokens = {"%d": home, "%u": getpass.getuser(), "%%": "%"}
    word = re.sub(r"%[du%]", lambda m: tokens[m.group(0)], word)
    return os.path.expanduser(word)


def _read(path: Path) -> str | None:
    """A regular file's text (size-capped); None for anything else, which ssh would skip too."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        return os.read(fd, MAX_FILE_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern.lower())
    return re.compile("".join(parts), re.DOTALL)


def _hashed_matches(entry: str, name: str) -> bool:
    parts = entry.split("|")
    if len(parts) != 4:
        return False
    salt, digest = _decode(parts[2]), _decode(parts[3])
    if salt is None or digest is None:
        return False
    return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), digest)
