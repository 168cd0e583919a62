"""build.k8s and build.mesos, for real (git, make, the builder container, docker import) on fixtures.

The fixtures build stand-ins (tests/standins), never Apache Mesos or km; what is
checked is k8sm's orchestration: clone/reuse, refs, KUBERNETES_CONTRIB=mesos,
configure flags, make install into a stage, the dist image, and the errors.
"""

from __future__ import annotations

import io
import subprocess
import tarfile

import docker.errors
import pytest

from tests.integration.conftest import SMALL_NODES, image_prefix, succeeded
from tests.integration.standin_dists import (
    K8S_REF,
    K8S_REF_WITHOUT_MESOS,
    MESOS_VERSION,
    kubernetes_repository,
)

PREFIX = image_prefix("rel")


def dist_contents(engine, ref: str) -> dict[str, bytes]:
    """The regular files of a files-only dist image, by absolute path (through docker export)."""
    container = engine.create_container(ref, ["none"])  # never started: a dist has no programs to run it
    try:
        data = b"".join(engine.export(container["Id"]))
    finally:
        engine.remove_container(container, force=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {"/" + m.name.lstrip("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def dist_files(engine, ref: str, *paths: str) -> dict[str, bool]:
    contents = dist_contents(engine, ref)
    return {path: path in contents for path in paths}


@pytest.fixture(scope="module")
def release_lab(make_lab, tmp_path_factory, engine, built):
    directory = tmp_path_factory.mktemp("k8s")
    repo = kubernetes_repository(directory)
    lab = make_lab(SMALL_NODES, images=f"{{base: k8sm/base:bookworm, prefix: {PREFIX}}}",
                   kubernetes=f"{{repo: {repo}, ref: {K8S_REF}, checkout: {directory / 'checkout'}}}")
    lab.repo, lab.directory_k8s = repo, directory
    yield lab
    for ref in (f"{PREFIX}kubernetes-dist:{K8S_REF}", f"{PREFIX}mesos-dist:{MESOS_VERSION}",
                f"{PREFIX}mesos-builder:latest", f"{PREFIX}node:latest", f"{PREFIX}dist-empty:latest"):
        try:
            engine.remove_image(ref, force=True)
        except docker.errors.NotFound:
            pass


def test_fixture_release_needs_kubernetes_contrib_mesos(release_lab, tmp_path):
    # the guard that makes the next test meaningful: without the variable the fixture's release fails
    checkout = tmp_path / "plain"
    subprocess.run(["git", "clone", "-q", str(release_lab.repo), str(checkout)], check=True)
    plain = subprocess.run(["make", "-C", str(checkout), "release"], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"})
    assert plain.returncode != 0 and "KUBERNETES_CONTRIB is not mesos" in plain.stderr


def test_build_k8s_clones_builds_and_imports_km_and_kubectl(release_lab, engine):
    run = succeeded(release_lab.invoke("build.k8s", "--release", timeout=600))
    assert f"cloning {release_lab.repo}" in run.stdout
    assert "KUBERNETES_CONTRIB=mesos make release" in run.stdout
    ref = f"{PREFIX}kubernetes-dist:{K8S_REF}"
    assert f"{ref} is ready" in run.stdout
    assert engine.inspect_image(ref)["Config"]["Labels"]["io.k8sm.dist"] == "kubernetes"
    assert dist_files(engine, ref, "/opt/kubernetes/bin/km", "/opt/kubernetes/bin/kubectl") == {
        "/opt/kubernetes/bin/km": True, "/opt/kubernetes/bin/kubectl": True}


def test_build_k8s_reuses_the_checkout(release_lab):
    run = succeeded(release_lab.invoke("build.k8s", "--release", "--no-fetch", timeout=600))
    assert f"using the existing checkout {release_lab.directory_k8s / 'checkout'}" in run.stdout
    assert "cloning" not in run.stdout


def test_build_k8s_refuses_a_ref_without_contrib_mesos(release_lab):
    release_lab.write(kubernetes=f"{{repo: {release_lab.repo}, ref: {K8S_REF_WITHOUT_MESOS}, "
                                 f"checkout: {release_lab.directory_k8s / 'checkout'}}}")
    try:
        run = release_lab.invoke("build.k8s", "--no-fetch")
    finally:
        release_lab.write()
    assert run.code == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"k8sm: Kubernetes {K8S_REF_WITHOUT_MESOS} has no contrib/mesos, so no km")


def test_build_k8s_names_missing_tools(release_lab):
    run = release_lab.invoke("build.k8s", "--release", env={"PATH": "/nonexistent"})
    assert run.code == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == ("k8sm: build.k8s needs git, make, docker on local; missing: git, make, docker; "
                                  "install them there (apt-get install git make docker.io)")


def test_build_mesos_from_a_source_tarball(release_lab, engine, tmp_path):
    from tests.integration.standin_dists import mesos_source_tarball

    tarball = mesos_source_tarball(tmp_path)
    run = succeeded(release_lab.invoke("build.mesos", "--tarball", str(tarball), "--jobs", "2",
                                       "--configure-arg=--enable-standin-check", timeout=1800))
    for stage in ("unpack", "configure", "make", "install", "done"):
        assert f"[mesos] {stage} (" in run.stdout, run.stdout
    ref = f"{PREFIX}mesos-dist:{MESOS_VERSION}"
    files = dist_files(engine, ref, "/opt/mesos/sbin/mesos-master", "/opt/mesos/sbin/mesos-agent",
                       "/opt/mesos/share/k8sm-standin/configure.args")
    assert all(files.values()), files
    # the configure flags k8sm gave, as the fixture's configure recorded them in the installed tree
    args = dist_contents(engine, ref)["/opt/mesos/share/k8sm-standin/configure.args"].decode().split()
    assert args == ["--prefix=/opt/mesos", "--disable-java", "--disable-python", "--disable-werror",
                    "--with-protobuf=/usr", "--with-grpc=/usr", "--with-zookeeper=/usr", "--with-libarchive=/usr",
                    "--enable-standin-check"]
    assert not engine.containers(all=True, filters={"name": f"{release_lab.name}-mesos-build"})


def test_build_mesos_tarball_must_exist(release_lab):
    run = release_lab.invoke("build.mesos", "--tarball", "/nonexistent/mesos.tar.gz")
    assert run.code == 1 and run.stderr.strip() == "k8sm: --tarball /nonexistent/mesos.tar.gz is not a file on local"


def test_build_mesos_from_a_prebuilt_tree(release_lab, engine, tmp_path):
    tree = tmp_path / "mesos-install"
    (tree / "sbin").mkdir(parents=True)
    (tree / "sbin" / "mesos-master").write_text("#!/bin/sh\necho stand-in prebuilt mesos-master\n")
    (tree / "sbin" / "mesos-master").chmod(0o755)
    run = succeeded(release_lab.invoke("build.mesos", "--prebuilt", str(tree)))
    assert f"{PREFIX}mesos-dist:{MESOS_VERSION} is ready" in run.stdout
    assert dist_files(engine, f"{PREFIX}mesos-dist:{MESOS_VERSION}", "/opt/mesos/sbin/mesos-master") == {
        "/opt/mesos/sbin/mesos-master": True}


def test_prebuilt_tree_without_mesos_master_is_refused(release_lab, tmp_path):
    (tmp_path / "empty").mkdir()
    run = release_lab.invoke("build.mesos", "--prebuilt", str(tmp_path / "empty"))
    assert run.code == 1
    assert "the mesos build left no /opt/mesos/sbin/mesos-master or /usr/sbin/mesos-master" in run.stderr
