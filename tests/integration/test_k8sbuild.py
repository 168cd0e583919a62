"""build.k8s for real on the fixture tree: the local mode's builder container with Debian's Go, --prebuilt,
and a release build that never waits on stdin and names the sites it could not reach.

The fixture's Go programs are STAND-INS (tests/fixtures/kubernetes-repo), never km or kubectl;
they use one file of each kind k8sm-build-k8s edits, so the edits are proven by what compiles and runs.
"""

from __future__ import annotations

import os
import subprocess

import docker.errors
import pytest

from tests.cli import ROOT
from tests.integration.conftest import SMALL_NODES, image_prefix, succeeded
from tests.integration.standin_dists import K8S_REF, kubernetes_repository

PREFIX = image_prefix("k8s")
DIST = f"{PREFIX}kubernetes-dist:{K8S_REF}"
VENDOR = "Godeps/_workspace/src/github.com"


def git(repo, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "k8sm tests", "GIT_AUTHOR_EMAIL": "tests@k8sm.invalid", "HOME": str(repo),
           "GIT_COMMITTER_NAME": "k8sm tests", "GIT_COMMITTER_EMAIL": "tests@k8sm.invalid", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture(scope="module")
def k8s_lab(make_lab, base_image, tmp_path_factory, engine):
    directory = tmp_path_factory.mktemp("k8s-build")
    repo = kubernetes_repository(directory)
    lab = make_lab(SMALL_NODES, images=f"{{base: {base_image}, prefix: {PREFIX}}}",
                   kubernetes=f"{{repo: {repo}, ref: {K8S_REF}, checkout: {directory / 'checkout'}}}")
    lab.repo, lab.directory_k8s = repo, directory
    yield lab
    for image in engine.images(name=f"{PREFIX}kubernetes-dist") + engine.images(name=f"{PREFIX}k8s-builder"):
        try:
            engine.remove_image(image["Id"], force=True)
        except docker.errors.NotFound:
            pass


def run_with_dist(engine, dist: str, argv: list[str]) -> tuple[int, str]:
    """Run argv in a container of the lab's node image with the dist's /opt/kubernetes/bin copied in."""
    source = engine.create_container(dist, ["none"])  # a dist has no programs of its own: never started
    try:
        bits, _ = engine.get_archive(source["Id"], "/opt/kubernetes")
        archive = b"".join(bits)
    finally:
        engine.remove_container(source["Id"], force=True)
    runner = engine.create_container(f"{PREFIX}node:latest", argv)
    try:
        engine.put_archive(runner["Id"], "/opt", archive)
        engine.start(runner["Id"])
        code = engine.wait(runner["Id"], timeout=60)["StatusCode"]
        return code, engine.logs(runner["Id"]).decode()
    finally:
        engine.remove_container(runner["Id"], force=True)


def edited_files(stdout: str) -> list[str]:
    return [line.split("compatibility edit: ", 1)[1].split(":")[0] for line in stdout.splitlines()
            if "compatibility edit: " in line]


def test_local_build_compiles_the_stand_ins_with_debians_go_and_the_edits(k8s_lab, engine):
    run = succeeded(k8s_lab.invoke("build.k8s", "--keep-builder", timeout=1800))
    builder = f"{k8s_lab.name}-k8s-build"
    assert engine.inspect_container(builder)["HostConfig"]["NetworkMode"] == "none"  # nothing can be fetched
    engine.remove_container(builder, force=True)
    for stage in ("check", "edits", "version", "km", "kubectl", "done"):
        assert f"[k8s] {stage} (" in run.stdout, run.stdout
    assert edited_files(run.stdout) == [f"{VENDOR}/google/cadvisor/pages/static/standin_js.go -> standin_js_asset.go",
                                        f"{VENDOR}/google/cadvisor/fs/fs.go", "hack/lib/version.sh",
                                        "pkg/client/unversioned/helper.go",
                                        "pkg/cloudprovider/providers/mesos/client.go",
                                        "pkg/kubelet/dockertools/docker.go"]
    assert f"{DIST} is ready" in run.stdout
    assert engine.inspect_image(DIST)["Config"]["Labels"]["io.k8sm.dist"] == "kubernetes"
    commit = git(k8s_lab.repo, "rev-parse", f"{K8S_REF}^{{commit}}")
    assert f"[k8s] km apiserver --version=true: Kubernetes {K8S_REF}\n" in run.stdout
    # the version reached the linker (-X name=value) ...
    assert run_with_dist(engine, DIST, ["km", "apiserver", "--version=true"]) == (0, f"Kubernetes {K8S_REF}\n")
    assert run_with_dist(engine, DIST, ["kubectl", "version", "--client"]) == (
        0, f'Client Version: version.Info{{Major:"1", Minor:"1", GitVersion:"{K8S_REF}", GitCommit:"{commit}", '
           'GitTreeState:"clean"}\n')
    # ... "0.0.0.0:8080" is a server address again, the renamed asset and the cgo code are in
    assert run_with_dist(engine, DIST, ["km", "apiserver"]) == (
        0, "STAND-IN km apiserver: server http://0.0.0.0:8080/api/v1, 42 bytes free, 21 bytes of script, "
           "^.*\\._Ctype_char$, mesos state http://leader:5050/master/state, docker API \"1.21\"\n")
    assert not engine.containers(all=True, filters={"name": f"{k8s_lab.name}-k8s-build"})
    volume = engine.inspect_volume(f"{k8s_lab.name}-k8s-gocache")
    assert volume["Labels"]["io.k8sm.lab"] == k8s_lab.name


def test_local_build_of_a_plain_commit_from_another_checkout(k8s_lab, engine, tmp_path):
    checkout = tmp_path / "elsewhere"
    git(tmp_path, "clone", "-q", str(k8s_lab.repo), str(checkout))
    git(checkout, "checkout", "-q", K8S_REF)
    (checkout / "contrib" / "mesos" / "NOTES").write_text("a commit with no tag of its own\n")
    git(checkout, "add", "contrib/mesos/NOTES")
    git(checkout, "commit", "-q", "-m", "untagged")
    commit = git(checkout, "rev-parse", "HEAD")
    git(checkout, "checkout", "-q", "main")  # the work tree is elsewhere: the ref is what gets built
    run = succeeded(k8s_lab.invoke("build.k8s", "--local", "--checkout", str(checkout), "--ref", commit,
                                   "--no-fetch", timeout=1800))
    assert f"note: kubernetes.ref in {k8s_lab.hosts} is {K8S_REF}; set it to {commit}" in run.stdout
    dist = f"{PREFIX}kubernetes-dist:{commit}"
    assert f"{dist} is ready" in run.stdout
    code, out = run_with_dist(engine, dist, ["kubectl", "version", "--client"])
    assert code == 0 and f'GitVersion:"{K8S_REF}-1-g{commit[:14]}", GitCommit:"{commit}"' in out
    assert git(checkout, "status", "--porcelain") == ""  # the checkout was neither switched nor edited


def test_prebuilt_km_and_kubectl(k8s_lab, engine, tmp_path):
    (tmp_path / "bin").mkdir()
    for program in ("km", "kubectl"):
        (tmp_path / "bin" / program).write_text(f"#!/bin/sh\necho STAND-IN prebuilt {program} \"$@\"\n")
        (tmp_path / "bin" / program).chmod(0o755)
    run = succeeded(k8s_lab.invoke("build.k8s", "--prebuilt", str(tmp_path), "--ref", "v1.1.8-mine"))
    assert f"taking {tmp_path}/bin/km" in run.stdout
    dist = f"{PREFIX}kubernetes-dist:v1.1.8-mine"
    assert run_with_dist(engine, dist, ["km", "apiserver"]) == (0, "STAND-IN prebuilt km apiserver\n")
    (tmp_path / "bin" / "kubectl").unlink()
    refused = k8s_lab.invoke("build.k8s", "--prebuilt", str(tmp_path))
    assert refused.code == 1 and refused.stderr.strip() == (
        f"k8sm: --prebuilt {tmp_path} has no executable kubectl (nor bin/kubectl); "
        "put km and kubectl built from the same Kubernetes tree there")


def test_modes_exclude_each_other_and_refs_are_checked(k8s_lab):
    both = k8s_lab.invoke("build.k8s", "--release", "--prebuilt", "/tmp")
    assert both.code == 1
    assert both.stderr.strip() == "k8sm: choose one of --local, --release and --prebuilt, not --release and --prebuilt"
    option = k8s_lab.invoke("build.k8s", "--ref=--upload-pack=touch")
    assert option.code == 1 and option.stderr.strip() == "k8sm: '--upload-pack=touch' is not a git ref (a tag, " \
                                                         "branch or commit)"


def invoke_with_open_stdin(lab, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`invoke ARGS` whose stdin is a pipe this test keeps open and never writes: a terminal nobody types in."""
    import sys

    read_end, write_end = os.pipe()
    try:
        return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, stdin=read_end,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "K8SM_HOSTS": str(lab.hosts), **(env or {})})
    finally:
        os.close(read_end)
        os.close(write_end)


def test_the_fixture_release_prompts_and_waits_on_an_open_stdin(k8s_lab, tmp_path):
    # the guard that makes the next test meaningful: the fixture's make release asks, and reads stdin
    checkout = tmp_path / "plain"
    git(tmp_path, "clone", "-q", str(k8s_lab.repo), str(checkout))
    env = {"PATH": "/usr/bin:/bin", "KUBERNETES_CONTRIB": "mesos"}
    asked = subprocess.run(["make", "-C", str(checkout), "release"], capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=60)
    assert asked.returncode != 0 and "Download it now? [y/n]" in asked.stdout and "Aborting." in asked.stderr
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run(["make", "-C", str(checkout), "release"], capture_output=True, stdin=read_end,
                           env={**env, "KUBE_SKIP_CONFIRMATIONS": "y"}, timeout=3)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_release_mode_answers_the_prompt_and_never_waits_on_stdin(k8s_lab, engine):
    run = invoke_with_open_stdin(k8s_lab, "build.k8s", "--release")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "STAND-IN make release: stdin is closed" in run.stdout
    assert "Download it now?" not in run.stdout
    assert f"{DIST} is ready" in run.stdout
    assert run_with_dist(engine, DIST, ["kubectl", "version"]) == (0, "STAND-IN kubectl (a test double): version\n")


def test_release_mode_names_the_sites_it_could_not_reach(k8s_lab):
    run = invoke_with_open_stdin(k8s_lab, "build.k8s", "--release", env={"STANDIN_OFFLINE": "1"})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        f"k8sm: `make release` failed in {k8s_lab.directory_k8s / 'checkout'} (exit 2): it could not reach "
        "Docker Hub (registry-1.docker.io), github.com; a release build needs Docker Hub, gcr.io, github.com and "
        "golang.org; build without them: `invoke build.k8s --local` (the default; Debian's Go in a builder container)")
