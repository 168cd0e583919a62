"""Docker Swarm across a multi-host lab's hosts: what its overlay network stands on.

`init` makes the first host a Swarm manager (or finds it one) and joins the
others as workers with the manager's token; `leave` takes them out again,
workers first; `survey` says where each host stands. Every decision is made
from all the hosts' states before anything changes, so a host that is already
in another Swarm is refused and nothing is touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from k8sm import engine, parallel
from k8sm.engine import SwarmState
from k8sm.errors import K8smError
from k8sm.output import Say, columns
from k8sm.target import Target


@dataclass(frozen=True)
class Member:
    """One host as the survey found it: its Swarm state, or why it could not be asked."""

    host: str
    target: Target
    state: SwarmState | None
    problem: str = ""
    advertise: str = ""

    @property
    def label(self) -> str:
        return f"host {self.host}"


def survey(targets: Mapping[str, Target], advertise: Mapping[str, str] | None = None) -> list[Member]:
    """Every host's Swarm state, asked at once; an unreachable host's member says why."""
    advertise = advertise or {}

    def ask(host: str) -> SwarmState:
        return engine.swarm_state(targets[host])

    members = []
    for o in parallel.each(ask, list(targets)):
        problem = str(o.error) if isinstance(o.error, K8smError) else ""
        if o.error is not None and not problem:
            raise o.error
        members.append(Member(o.item, targets[o.item], o.value, problem, advertise.get(o.item, "")))
    return members


def reachable(members: Sequence[Member]) -> list[Member]:
    """The members, or a K8smError naming the first host that cannot be asked."""
    for m in members:
        if m.state is None:
            raise K8smError(f"{m.label}: {m.problem}")
    return list(members)


# ------------------------------------------------------------------ the plans (pure)


def same_engines(members: Sequence[Member]) -> None:
    """Refuse two hosts that reach one Docker engine: a Swarm of one engine twice is not two hosts."""
    seen: dict[str, str] = {}
    for m in members:
        assert m.state is not None
        if m.state.engine_id and m.state.engine_id in seen:
            raise K8smError(f"hosts {seen[m.state.engine_id]} and {m.host} reach the same Docker engine "
                            f"(ID {m.state.engine_id})", "give each machine once in hosts.yaml's hosts: or in -H")
        seen[m.state.engine_id] = m.host


def plan_init(members: Sequence[Member], cluster_nodes: set[str] | None) -> list[tuple[Member, str]]:
    """(member, action) for every host: create, manager, join or member; K8smError if any host must be refused.

    members[0] is the manager; cluster_nodes are the node IDs of its Swarm (None when it has none).
    """
    same_engines(members)
    manager, *workers = members
    state = manager.state
    assert state is not None
    if state.state == "active" and not state.manager:
        raise K8smError(f"{manager.label} is a worker in a Swarm, and the first host must be its manager",
                        "list a manager of that Swarm first, or take the host out of it (`docker swarm leave`)")
    _refuse_unsettled(manager)
    plan = [(manager, "manager" if state.state == "active" else "create")]
    for m in workers:
        assert m.state is not None
        _refuse_unsettled(m)
        if m.state.state == "inactive":
            plan.append((m, "join"))
        elif cluster_nodes is not None and m.state.node_id in cluster_nodes:
            plan.append((m, "member"))
        else:
            managers = ", ".join(m.state.managers) or "unknown"
            raise K8smError(f"{m.label} is already in another Swarm (its managers: {managers})",
                            f"take it out there (`docker swarm leave` on {m.host}) or list that Swarm's manager first")
    return plan


def _refuse_unsettled(m: Member) -> None:
    assert m.state is not None
    if m.state.state not in ("active", "inactive"):
        detail = f": {m.state.error}" if m.state.error else ""
        raise K8smError(f"{m.label} is in Swarm state {m.state.state}{detail}",
                        f"settle it on {m.host} first (`docker swarm leave --force`, or unlock it)")


def plan_leave(members: Sequence[Member], cluster_nodes: set[str] | None) -> list[tuple[Member, str]]:
    """(member, action) for every host: leave, none (in no Swarm) or other (in a Swarm the first host does not
    manage: left alone); workers first, the manager last. K8smError if the manager's Swarm has live nodes
    that are not among the hosts (leaving would end it for them).

    cluster_nodes are the live node IDs of the first host's Swarm (None when it manages none).
    """
    def action(m: Member) -> str:
        assert m.state is not None
        if m.state.state == "inactive":
            return "none"
        return "leave" if cluster_nodes is not None and m.state.node_id in cluster_nodes else "other"

    manager, *workers = members
    others = (cluster_nodes or set()) - {m.state.node_id for m in members if m.state is not None}
    if others and action(manager) == "leave":
        raise K8smError(f"the Swarm that {manager.label} manages has {len(others)} node(s) besides the lab's hosts; "
                        "leaving would end it for them",
                        f"leave it yourself if you mean it (`docker swarm leave --force` on {manager.host})")
    return [(m, action(m)) for m in workers] + [(manager, action(manager))]


def joined_problem(members: Sequence[Member], cluster_nodes: set[str] | None) -> str:
    """Why the hosts are not one Swarm with the first host as a manager, or "" if they are."""
    manager = members[0]
    assert manager.state is not None
    if manager.state.state != "active" or not manager.state.manager:
        return f"{manager.label} is not a Swarm manager"
    for m in members[1:]:
        assert m.state is not None
        if m.state.state != "active" or cluster_nodes is None or m.state.node_id not in cluster_nodes:
            return f"{m.label} is not in the Swarm of host {manager.host}"
    return ""


# ------------------------------------------------------------------ actions


def cluster_of(manager: Member, *, live: bool = False) -> set[str] | None:
    """The node IDs of the manager's Swarm (with live, only nodes not down), or None when it manages none."""
    state = manager.state
    if state is None or state.state != "active" or not state.manager:
        return None
    return engine.swarm_node_ids(manager.target, live=live)


def init(members: Sequence[Member], say: Say) -> None:
    """Make the first host a manager and join the others as workers; what is done already stays."""
    members = reachable(members)
    plan = plan_init(members, cluster_of(members[0]))
    manager = members[0]
    if plan[0][1] == "create":
        _init_manager(manager)
    state = engine.swarm_state(manager.target)
    say(f"{manager.host}: manager of Swarm {state.cluster_id[:12]} at {state.node_addr} "
        f"({'created' if plan[0][1] == 'create' else 'already'})")
    remote = [f"{state.node_addr}:{engine.SWARM_PORT}"]
    token = engine.swarm_worker_token(manager.target) if any(a == "join" for _, a in plan) else ""
    for m, action in plan[1:]:
        if action == "join":
            _join(m, remote, token)
        say(f"{m.host}: worker ({'joined' if action == 'join' else 'already'})")


def _init_manager(m: Member) -> None:
    try:
        engine.swarm_init(m.target, m.advertise)
    except engine.EngineRefused as exc:
        if "advertise" in exc.detail.lower():
            raise K8smError(f"{m.label}: Docker cannot choose the address to advertise ({exc.detail})",
                            f"set hosts.{m.host}.advertise_address in hosts.yaml to the address the other "
                            "hosts reach it at") from None
        raise


def _join(m: Member, remote: list[str], token: str) -> None:
    try:
        engine.swarm_join(m.target, remote, token, m.advertise)
    except engine.EngineRefused as exc:
        raise K8smError(f"{m.label} could not join the Swarm at {remote[0]}: {exc.detail.splitlines()[0]}",
                        f"check that {m.host} reaches {remote[0]} (`invoke doctor` checks the Swarm ports), and "
                        f"hosts.{m.host}.advertise_address") from None


#: What swarm.leave says of each host, by its plan_leave action.
LEFT = {"leave": "left the Swarm", "none": "not in a Swarm", "other": "in another Swarm: left alone"}


def leave(members: Sequence[Member], say: Say) -> None:
    """Take the hosts out of the first host's Swarm, workers first; the manager last, ending the Swarm."""
    members = reachable(members)
    for m, action in plan_leave(members, cluster_of(members[0], live=True)):
        if action == "leave":
            engine.swarm_leave(m.target, force=m is members[0])
        say(f"{m.host}: {LEFT[action]}")


def require_joined(members: Sequence[Member]) -> None:
    """Raise unless the hosts form one Swarm with the first as a manager (the overlay needs it)."""
    members = reachable(members)
    same_engines(members)
    problem = joined_problem(members, cluster_of(members[0]))
    if problem:
        raise K8smError(f"{problem}, and the lab's overlay network needs one Swarm across its hosts",
                        "run `invoke swarm.init` (or `k8sm swarm.init`) first")


def table(members: Sequence[Member], cluster_nodes: set[str] | None) -> str:
    """swarm.status: each host's address, state, role, and its Swarm (the first host's, or another)."""
    manager_cluster = members[0].state.cluster_id if members[0].state else ""
    lines = [("HOST", "ADDRESS", "STATE", "ROLE", "SWARM")]
    for m in members:
        if m.state is None:
            lines.append((m.host, m.target.label, f"unreachable ({m.problem})", "-", "-"))
            continue
        s = m.state
        role = "manager" if s.manager else "worker" if s.state == "active" else "-"
        ours = cluster_nodes is not None and s.node_id in cluster_nodes
        swarm = "-" if s.state != "active" else (manager_cluster[:12] if ours else "another Swarm")
        lines.append((m.host, s.node_addr or m.target.label, s.state, role, swarm))
    return "\n".join(line.rstrip() for line in columns(lines))
