"""`doctor` for a multi-host lab: what its overlay network needs between the hosts, each with a fix.

One Swarm with the first host as manager; the kernel's vxlan support on every
host; the Swarm's ports: 2377/tcp on the manager and 7946/tcp listening on
every host, and reachable (TCP) from the others at their Swarm addresses; and
the overlay's data path (4789/udp, with 7946/udp gossip), which only traffic
over the overlay itself shows: from a running node on each host to a node on
another host.
"""

from __future__ import annotations

from collections.abc import Sequence

from k8sm import engine, labels, swarm
from k8sm.doctor import Finding, listening_ports
from k8sm.errors import K8smError
from k8sm.node import exec_on
from k8sm.placement import Placement
from k8sm.target import Target
from k8sm.topology import Lab, Node

#: The Swarm's gossip port (tcp and udp) and the overlay's data path port (udp, VXLAN).
GOSSIP_PORT = 7946
DATA_PORT = 4789
PORTS_FIX = (f"open {engine.SWARM_PORT}/tcp to the manager, {GOSSIP_PORT}/tcp+udp and {DATA_PORT}/udp between "
             "the hosts (firewall, security groups), and check hosts.NAME.advertise_address")

#: A TCP connection to $1:$2 (bash's /dev/tcp): exit 0 if it was made.
_CONNECT = 'exec 3<>"/dev/tcp/$1/$2"'
#: Exit 0 if $1:$2 answered at all: connected, or refused (a refusal came back across the path).
_ANSWERS = f'out=$({{ {_CONNECT}; }} 2>&1) && exit 0; case $out in *refused*) exit 0 ;; esac; exit 1'
#: A port nothing listens on in the lab's containers.
_PROBE_PORT = 1


def findings(placement: Placement, lab: Lab) -> list[Finding]:
    """The overlay's checks; the port and data-path checks need the Swarm."""
    members = swarm.survey(placement.targets)
    found = [_vxlan(host, t) for host, t in placement.targets.items() if _reached(members, host)]
    try:
        swarm.require_joined(members)
    except K8smError as exc:
        return [Finding("swarm", "fail", exc.message, exc.hint or ""), *found]
    manager = members[0]
    assert manager.state is not None
    found.insert(0, Finding("swarm", "ok", f"hosts {', '.join(placement.targets)} form one Swarm; "
                                           f"manager {manager.host} at {manager.state.node_addr}"))
    return found + _ports(members) + [_data_path(placement, lab)]


def _reached(members: Sequence[swarm.Member], host: str) -> bool:
    return any(m.host == host and m.state is not None for m in members)


def _vxlan(host: str, target: Target) -> Finding:
    script = "test -d /sys/module/vxlan || modinfo vxlan >/dev/null 2>&1"
    result = target.sh(["sh", "-c", script], hide=True, warn=True)
    if result.ok:
        return Finding(f"{host}: kernel vxlan", "ok", "the kernel has vxlan (the overlay's tunnels)")
    return Finding(f"{host}: kernel vxlan", "fail", "the kernel shows no vxlan support (no /sys/module/vxlan, "
                   "no module for modinfo)", "load it (`modprobe vxlan`; some distributions ship it in "
                   "linux-modules-extra), or use a kernel built with CONFIG_VXLAN")


def _ports(members: Sequence[swarm.Member]) -> list[Finding]:
    """Each host's Swarm ports listening, and reachable over TCP from every other host."""
    found = []
    for m in members:
        assert m.state is not None
        wanted = [engine.SWARM_PORT, GOSSIP_PORT] if m.state.manager else [GOSSIP_PORT]
        closed = [p for p in wanted if p not in listening_ports(m.target)]
        address = m.state.node_addr
        unreached = [f"{p} from {other.host}" for other in members if other is not m for p in wanted
                     if not _connects(other, address, p)]
        check = f"{m.host}: swarm ports"
        if closed:
            found.append(Finding(check, "fail", f"not listening: {', '.join(f'{p}/tcp' for p in closed)}",
                                 "the engine listens once it is in the Swarm: `invoke swarm.init`"))
        elif unreached:
            found.append(Finding(check, "fail", f"{address}: no TCP connection to " + ", ".join(unreached),
                                 PORTS_FIX))
        else:
            found.append(Finding(check, "ok", f"{', '.join(f'{p}/tcp' for p in wanted)} at {address}, "
                                              "reachable from the other hosts"))
    return found


def _connects(m: swarm.Member, address: str, port: int) -> bool:
    """Whether host m gets a TCP connection to address:port (from the host itself, through its shell)."""
    argv = ["timeout", "3", "bash", "-c", _CONNECT, "k8sm-doctor", address, str(port)]
    return bool(m.target.sh(argv, hide=True, warn=True).ok)


def _data_path(placement: Placement, lab: Lab) -> Finding:
    """From one running node per host to a node on another host, over the overlay (TCP; a refusal counts)."""
    from k8sm.lab import list_containers

    check = "overlay data path"
    running = {c["Labels"].get(labels.NODE) for c in list_containers(placement, lab) if c["State"] == "running"}
    first: dict[str, Node] = {}
    for node in lab.nodes:
        if node.name in running:
            first.setdefault(placement.host_of(node), node)
    if len(first) < 2:
        return Finding(check, "warn", "not checked: it needs running nodes on two hosts",
                       "`invoke run` (or `invoke up`), then `invoke doctor` again")
    hosts = list(first)
    pairs = [(first[h], first[hosts[(i + 1) % len(hosts)]]) for i, h in enumerate(hosts)]
    argv = ["timeout", "3", "bash", "-c", _ANSWERS]
    results = exec_on(placement, [(a, [*argv, "k8sm-doctor", b.ip, str(_PROBE_PORT)]) for a, b in pairs])
    failed = [f"{a.name} ({placement.host_of(a)}) -> {b.name} ({placement.host_of(b)}, {b.ip})"
              for (a, b), r in zip(pairs, results, strict=True) if not r.ok]
    if failed:
        return Finding(check, "fail", "no packet crossed: " + "; ".join(failed), PORTS_FIX)
    return Finding(check, "ok", "nodes reach each other across the hosts: " + "; ".join(
        f"{a.name} -> {b.name}" for a, b in pairs))
