"""`invoke kubectl -- ARGS`: kubectl in the framework (or client) container, against the lab's apiserver."""

from __future__ import annotations

import sys

from invoke import Exit

from k8sm.tasks._common import k8sm_task, lab_of, say, where_of


@k8sm_task(help={
    "node": "run it on this node (the framework or client node; default: client if enabled, else framework)",
    "which": "say which kubectl the node has (the release's from build.k8s, or Debian's) and its version",
})
def kubectl(c, node=None, which=False):
    """Run kubectl in the lab: everything after -- goes to kubectl untouched; its exit code is kubectl's.

    Examples: invoke kubectl -- get pods; invoke kubectl -- create -f /opt/nginx.yaml;
    cat pod.yaml | invoke kubectl -- create -f -
    """
    from k8sm import kubectl as kc

    lab, target = lab_of(c), where_of(c)
    where = kc.kubectl_node(lab, node)
    if which:
        say(kc.which(target, where))
        return
    args = list((c.config.get("k8sm") or {}).get("remainder") or [])
    code = kc.run(target, where, args)
    if code:
        note = kc.mismatch_note(target, lab, where)
        if note:
            print(note, file=sys.stderr)
        raise Exit(code=code)
