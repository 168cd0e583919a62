"""k8sm.daemons.dind: each minion's own Docker engine."""

from __future__ import annotations

from k8sm.daemons import dind


def test_dind_argv_and_probe(lab):
    assert dind.argv(lab, lab.node("kubernetes-minion-0"))[0] == "k8sm-dind"
    assert dind.parse_probe('{"Version":"20.10.24+dfsg1","ApiVersion":"1.41"}\n@@http 200\n').detail == (
        "engine 20.10.24+dfsg1")
    assert not dind.parse_probe("\n@@http 000\n").healthy
