"""k8sm.kubectl: which node runs kubectl, its arguments, and the note after a failed kubectl when Debian's kubectl
meets km's (much older) apiserver."""

from __future__ import annotations

import json

import pytest

from k8sm import kubectl, topology
from k8sm.errors import K8smError
from k8sm.target import ExecResult
from tests.cli import ROOT

LAB = topology.load(ROOT / "hosts.yaml")
NODE = LAB.framework
VERSION = json.dumps({"major": "1", "minor": "1", "gitVersion": "v1.1.8"})


class Answers:
    """Each exec answered in order: `command -v kubectl` + its version, then the apiserver's /version."""

    def __init__(self, which: ExecResult, version: ExecResult) -> None:
        self.results = [which, version]
        self.asked: list[list[str]] = []

    def exec_each(self, jobs):
        self.asked += [list(argv) for _, argv in jobs]
        return [self.results.pop(0) for _ in jobs]


def test_debians_kubectl_against_a_km_apiserver_gets_the_note():
    target = Answers(ExecResult(0, "/usr/bin/kubectl\nClient Version: v1.20.2\n"),
                     ExecResult(0, f"{VERSION}\n@@http 200\n"))
    note = kubectl.mismatch_note(target, LAB, NODE)
    assert note is not None and "Debian's kubectl (Client Version: v1.20.2)" in note
    assert "Kubernetes v1.1.8" in note and "invoke build.k8s" in note and "\n" not in note
    assert target.asked[1][-1] == f"http://{NODE.ip}:{LAB.ports.apiserver}/version"


@pytest.mark.parametrize(("which", "version"), [
    (ExecResult(0, "/opt/kubernetes/bin/kubectl\nClient Version: v1.1.8\n"), ExecResult(0, f"{VERSION}\n@@http 200\n")),
    (ExecResult(0, "/usr/bin/kubectl\nClient Version: v1.20.2\n"), ExecResult(0, "\n@@http 000\n")),
    (ExecResult(0, "/usr/bin/kubectl\nClient Version: v1.20.2\n"), ExecResult(0, "<html>\n@@http 200\n")),
    (ExecResult(1, "no kubectl\n"), ExecResult(0, f"{VERSION}\n@@http 200\n")),
])
def test_no_note_when_kubectl_is_kms_own_or_the_apiserver_does_not_say(which, version):
    assert kubectl.mismatch_note(Answers(which, version), LAB, NODE) is None


def test_kubectl_runs_in_the_framework_unless_a_client_is_enabled(lab):
    assert kubectl.kubectl_node(lab).name == "kubernetes-mesos"
    with_client = topology.parse((ROOT / "hosts.yaml").read_text().replace(
        "role: client, enabled: false", "role: client"))
    assert kubectl.kubectl_node(with_client).name == "kubernetes-client"
    with pytest.raises(K8smError, match="has no kubectl"):
        kubectl.kubectl_node(lab, "etcd-0")


def test_kubectl_arguments_are_passed_as_given(lab):
    node = lab.node("kubernetes-mesos")
    args = ["get", "pods", "-l", "app in (a, b)", "-o", "jsonpath={.items[*].metadata.name}"]
    assert kubectl.exec_argv(node, args, tty=False) == ["docker", "exec", "-i", "kubernetes-mesos", "kubectl", *args]
    assert kubectl.exec_argv(node, ["get", "pods"], tty=True)[:3] == ["docker", "exec", "-it"]
