"""Remote mode without a network: SSH addresses, known_hosts reading and verdicts, session bounds,
and SSH error messages."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import paramiko
import pytest

from k8sm import sshkeys, sshtransport
from k8sm.errors import K8smError
from k8sm.sshaddr import SshAddress, parse_address
from k8sm.sshkeys import HostKeyChanged, HostKeyRevoked, HostKeyUnknown, KnownKey
from k8sm.target import _known_hosts_name, ssh_error

KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAIA2HBjkVS0IXNvXq2Ba5e0Ys3kMbOsbbgVFD8dxpb8YE"


def blob(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


# ------------------------------------------------------------ SSH addresses


@pytest.mark.parametrize(("text", "expected"), [
    ("server1", SshAddress("server1")),
    ("root@server1", SshAddress("server1", "root")),
    ("root@server1:2222", SshAddress("server1", "root", 2222)),
    ("root@[::1]:2222", SshAddress("::1", "root", 2222)),
    ("[fe80::1]", SshAddress("fe80::1")),
    ("::1", SshAddress("::1")),  # a bare IPv6 literal, as ssh takes it: no port
    ("admin@10.0.0.5:65535", SshAddress("10.0.0.5", "admin", 65535)),
])
def test_addresses_as_ssh_takes_them(text, expected):
    address = parse_address(text)
    assert address == expected
    assert parse_address(str(address)) == address


def test_an_ipv6_address_gives_fabric_a_bare_host_and_a_port():
    assert parse_address("root@[::1]:50065").connection_kwargs() == {"host": "::1", "user": "root", "port": 50065}
    assert str(parse_address("root@[::1]:50065")) == "root@[::1]:50065"


@pytest.mark.parametrize(("text", "problem"), [
    ("127.0.0.1:$(id)", "the port '$(id)' is not a number from 1 to 65535"),
    ("root@host:22x", "the port '22x' is not a number from 1 to 65535"),
    ("root@host:99999", "the port '99999' is not a number from 1 to 65535"),
    ("root@host:0", "the port '0' is not a number"),
    ("root@host:٤٥", "the port '٤٥' is not a number"),
    ("root@host:", "the port '' is not a number"),
    ("a;reboot", "'a;reboot' is not a host name"),
    ("$(id)@host", "'$(id)' is not a user name"),
    ("root@host name", "is not a host name"),
    ("root@-oProxyCommand=x", "is not a host name"),
    ("root@[::1", "is not a bracketed IPv6 address"),
    ("root@[server]:22", "is not a bracketed IPv6 address"),
    ("root@[::1]x", "unexpected 'x' after ]"),
    ("", "'' is not a host name"),
    ("host\n", "is not a host name"),
])
def test_bad_addresses_are_one_line(text, problem):
    with pytest.raises(K8smError) as caught:
        parse_address(text)
    message = str(caught.value)
    assert problem in message and "\n" not in message


def test_a_huge_address_is_clipped_in_the_message():
    with pytest.raises(K8smError) as caught:
        parse_address("x" * 5000 + ";")
    assert len(str(caught.value)) < 400


# ------------------------------------------------------------ known_hosts


def test_markers_are_read_and_a_bad_line_breaks_nothing():
    text = (f"# comment\n"
            f"@cert-authority *.example.org ssh-ed25519 {KEY_B}\n"
            f"@revoked [h]:2222 ssh-ed25519 {KEY_B}\n"
            f"[h]:2222 ssh-ed25519 {KEY_A} comment words\n"
            f"[h]:2222 ssh-ed25519 not-base64!!\n"
            f"[h]:2222 ssh-ed25519 {KEY_A[:-3]}\n"  # 'Incorrect padding' broke paramiko's HostKeys
            f"@unknown-marker [h]:2222 ssh-ed25519 {KEY_A}\n"
            f"short line\n\n")
    book = sshkeys.parse(text, "kh")
    assert book.cert_authorities == 1
    assert [(k.patterns, k.revoked, k.where) for k in book.keys] == [("[h]:2222", True, "kh:3"),
                                                                     ("[h]:2222", False, "kh:4")]


@pytest.mark.parametrize(("patterns", "name", "matches"), [
    ("host", "host", True),
    ("host", "HOST", True),
    ("[host]:2222", "[host]:2222", True),
    ("[host]:2222", "host", False),
    ("host", "[host]:2222", False),
    ("a,b,host", "host", True),
    ("*.example.org", "web.example.org", True),
    ("*.example.org", "example.org", False),
    ("web?.example.org", "web1.example.org", True),
    ("*.example.org,!db.example.org", "db.example.org", False),
    ("[127.0.0.1]:*", "[127.0.0.1]:50065", True),
    ("[::1]:2222", "[::1]:2222", True),
])
def test_host_patterns_as_openssh_matches_them(patterns, name, matches):
    assert sshkeys.host_matches(patterns, name) is matches


def test_hashed_names_match_only_their_host():
    hashed = paramiko.HostKeys.hash_host("[10.0.0.5]:2222")
    assert sshkeys.host_matches(hashed, "[10.0.0.5]:2222")
    assert not sshkeys.host_matches(hashed, "[10.0.0.6]:2222")
    assert not sshkeys.host_matches("|1|broken", "[10.0.0.5]:2222")


def known(*keys: tuple[str, bool]) -> list[KnownKey]:
    return [KnownKey("h", "ssh-ed25519", blob(k), revoked, f"kh:{i}") for i, (k, revoked) in enumerate(keys, 1)]


def test_a_known_key_passes():
    sshkeys.check(known((KEY_A, False)), "h", blob(KEY_A), accept=False)


def test_an_unknown_key_passes_only_when_accepted():
    with pytest.raises(HostKeyUnknown):
        sshkeys.check([], "h", blob(KEY_A), accept=False)
    sshkeys.check([], "h", blob(KEY_A), accept=True)


@pytest.mark.parametrize("accept", [False, True])
def test_a_changed_key_is_always_refused(accept):
    with pytest.raises(HostKeyChanged) as caught:
        sshkeys.check(known((KEY_B, False)), "h", blob(KEY_A), accept=accept)
    assert caught.value.host == "h" and caught.value.where == "kh:1"


@pytest.mark.parametrize("accept", [False, True])
def test_a_revoked_key_is_always_refused_even_if_also_listed(accept):
    with pytest.raises(HostKeyRevoked) as caught:
        sshkeys.check(known((KEY_A, False), (KEY_A, True)), "h", blob(KEY_A), accept=accept)
    assert caught.value.where == "kh:2"


def test_a_revoked_other_key_does_not_make_the_host_known():
    with pytest.raises(HostKeyUnknown):
        sshkeys.check(known((KEY_B, True)), "h", blob(KEY_A), accept=False)


def test_every_user_and_global_file_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = {"userknownhostsfile": f'~/one "{tmp_path}/with space" %d/three',
              "globalknownhostsfile": f"{tmp_path}/global"}
    assert sshkeys.known_hosts_files(config) == [tmp_path / "one", tmp_path / "with space", tmp_path / "three",
                                                 tmp_path / "global"]
    defaults = sshkeys.known_hosts_files({})
    assert defaults == [tmp_path / ".ssh/known_hosts", tmp_path / ".ssh/known_hosts2",
                        Path("/etc/ssh/ssh_known_hosts"), Path("/etc/ssh/ssh_known_hosts2")]
    assert sshkeys.known_hosts_files({"userknownhostsfile": "none", "globalknownhostsfile": "none"}) == []


def test_loading_skips_missing_files_directories_and_fifos_without_hanging(tmp_path):
    good = tmp_path / "good"
    good.write_text(f"h ssh-ed25519 {KEY_A}\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    book = sshkeys.load([tmp_path / "missing", tmp_path, fifo, good])
    assert time.monotonic() - started < 2
    assert [k.where for k in book.keys] == [f"{good}:1"]


def test_known_key_types_are_asked_for_first():
    keys = [KnownKey("h", "ssh-rsa", b"x", False, ""), KnownKey("h", "ssh-ed25519", b"y", True, "")]
    assert sshkeys.preferred_key_types(keys) == ["rsa-sha2-512", "rsa-sha2-256"]


# ------------------------------------------------------------ SSH error messages


def test_host_key_refusals_name_the_hop_and_the_line():
    revoked = ssh_error(HostKeyRevoked("[j]:2200", "kh:3"), "root@j:2200", 5, jump_for="root@h:22")
    assert str(revoked).startswith("the host key of j:2200 (the jump host to root@h:22) is marked as REVOKED "
                                   "in known_hosts (kh:3)")
    changed = str(ssh_error(HostKeyChanged("[::1]:2222", "kh:1"), "root@::1:2222", 5))
    assert changed.startswith("the host key of [::1]:2222 has CHANGED") and "ssh-keygen -R '[::1]:2222'" in changed
    unknown = str(ssh_error(HostKeyUnknown("h"), "root@h:22", 5))
    assert unknown.startswith("the host key of h:22 is not in known_hosts") and "--accept-host-key" in unknown


def test_an_encrypted_key_is_named_instead_of_authentication_failed():
    problem = K8smError("the SSH key /k is encrypted and no passphrase was given", "pass --prompt-for-passphrase")
    assert ssh_error(paramiko.AuthenticationException("Authentication failed."), "root@h:22", 5,
                     key_problem=problem) is problem
    assert ssh_error(paramiko.SSHException("Invalid key"), "root@h:22", 5, key_problem=problem) is problem


def test_key_problems_are_found(tmp_path):
    from k8sm.sshconnect import key_problem

    key = tmp_path / "enc"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "right-one", "-f", str(key)], check=True)

    class Conn:
        connect_kwargs: dict[str, object] = {"key_filename": [str(key)]}

    assert "is encrypted and no passphrase was given" in str(key_problem(Conn()))
    assert "--prompt-for-passphrase" in str(key_problem(Conn()))
    Conn.connect_kwargs["passphrase"] = "wrong"
    assert "does not unlock the SSH key" in str(key_problem(Conn()))
    Conn.connect_kwargs["passphrase"] = "right-one"
    assert key_problem(Conn()) is None


@pytest.mark.parametrize(("host", "name"), [("h:22", "h"), ("h:2222", "[h]:2222"), ("::1:2222", "[::1]:2222"),
                                            ("[::1]:2222", "[::1]:2222"), ("::1:22", "::1")])
def test_known_hosts_names(host, name):
    assert _known_hosts_name(host) == name


def test_ssh_errors_are_not_engine_errors():
    from k8sm.engine.errors import is_engine_exception

    assert not is_engine_exception(paramiko.ChannelException(2, "Connect failed"))
    assert "Docker" not in str(ssh_error(paramiko.ChannelException(2, "Connect failed"), "root@h:22", 5))


# ------------------------------------------------------------ sessions per connection


class FakeChannel:
    pass


@pytest.fixture
def transport(monkeypatch):
    """A SessionLimitedTransport whose server allows `limit` sessions (no network: channels are fakes)."""
    left, right = socket.socketpair()
    made = sshtransport.SessionLimitedTransport(left, label="root@h:22")
    made.server = {"limit": 2, "peak": 0, "refusals": 0}
    ids = iter(range(1, 10**6))

    def fake_open(self, *args, **kwargs):
        open_now = len(self._channels)
        if open_now >= self.server["limit"]:
            self.server["refusals"] += 1
            raise paramiko.ChannelException(2, "Connect failed")
        channel = FakeChannel()
        self._channels.put(next(ids), channel)
        self.server["peak"] = max(self.server["peak"], open_now + 1)
        return channel

    monkeypatch.setattr(paramiko.Transport, "open_session", fake_open)
    yield made
    left.close()
    right.close()


def use_sessions(transport, count: int, hold: float) -> list[BaseException]:
    errors: list[BaseException] = []

    def one():
        try:
            channel = transport.open_session()
            time.sleep(hold)
            for key, value in list(transport._channels._map.items()):
                if value is channel:
                    transport._channels.delete(key)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def test_sessions_stay_below_our_bound(transport):
    transport.server["limit"] = 100
    assert use_sessions(transport, 20, 0.05) == []
    assert transport.server["peak"] <= sshtransport.MAX_SESSIONS
    assert transport.server["refusals"] == 0


def test_a_refused_session_teaches_the_server_limit_and_is_retried(transport):
    assert use_sessions(transport, 8, 0.05) == []
    assert transport.server["peak"] <= 2
    assert transport.server_limit in (1, 2) and transport.max_sessions == transport.server_limit


def test_waiting_gives_back_idle_channels(transport, monkeypatch):
    transport.server["limit"] = 1
    idle = transport.open_session()  # an idle pooled channel, say
    closed = []

    def close_idle():
        for key, value in list(transport._channels._map.items()):
            if value is idle:
                transport._channels.delete(key)
                closed.append(key)

    transport.idle_closers.append(close_idle)
    transport.max_sessions = 1
    assert use_sessions(transport, 2, 0.01) == []
    assert closed


def test_a_server_that_allows_no_session_is_one_line(transport, monkeypatch):
    monkeypatch.setattr(sshtransport, "REFUSED_ALONE_GRACE", 0.2)
    transport.server["limit"] = 0
    with pytest.raises(K8smError, match="refused to open a session; check MaxSessions"):
        transport.open_session()


def test_sessions_busy_too_long_is_one_line_naming_the_limit(transport, monkeypatch):
    monkeypatch.setattr(sshtransport, "SESSION_WAIT", 0.3)
    transport.server["limit"] = 1
    held = transport.open_session()  # noqa: F841 - kept open (the channel map holds weak references)
    with pytest.raises(K8smError, match=r"allows only 1 session\(s\) at once \(sshd's MaxSessions\)"):
        transport.open_session()


def test_tcp_channels_are_not_sessions(transport):
    # direct-tcpip channels (status's network probes) do not count against sshd's MaxSessions
    transport.server["limit"] = 100
    transport._sessions_seen = [FakeChannel() for _ in range(20)]
    for i, channel in enumerate(transport._sessions_seen, start=1000):
        transport._channels.put(i, channel)  # as open_channel("direct-tcpip", ...) leaves them
    held = transport.open_session()  # noqa: F841 - kept open (the channel map holds weak references)
    assert transport.sessions_in_use() == 1


def test_a_unix_socket_channel_names_its_socket_and_is_no_session(transport, monkeypatch):
    """direct-streamlocal@openssh.com, as OpenSSH reads it: kind, channel, window, packet, path, "", 0."""
    asked = []

    def server(m, refuse=False):
        reader = paramiko.Message(m.asbytes())
        fields = (reader.get_byte(), reader.get_text(), reader.get_int(), reader.get_int(), reader.get_int(),
                  reader.get_text(), reader.get_text(), reader.get_int())
        asked.append(fields)
        if refuse:
            transport.saved_exception = paramiko.ChannelException(1, "Administratively prohibited")
            transport._channels.delete(fields[2])
        transport.channel_events[fields[2]].set()

    transport.active = True
    monkeypatch.setattr(transport, "_send_user_message", server)
    channel = transport.open_unix_socket("/var/run/docker.sock", timeout=2)
    kind, path, reserved = asked[0][1], asked[0][5], asked[0][6:]
    assert (kind, path, reserved) == ("direct-streamlocal@openssh.com", "/var/run/docker.sock", ("", 0))
    assert asked[0][0] == paramiko.common.cMSG_CHANNEL_OPEN and channel.get_id() == asked[0][2]
    assert transport.sessions_in_use() == 0
    monkeypatch.setattr(transport, "_send_user_message", lambda m: server(m, refuse=True))
    with pytest.raises(paramiko.ChannelException):
        transport.open_unix_socket("/nonexistent.sock", timeout=2)
    transport.active = False
