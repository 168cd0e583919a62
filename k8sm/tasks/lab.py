"""`invoke run`, `invoke rm`, `invoke status`: the lab's containers."""

from __future__ import annotations

from invoke import Exit

from k8sm.tasks._common import k8sm_task, lab_of, say, target_of


@k8sm_task(help={"recreate": "recreate containers whose settings differ from hosts.yaml (their volumes stay)"})
def run(c, recreate=False):
    """Create the lab's network and containers (fixed IPs, hostnames, labels, volumes).

    Safe to repeat: creates only what is missing and starts what is stopped.
    """
    from k8sm.lab import run as run_lab

    lab = lab_of(c)
    target = target_of(c)
    say(f"lab {lab.name}: {len(lab.nodes)} nodes on {lab.network.name} ({lab.network.subnet}), {target.label}")
    actions = run_lab(target, lab, say, recreate=recreate)
    changed = [a for a in actions if a.changed]
    drifted = [a for a in actions if a.note]
    if not changed and drifted:
        say(f"lab {lab.name}: all {len(actions)} containers already running; {len(drifted)} out of date (see above)")
    elif not changed:
        say(f"lab {lab.name}: all {len(actions)} containers already running; nothing to do")
    else:
        counts: dict[str, int] = {}
        for a in changed:
            counts[a.action] = counts.get(a.action, 0) + 1
        say(f"lab {lab.name}: " + ", ".join(f"{n} {action}" for action, n in counts.items()))


@k8sm_task(
    name="rm",
    help={
        "volumes": "also remove the lab's volumes (daemon data)",
        "images": "also remove the lab's tagged images (the base image stays)",
    },
)
def rm(c, volumes=False, images=False):
    """Stop and remove this lab's containers, network and dangling images, found by label.

    Nothing that another lab or tool created is touched.
    """
    from k8sm.lab import describe_removal, remove

    lab = lab_of(c)
    done = remove(target_of(c), lab, say, volumes=volumes, images=images)
    say(describe_removal(done, lab, volumes))


@k8sm_task()
def status(c):
    """Show each node: role, IP, container state and its daemons' health.

    Exits 3 when a container is not running.
    """
    from k8sm.status import collect, table

    lab = lab_of(c)
    rows = collect(target_of(c), lab)
    say(table(rows))
    if any(r.container != "running" for r in rows):
        raise Exit(code=3)
