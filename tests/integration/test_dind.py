"""The minions' own Docker engines, for real, in the capability mode this machine needs."""

from __future__ import annotations

import pytest

MINIONS = ("kubernetes-minion-0", "kubernetes-minion-1", "kubernetes-minion-2", "kubernetes-minion-3")

#: Builds a tiny image inside the minion from its static tini (no registry needed) and runs it.
RUN_INSIDE = ('set -e; d=$(mktemp -d); cp -L "$(command -v docker-init)" "$d/init"; '
              'printf "FROM scratch\\nCOPY init /init\\nENTRYPOINT [\\"/init\\", \\"--version\\"]\\n" > "$d/Dockerfile"; '
              'DOCKER_BUILDKIT=0 docker build -q -t k8sm-dind-probe "$d" >/dev/null; docker run --rm k8sm-dind-probe')


@pytest.fixture(scope="module")
def dind_lab(seed_lab):
    run = seed_lab.ok("mesos.docker", "--start", timeout=180)
    assert "Docker (in the minions): 4/4 healthy" in run.stdout
    return seed_lab


def test_docker_info_works_inside_every_minion(dind_lab):
    for minion in MINIONS:
        code, out = dind_lab.exec(minion, "docker", "info", "--format", "{{.Driver}} {{.ServerVersion}}")
        assert code == 0, out
        assert out.split()[0] in ("overlay2", "vfs")


def test_a_container_runs_inside_a_minion(dind_lab):
    code, out = dind_lab.exec("kubernetes-minion-1", "sh", "-c", RUN_INSIDE)
    assert code == 0, out
    assert "tini version" in out


def test_killing_one_engine_leaves_the_others_and_keeps_its_images(dind_lab):
    dind_lab.ok("mesos.docker", "--kill", "--node", "kubernetes-minion-1")
    status = dind_lab.invoke("mesos.docker", "--status")
    assert status.code == 3
    rows = {line.split()[0]: line for line in status.stdout.splitlines()[1:]}
    assert "stopped" in rows["kubernetes-minion-1"]
    assert all("healthy (engine" in rows[m] for m in MINIONS if m != "kubernetes-minion-1")
    dind_lab.ok("mesos.docker", "--start", "--node", "kubernetes-minion-1")
    code, out = dind_lab.exec("kubernetes-minion-1", "docker", "image", "inspect", "k8sm-dind-probe",
                              "--format", "{{.Id}}")
    assert code == 0 and out.startswith("sha256:")  # /var/lib/docker is a volume


def test_status_shows_the_engines(dind_lab):
    run = dind_lab.invoke("status")
    assert not run.code & 4, run.stdout  # the Mesos layer: engines healthy; agents not installed do not count
    rows = [line for line in run.stdout.splitlines() if line.startswith(MINIONS)]
    assert len(rows) == 4 and all("docker: healthy (engine" in row for row in rows)
    assert all("mesos-slave: not installed" in row for row in rows)
