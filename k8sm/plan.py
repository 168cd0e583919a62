"""The lab's start plan: the one order its daemons start in; stopping runs it backwards.

Everything that orders daemons derives from START_ORDER: k8sm.daemons.ALL and
daemons.stopping (and with them `invoke up`, `down`, `k8sm.kill` and status), and the
`timeouts:` keys hosts.yaml may name. What each start waits for is k8sm.daemons.gates.
"""

from __future__ import annotations

#: The daemons by their k8sm-daemon names, in the order they start (they stop in the reverse order).
START_ORDER: tuple[str, ...] = ("etcd", "zookeeper", "mesos-master", "docker", "mesos-slave", "apiserver",
                                "controller-manager", "scheduler")
