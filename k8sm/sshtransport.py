"""paramiko's Transport for k8sm's SSH connections: known host key types first, sessions bounded.

Every shell command and every Docker API connection is one SSH session of
the same connection. sshd refuses sessions past its MaxSessions (10 by
default) with ChannelException(2, 'Connect failed'); so at most
MAX_SESSIONS are open at once, idle Docker channels are given back when a
session has to wait, and a refused session lowers the bound to what the
server allowed and waits for a free one. A server that allows none, or a
wait longer than SESSION_WAIT, is one line naming the limit.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import paramiko

from k8sm.errors import K8smError

#: Sessions open at once on one connection: below sshd's default MaxSessions of 10.
MAX_SESSIONS = 8
#: Seconds a session may wait for a free slot before k8sm gives up with one line.
SESSION_WAIT = 120.0
#: Seconds of refusals with none of our sessions open before the server is taken to allow none.
REFUSED_ALONE_GRACE = 2.0
#: The SSH code for a refused channel (sshd's answer past MaxSessions).
OPEN_CONNECT_FAILED = 2
_POLL = 0.05


class SessionLimitedTransport(paramiko.Transport):
    """A Transport that asks for the known host key types first and bounds its open sessions."""

    # paramiko's private Transport state used below (open_unix_socket, sessions_in_use); its stubs
    # leave it out. Annotations only: the attributes are paramiko's own.
    active: bool
    _channels: Any  # paramiko's ChannelMap
    _sanitize_window_size: Callable[[int | None], int]
    _sanitize_packet_size: Callable[[int | None], int]
    _next_channel: Callable[[], int]
    _send_user_message: Callable[[paramiko.Message], None]

    def __init__(self, sock: Any, *, label: str, preferred_keys: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(sock, **kwargs)
        self.label = label
        self.max_sessions = MAX_SESSIONS
        self.server_limit: int | None = None  # learned from a refusal
        #: Called when a session must wait: each closes idle channels it keeps (Docker's pool).
        self.idle_closers: list[Callable[[], None]] = []
        self._slots = threading.Condition()
        self._opening = 0
        #: The session channels (direct-tcpip channels are no sessions: MaxSessions does not count them).
        self._sessions: weakref.WeakSet[paramiko.Channel] = weakref.WeakSet()
        _prefer(self.get_security_options(), preferred_keys)

    def open_session(self, window_size: int | None = None, max_packet_size: int | None = None,
                     timeout: float | None = None) -> paramiko.Channel:
        deadline = time.monotonic() + SESSION_WAIT
        refused_alone = 0.0  # when the server first refused us with none of our sessions open
        while True:
            in_use = self._reserve(deadline)
            try:
                channel = super().open_session(window_size, max_packet_size, timeout)
                self._sessions.add(channel)
                return channel
            except paramiko.ChannelException as exc:
                if exc.code != OPEN_CONNECT_FAILED:
                    raise
            finally:
                self._release()
            if in_use:
                self._learn_limit(in_use)
                continue
            # nothing open on our side: a session we just closed may still count on the server's
            refused_alone = refused_alone or time.monotonic()
            if time.monotonic() - refused_alone > REFUSED_ALONE_GRACE:
                raise K8smError(f"the SSH server of {self.label} refused to open a session",
                                "check MaxSessions in its sshd_config (it must be at least 1)")
            time.sleep(_POLL)

    def open_unix_socket(self, path: str, timeout: float | None = None) -> paramiko.Channel:
        """A channel to a unix socket on the server: OpenSSH's direct-streamlocal@openssh.com, what
        `ssh -L PORT:/path` uses. No session and no shell. Raises paramiko.ChannelException when the
        server refuses (AllowStreamLocalForwarding no, no such socket, no permission on it).

        paramiko opens only the channel kinds it knows; this is its open_channel with the
        streamlocal request's fields (socket path, reserved string, reserved integer).
        """
        if not self.active:
            raise paramiko.SSHException("SSH session not active")
        timeout = self.channel_timeout if timeout is None else timeout
        with self.lock:
            window = self._sanitize_window_size(None)
            packet = self._sanitize_packet_size(None)
            chanid = self._next_channel()
            m = paramiko.Message()
            m.add_byte(paramiko.common.cMSG_CHANNEL_OPEN)
            m.add_string("direct-streamlocal@openssh.com")
            m.add_int(chanid)
            m.add_int(window)
            m.add_int(packet)
            m.add_string(path)
            m.add_string("")
            m.add_int(0)
            channel: Any = paramiko.Channel(chanid)  # Any: its private setters below are not in the stubs
            self._channels.put(chanid, channel)
            self.channel_events[chanid] = event = threading.Event()
            self.channels_seen[chanid] = True
            channel._set_transport(self)
            channel._set_window(window, packet)
        self._send_user_message(m)
        deadline = time.monotonic() + timeout
        while not event.wait(0.1):
            if not self.active or time.monotonic() > deadline:
                raise self.get_exception() or paramiko.SSHException("Unable to open channel.")
        opened = self._channels.get(chanid)
        if opened is None:
            raise self.get_exception() or paramiko.SSHException("Unable to open channel.")
        return opened

    def sessions_in_use(self) -> int:
        """Session channels open or being opened on this connection."""
        return sum(1 for channel in self._channels.values() if channel in self._sessions) + self._opening

    def _reserve(self, deadline: float) -> int:
        """Wait for a free slot and take it; the sessions in use before."""
        while True:
            with self._slots:
                in_use = self.sessions_in_use()
                if in_use < self.max_sessions:
                    self._opening += 1
                    return in_use
                if time.monotonic() > deadline:
                    raise self._limit_error()
            self._close_idle()  # outside the lock: closing a channel may take a moment
            with self._slots:
                self._slots.wait(_POLL)

    def _release(self) -> None:
        with self._slots:
            self._opening -= 1
            self._slots.notify_all()

    def _learn_limit(self, in_use: int) -> None:
        """The server refused a session while in_use were open: that is its limit."""
        with self._slots:
            self.server_limit = in_use
            self.max_sessions = min(self.max_sessions, in_use)
        self._close_idle()

    def _close_idle(self) -> None:
        for close in list(self.idle_closers):
            close()

    def _limit_error(self) -> K8smError:
        if self.server_limit is not None:
            return K8smError(f"the SSH server of {self.label} allows only {self.server_limit} session(s) at once "
                             f"(sshd's MaxSessions) and they stayed busy for {SESSION_WAIT:.0f}s",
                             "raise MaxSessions in its sshd_config (the default is 10)")
        return K8smError(f"all {self.max_sessions} SSH sessions to {self.label} stayed busy for {SESSION_WAIT:.0f}s")


def factory(label: str, preferred_keys: Sequence[str]) -> Callable[..., SessionLimitedTransport]:
    """A transport_factory for SSHClient.connect."""

    def make(sock: Any, **kwargs: Any) -> SessionLimitedTransport:
        return SessionLimitedTransport(sock, label=label, preferred_keys=preferred_keys, **kwargs)

    return make


def _prefer(options: paramiko.SecurityOptions, preferred: Sequence[str]) -> None:
    """Ask for the key types known_hosts has first (as ssh does), so a known key is what the server shows."""
    offered = list(options.key_types)
    first = [t for t in preferred if t in offered]
    if first:
        options.key_types = first + [t for t in offered if t not in first]
