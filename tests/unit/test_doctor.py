"""k8sm.doctor: findings from stand-in checks, the table, and `doctor --json` through the real command lines."""

from __future__ import annotations

import json

import pytest

from k8sm import doctor, topology
from k8sm.doctor import Finding
from k8sm.errors import K8smError
from tests.cli import ROOT, invoke, k8sm

LAB = topology.load(ROOT / "hosts.yaml")
CHECKS = ("_security", "_subnet", "_ports", "_disk", "_base_image", "_images", "_dists", "_open_files")


class FakeDocker:
    def __init__(self, version=None):
        self._version = version

    def version(self):
        if self._version is None:
            raise K8smError("cannot reach the Docker engine at unix:///x", "start it")
        return self._version


class FakeTarget:
    label = "fake"

    def __init__(self, version=None):
        self.docker = FakeDocker(version)


@pytest.fixture
def checks(monkeypatch):
    """Every check of diagnose_host replaced by one that finds `ok` (tests replace some of them)."""
    for name in CHECKS:
        monkeypatch.setattr(doctor, name, lambda target, lab, name=name: [Finding(name.strip("_"), "ok", "fine")])
    return monkeypatch


def test_every_check_runs_in_order_after_the_engine(checks):
    findings = doctor.diagnose_host(FakeTarget({"Version": "24.0", "ApiVersion": "1.43"}), LAB)
    assert [f.check for f in findings] == ["docker engine", *(n.strip("_") for n in CHECKS)]
    assert findings[0].detail == "Docker 24.0 (API 1.43) on fake" and doctor.exit_code(findings) == 0


def test_an_engine_that_cannot_be_reached_is_the_one_finding(checks):
    assert doctor.diagnose_host(FakeTarget(), LAB) == [
        Finding("docker engine", "fail", "cannot reach the Docker engine at unix:///x", "start it")]


def test_a_check_that_raises_is_a_failed_finding_named_after_it(checks):
    def _subnet(target, lab):
        raise K8smError("the subnet cannot be read", "look at the engine")

    checks.setattr(doctor, "_subnet", _subnet)
    findings = doctor.diagnose_host(FakeTarget({"Version": "24.0"}), LAB)
    assert Finding("subnet", "fail", "the subnet cannot be read", "look at the engine") in findings
    assert len(findings) == 1 + len(CHECKS) and doctor.exit_code(findings) == 1


def test_a_warning_alone_does_not_fail():
    assert doctor.exit_code([Finding("a", "ok", ""), Finding("b", "warn", "less", "do x")]) == 0
    assert doctor.exit_code([Finding("a", "fail", "no")]) == 1


def test_the_table_shows_fixes_only_for_problems():
    text = doctor.table([Finding("engine", "ok", "fine", "never shown"), Finding("disk space", "warn", "2 GiB", "free")])
    assert text.splitlines() == ["engine      OK    fine", "disk space  WARN  2 GiB", "                  fix: free"]


def test_json_carries_every_finding_with_its_fix():
    findings = [Finding("engine", "ok", "fine"), Finding("subnet", "fail", "taken", "choose another")]
    assert doctor.as_json(LAB, "fake", findings) == {
        "lab": LAB.name, "target": "fake", "exit_code": 1,
        "findings": [{"check": "engine", "status": "ok", "detail": "fine", "fix": ""},
                     {"check": "subnet", "status": "fail", "detail": "taken", "fix": "choose another"}]}


@pytest.mark.parametrize("program", [invoke, k8sm])
def test_doctor_json_on_the_command_line(program):
    run = program("doctor", "--json", env={"DOCKER_HOST": "unix:///nonexistent/k8sm-test.sock"}, timeout=120)
    answer = json.loads(run.stdout)
    assert run.code == 1 == answer["exit_code"] and answer["target"] == "local"
    assert [(f["check"], f["status"]) for f in answer["findings"]] == [("docker engine", "fail")]
    assert "nonexistent/k8sm-test.sock" in answer["findings"][0]["detail"] and answer["findings"][0]["fix"]
