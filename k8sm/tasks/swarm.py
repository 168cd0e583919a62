"""`invoke swarm.init`, `swarm.status`, `swarm.leave`: a Docker Swarm across the lab's hosts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from invoke import Collection, Exit

from k8sm.tasks._common import k8sm_task, lab_of, say

if TYPE_CHECKING:
    from invoke import Context

    from k8sm.swarm import Member

#: Where the k8sm program puts the hosts of `k8sm -H a,b swarm.*` (one run with all of them): [name, address] pairs.
CLI_HOSTS = "swarm_hosts"


def _members(c: Context) -> list[Member]:
    """Every host's Swarm state, the first host (the manager) first."""
    from k8sm import swarm
    from k8sm.errors import K8smError
    from k8sm.placement import open_hosts
    from k8sm.topology import PhysicalHost

    lab = lab_of(c)
    given = (c.config.get("k8sm") or {}).get(CLI_HOSTS)
    if given:
        hosts = [lab.host(name) or PhysicalHost(name, address) for name, address in given]
    else:
        hosts = list(lab.lab_hosts)
    if not hosts:
        raise K8smError("no hosts to make a Swarm of", "name them in hosts.yaml's hosts: section (and place nodes "
                        "there with host:), or give them with `k8sm -H a,b`")
    targets = open_hosts(c.config, hosts)
    return swarm.survey(targets, {h.name: h.advertise_address for h in hosts})


def _spans_hosts(task: Any) -> Any:
    """Marks a task that the k8sm program runs once with every -H host, not once per host."""
    task.spans_hosts = True
    return task


@_spans_hosts
@k8sm_task()
def init(c):
    """Make a Docker Swarm of the hosts: the first its manager, the others workers.

    The hosts: the lab's, from hosts.yaml (the first of its hosts: section is the manager), or
    those of `k8sm -H a,b swarm.init` (hosts.yaml names or addresses, the first the manager).
    Idempotent: what is in place stays. Refused, before anything changes, when a host is already
    in another Swarm, or when the first host is a worker. Each host advertises
    hosts.NAME.advertise_address of hosts.yaml (the address the others reach it at), else the
    address Docker chooses. Needs 2377/tcp to the manager and 7946/tcp+udp and 4789/udp between
    the hosts (`invoke doctor` checks them).
    """
    from k8sm import swarm

    swarm.init(_members(c), say)


@_spans_hosts
@k8sm_task()
def status(c):
    """Show where each host stands in the Swarm.

    Its address, state, role, and whether it is in the first host's Swarm. The hosts are those of
    swarm.init. Exits 1 unless they form one Swarm with the first as a manager.
    """
    from k8sm import swarm

    members = _members(c)
    cluster = swarm.cluster_of(members[0])
    say(swarm.table(members, cluster))
    if any(m.state is None for m in members) or swarm.joined_problem(members, cluster):
        raise Exit(code=1)


@_spans_hosts
@k8sm_task()
def leave(c):
    """Take the hosts out of their Swarm, workers first.

    The workers leave the first host's Swarm, then the manager (which ends the Swarm). The hosts
    are those of swarm.init. A host in another Swarm is left alone. Refused when the manager's Swarm has live nodes that
    are not among the hosts. Remove the lab first (`invoke rm`, or `rm --leave-swarm` for both).
    """
    from k8sm import swarm
    from k8sm.errors import K8smError

    lab = lab_of(c)
    members = _members(c)
    if lab.multi_host and members[0].state is not None and members[0].state.manager:
        from k8sm.engine import network_info

        if network_info(members[0].target, lab.network.name) is not None:
            raise K8smError(f"lab {lab.name}'s overlay network {lab.network.name} is still there",
                            "remove the lab first: `invoke rm` (or `invoke rm --leave-swarm`)")
    swarm.leave(members, say)


ns = Collection("swarm")
ns.add_task(init)
ns.add_task(status)
ns.add_task(leave)
