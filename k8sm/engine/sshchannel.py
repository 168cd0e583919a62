"""A Docker API client that talks through an already-open SSH connection.

Each HTTP connection is an SSH channel running `docker system dial-stdio` on
the remote host, the same mechanism the docker CLI uses for ssh:// hosts.
Unlike docker-py's own ssh:// support, it reuses the paramiko client that
Fabric opened, so the identity, port, user, known_hosts and timeouts are
exactly those of the `-H` connection: the user sets up SSH once, and the
remote needs no open TCP port or extra daemon. Each channel is an SSH session:
idle ones are given back when the connection runs short of sessions
(see k8sm.sshtransport). Only k8sm.engine.client imports this module.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import docker
from docker.transport.sshconn import SSHHTTPAdapter

#: Any API version the engine accepts for the version query itself.
_BOOTSTRAP_VERSION = "1.24"
#: Idle channels kept per pool (k8sm.sshtransport bounds the sessions open at once).
POOL_SIZE = 4


class _ChannelAdapter(SSHHTTPAdapter):
    """docker-py's SSH adapter, minus its own paramiko connection."""

    def __init__(self, ssh_client: Any, reconnect: Callable[[], None], timeout: int,
                 max_pool_size: int = POOL_SIZE) -> None:
        # Deliberately not calling SSHHTTPAdapter.__init__: it would open a second connection.
        from docker import constants
        from urllib3._collections import RecentlyUsedContainer

        self.ssh_client = ssh_client
        self._reconnect = reconnect
        self.ssh_host = "fabric"
        self.ssh_params: dict[str, Any] = {}
        self.timeout = timeout
        self.max_pool_size = max_pool_size
        self.pools: RecentlyUsedContainer[str, Any] = RecentlyUsedContainer(
            constants.DEFAULT_NUM_POOLS_SSH, dispose_func=lambda p: p.close())
        super(SSHHTTPAdapter, self).__init__()

    def _connect(self) -> None:
        self._reconnect()

    def get_connection(self, url: str, proxies: Any = None) -> Any:
        # docker-py keys its pools by the full URL, so every new path (/exec/ID/json, ...)
        # would open a new channel, ~0.1 s each; every request shares one pool here.
        return super().get_connection("http+docker://ssh/", proxies)

    def close(self) -> None:
        # The SSH connection belongs to Fabric; only our pools are ours to close.
        self.pools.clear()

    def close_idle(self) -> None:
        """Close the channels waiting in the pools, keeping the pools usable."""
        for key in self.pools.keys():  # the container refuses plain iteration
            pool = self.pools.get(key)
            if pool is not None:
                _close_idle_connections(pool)


def _close_idle_connections(pool: Any) -> None:
    """Take every idle connection out of a urllib3 pool's queue, close it, leave an empty slot."""
    slots = getattr(pool, "pool", None)
    if slots is None:  # a closed pool
        return
    taken = []
    while True:
        try:
            taken.append(slots.get(block=False))
        except queue.Empty:
            break
    for conn in taken:
        if conn is not None:
            conn.close()
        try:
            slots.put(None, block=False)
        except queue.Full:
            pass


def api_client(ssh_client: Any, reconnect: Callable[[], None], timeout: int) -> docker.APIClient:
    """An APIClient whose requests travel over ssh_client, with the engine's API version negotiated."""
    client = docker.APIClient(base_url="ssh://k8sm", version=_BOOTSTRAP_VERSION, timeout=timeout,
                              use_ssh_client=True)  # shell-out mode: connects nothing at construction
    adapter = _ChannelAdapter(ssh_client, reconnect, timeout)
    transport = ssh_client.get_transport()
    if hasattr(transport, "idle_closers"):  # k8sm's SessionLimitedTransport
        transport.idle_closers.append(adapter.close_idle)
    client._custom_adapter = adapter
    client.mount("http+docker://ssh", adapter)
    client._version = client._retrieve_server_version()
    return client
