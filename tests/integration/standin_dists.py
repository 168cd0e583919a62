"""Fixture builders for the Mesos and Kubernetes "releases" the stand-in tests build with the real tasks.

The Mesos fixture is packed as a source tarball (configure + Makefile, as an
Apache release); the Kubernetes fixture becomes a real git repository with one
tag that has contrib/mesos and one that does not. Both carry the stand-ins of
tests/standins, never a real Mesos or km.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from tests.cli import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
STANDINS = ROOT / "tests" / "standins"
MESOS_VERSION = "1.11.0"
K8S_REF = "v1.1.8-standin"
K8S_REF_WITHOUT_MESOS = "v1.7.0-standin"


def mesos_source_tarball(directory: Path) -> Path:
    """mesos-1.11.0.tar.gz: the fixture source tree plus the Mesos stand-ins."""
    tree = directory / f"mesos-{MESOS_VERSION}"
    shutil.copytree(FIXTURES / "mesos-src", tree)
    shutil.copy2(STANDINS / "httpd.c", tree / "httpd.c")
    shutil.copy2(STANDINS / "standin_net.h", tree / "standin_net.h")
    shutil.copy2(STANDINS / "mesos-master.sh", tree / "mesos-master.sh")
    shutil.copy2(STANDINS / "mesos-agent.sh", tree / "mesos-agent.sh")
    tarball = directory / f"mesos-{MESOS_VERSION}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return tarball


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "k8sm tests", "GIT_AUTHOR_EMAIL": "tests@k8sm.invalid",
                        "GIT_COMMITTER_NAME": "k8sm tests", "GIT_COMMITTER_EMAIL": "tests@k8sm.invalid",
                        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(repo)})


def kubernetes_repository(directory: Path) -> Path:
    """A git repository shaped like Kubernetes: K8S_REF has contrib/mesos, K8S_REF_WITHOUT_MESOS not."""
    repo = directory / "kubernetes-fixture"
    shutil.copytree(FIXTURES / "kubernetes-repo", repo)
    standin = repo / "contrib" / "mesos" / "standin"
    standin.mkdir(parents=True)
    shutil.copy2(STANDINS / "km.c", standin / "km.c")
    shutil.copy2(STANDINS / "standin_net.h", standin / "standin_net.h")
    shutil.copy2(STANDINS / "kubectl.sh", standin / "kubectl.sh")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "a tree with contrib/mesos")
    _git(repo, "tag", K8S_REF)
    _git(repo, "rm", "-q", "-r", "contrib/mesos")
    _git(repo, "commit", "-q", "-m", "contrib/mesos moves out")
    _git(repo, "tag", K8S_REF_WITHOUT_MESOS)
    return repo
