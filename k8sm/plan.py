"""The lab's start plan: one ordered list of steps, one per daemon (kind's ordered actions).

This is the one place the start order lives. Everything that orders daemons derives from PLAN:
  - k8sm.daemons.ALL (the registry, in plan order) and daemons.needs / daemons.stopping;
  - `invoke up` (a stage runs once the stages its step needs are done) and `invoke down`
    (each node's daemons in reverse plan order);
  - each daemon task's --start (k8sm.daemons.verbs: wait for the step's gates, start the
    step's `first` daemons on the same nodes, then it) and `invoke k8sm.kill` (plan reversed);
  - the gates (k8sm.daemons.gates.GATES is built from the steps' `waits`);
  - the seed-style scripts: `invoke run` writes the plan into every node as /etc/k8sm/plan
    (plan_file), and `k8sm-daemon order|task|dir` answer the scripts from it;
  - the `timeouts:` keys hosts.yaml may name (k8sm.topology.DAEMON_NAMES).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Kinds of wait: what of a daemon must hold before a later step starts.
MAJORITY = "majority"  # a majority of its nodes healthy (a quorum)
ALL_HEALTHY = "all-healthy"  # every one of its nodes healthy
LEADER = "leader"  # one of its nodes says it leads
WAIT_KINDS = (MAJORITY, ALL_HEALTHY, LEADER)


@dataclass(frozen=True)
class Wait:
    """A gate a step waits for, across the lab: checked by polling (k8sm.daemons.gates), never slept."""

    daemon: str  # the earlier step whose health opens it
    kind: str  # one of WAIT_KINDS


@dataclass(frozen=True)
class Step:
    """One daemon's place in the plan."""

    daemon: str  # its k8sm-daemon name
    waits: tuple[Wait, ...] = ()  # gates it waits for (daemons anywhere in the lab)
    first: tuple[str, ...] = ()  # daemons of the same nodes that its own --start starts first

    @property
    def needs(self) -> tuple[str, ...]:
        """The daemons that must be up before this one starts: those its waits name, then its `first`."""
        return tuple(dict.fromkeys([*(w.daemon for w in self.waits), *self.first]))


#: The start order. A step may only need the steps above it (checked below, at import).
PLAN: tuple[Step, ...] = (
    Step("etcd"),
    Step("zookeeper"),
    Step("mesos-master", waits=(Wait("zookeeper", MAJORITY),)),
    Step("docker"),
    Step("mesos-slave", waits=(Wait("mesos-master", LEADER),), first=("docker",)),
    Step("apiserver", waits=(Wait("etcd", MAJORITY),)),
    Step("controller-manager", waits=(Wait("apiserver", ALL_HEALTHY),)),
    Step("scheduler", waits=(Wait("mesos-master", LEADER), Wait("apiserver", ALL_HEALTHY))),
)

#: The daemons by their k8sm-daemon names, in the order they start (they stop in the reverse order).
START_ORDER: tuple[str, ...] = tuple(s.daemon for s in PLAN)


def _check(plan: tuple[Step, ...]) -> None:
    """Raise unless each step names a new daemon and needs only steps above it, with known wait kinds."""
    seen: list[str] = []
    for s in plan:
        late = [n for n in s.needs if n not in seen]
        if s.daemon in seen or late or any(w.kind not in WAIT_KINDS for w in s.waits):
            raise ImportError(f"k8sm.plan: step {s.daemon} repeats a daemon, needs {late} before they start, "
                              f"or names an unknown wait kind")
        seen.append(s.daemon)


_check(PLAN)


def step(daemon: str) -> Step:
    """The plan's step of a daemon (KeyError for a name not in the plan)."""
    for s in PLAN:
        if s.daemon == daemon:
            return s
    raise KeyError(daemon)


def in_start_order(names: list[str] | tuple[str, ...]) -> list[str]:
    """names, sorted into the plan's start order (names not in the plan last, as given)."""
    position = {name: i for i, name in enumerate(START_ORDER)}
    return sorted(names, key=lambda n: position.get(n, len(position)))


def in_stop_order(names: list[str] | tuple[str, ...]) -> list[str]:
    """names, in the order they stop: the start order reversed."""
    return list(reversed(in_start_order(names)))


#: Where `invoke run` writes plan_file in every node; scripts/k8sm-daemon reads it.
PLAN_PATH = "/etc/k8sm/plan"


def plan_file(role_of: dict[str, str], task_of: dict[str, str]) -> str:
    """The plan as `k8sm-daemon order|task` reads it: `NAME ROLE TASK FIRST` per step, in start order
    (FIRST: the same-node daemons its start starts first, comma-separated, or -)."""
    lines = [f"{s.daemon} {role_of[s.daemon]} {task_of[s.daemon]} {','.join(s.first) or '-'}\n" for s in PLAN]
    return ("# written by `invoke run` from k8sm/plan.py: the daemons in start order (they stop in reverse)\n"
            "# NAME ROLE TASK FIRST\n" + "".join(lines))
