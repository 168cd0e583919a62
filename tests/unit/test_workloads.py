"""k8sm.workloads: which workload images a minion's engine lacks, read from its own /images/json."""

from __future__ import annotations

import json

from k8sm import topology, workloads
from k8sm.node import LOST
from k8sm.target import ExecResult
from tests.cli import ROOT

LAB = topology.load(ROOT / "hosts.yaml")
WANT = [workloads.Wanted("k8sm/busybox:latest", "sha256:b", "k8sm/busybox:latest"),
        workloads.Wanted("k8sm/pause:latest", "sha256:p", "k8sm/pause:0.8.0"),
        workloads.Wanted("k8sm/nginx:bookworm", "sha256:n", "docker.io/library/nginx")]


class Minions:
    label = "fake"

    def __init__(self, answers: dict[str, ExecResult]) -> None:
        self.answers = answers

    def exec_each(self, jobs):
        assert all(argv == workloads.LIST_ARGV for _, argv in jobs)
        return [self.answers[container] for container, _ in jobs]


def images(*pairs: tuple[str, list[str]]) -> str:
    return json.dumps([{"Id": image_id, "RepoTags": tags} for image_id, tags in pairs])


def test_a_minion_lacks_what_its_engine_does_not_list_under_that_name_and_id():
    m0, m1, m2 = LAB.role("minion")[:3]
    target = Minions({
        m0.container: ExecResult(0, images(("sha256:b", ["k8sm/busybox:latest"]), ("sha256:p", ["k8sm/pause:0.8.0"]),
                                          ("sha256:n", ["nginx:latest"]), ("sha256:x", None))),
        m1.container: ExecResult(0, images(("sha256:old", ["k8sm/busybox:latest"]))),  # another version
        m2.container: ExecResult(LOST, ""),                                            # unreadable: load all
    })
    missing = workloads.missing_on(target, [m0, m1, m2], WANT)
    assert m0.name not in missing
    assert [w.name for w in missing[m1.name]] == [w.name for w in WANT]
    assert missing[m2.name] == WANT


def test_names_are_compared_as_the_engine_lists_them():
    assert workloads.reference("docker.io/library/nginx") == "nginx:latest"
    assert workloads.reference("k8sm/pause:0.8.0") == "k8sm/pause:0.8.0"
    assert workloads.reference("localhost:5000/x") == "localhost:5000/x:latest"
    assert workloads.tagged("not json") is None and workloads.tagged('{"message": "x"}') is None
