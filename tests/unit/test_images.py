"""Image plans and the build-input digest that decides whether to rebuild."""

from __future__ import annotations

import io
import tarfile

import pytest

from k8sm import images, topology
from k8sm.errors import K8smError
from tests.cli import ROOT


def test_plan_puts_parents_first_once():
    assert [s.name for s in images.plan(["etcd", "minion"])] == ["node", "etcd", "minion"]
    assert [s.name for s in images.plan(["node"])] == ["node"]


def test_unknown_image_is_a_clear_error():
    with pytest.raises(K8smError, match="unknown image 'mesos'.*images are: node, etcd"):
        images.plan(["mesos"])


def test_lab_uses_the_images_of_its_enabled_roles():
    lab = topology.load(ROOT / "hosts.yaml")
    assert images.role_images(lab) == ["etcd", "mesos-master", "framework", "minion"]
    assert images.images_for(lab) == ["etcd", "mesos-master", "framework", "minion", "busybox", "pause", "nginx"]


def test_every_image_has_a_dockerfile_and_role_images_carry_the_scripts():
    for spec in images.IMAGES.values():
        files = images.context_files(spec)
        assert "Dockerfile" in files
        not_a_role = ("node", "mesos-builder", "k8s-builder", *images.WORKLOAD_IMAGES)
        assert ("scripts/k8sm-daemon" in files) == (spec.name not in not_a_role)
    files = images.context_files(images.IMAGES["etcd"])
    assert files["scripts/k8sm-daemon"][1] == 0o755
    builder = images.context_files(images.IMAGES["mesos-builder"])
    assert set(name for name in builder if name.startswith("scripts/")) == {"scripts/k8sm-build-mesos"}
    assert builder["scripts/k8sm-build-mesos"][1] == 0o755


def test_no_image_runs_sshd_or_sets_a_password():
    for spec in images.IMAGES.values():
        text = (spec.directory / "Dockerfile").read_text()
        assert "openssh-server" not in text and "chpasswd" not in text


def test_digest_follows_content_args_and_parent():
    files = {"Dockerfile": (b"FROM x\n", 0o644)}
    base = images.context_hash(files, {"A": "1"}, "sha256:p")
    assert base == images.context_hash(dict(files), {"A": "1"}, "sha256:p")
    assert base != images.context_hash({"Dockerfile": (b"FROM y\n", 0o644)}, {"A": "1"}, "sha256:p")
    assert base != images.context_hash({"Dockerfile": (b"FROM x\n", 0o755)}, {"A": "1"}, "sha256:p")
    assert base != images.context_hash(files, {"A": "2"}, "sha256:p")
    assert base != images.context_hash(files, {"A": "1"}, "sha256:q")
    # the labels an image must carry: an image built before k8sm set them is built again
    assert base == images.context_hash(files, {"A": "1"}, "sha256:p", {})
    assert base != images.context_hash(files, {"A": "1"}, "sha256:p", {"io.k8sm.dists": ""})
    assert images.context_hash(files, {"A": "1"}, "sha256:p", {"io.k8sm.dists": "mesos"}) != images.context_hash(
        files, {"A": "1"}, "sha256:p", {"io.k8sm.dists": ""})


def test_context_tar_holds_the_files_with_modes():
    data = images.context_tar({"Dockerfile": (b"FROM x\n", 0o644), "scripts/run": (b"#!/bin/sh\n", 0o755)})
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert members["scripts/run"].mode == 0o755
        assert tar.extractfile("Dockerfile").read() == b"FROM x\n"
