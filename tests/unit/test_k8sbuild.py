"""build.k8s without Docker: mode choice, refs, versions, the sites a failed release names, progress lines,
and scripts/k8sm-build-k8s's compatibility edits run for real (bash, sed, perl) on the fixture tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from k8sm import images
from k8sm.buildbox import progress_line
from k8sm.errors import K8smError
from k8sm.k8sbuild import choose_mode, unreachable_sites
from k8sm.k8ssource import Source, check_ref, check_source, version_of
from tests.cli import ROOT

SCRIPT = ROOT / "scripts" / "k8sm-build-k8s"
FIXTURE = ROOT / "tests" / "fixtures" / "kubernetes-repo"
VENDOR = "Godeps/_workspace/src/github.com"


def test_local_is_the_default_and_modes_exclude_each_other():
    assert choose_mode(False, False, None) == "local"
    assert choose_mode(True, False, None) == "local"
    assert choose_mode(False, True, None) == "release"
    assert choose_mode(False, False, "/srv/bin") == "prebuilt"
    with pytest.raises(K8smError, match=r"^choose one of --local, --release and --prebuilt, not --release and "
                                        r"--prebuilt$"):
        choose_mode(False, True, "/srv/bin")


@pytest.mark.parametrize("ref", ["v1.1.8", "release-1.1", "feature/x", "7a33a4b0e9c54b7001730115c33f7c5b07d25b00"])
def test_refs_that_are_accepted(ref):
    assert check_ref(ref) == ref


@pytest.mark.parametrize("ref", ["--upload-pack=x", "-b", "", "v1 .1", "a;b", "$(x)", "v1.1.8\n", "v1\nx"])
def test_refs_that_git_could_read_as_options_or_a_shell_would_split_are_refused(ref):
    with pytest.raises(K8smError, match="is not a git ref"):
        check_ref(ref)


@pytest.mark.parametrize(("repo", "checkout", "wrong"), [
    ("https://github.com/kubernetes/kubernetes\n", "/opt/kubernetes", "--repo"),
    ("--upload-pack=touch /tmp/x", "/opt/kubernetes", "--repo"),
    ("https://github.com/kubernetes/kubernetes", "relative/dir", "--checkout"),
    ("https://github.com/kubernetes/kubernetes", "/opt/k8s\n", "--checkout"),
    ("https://github.com/kubernetes/kubernetes", "/opt/$(id)", "--checkout"),
])
def test_repo_and_checkout_options_are_checked_as_hosts_yaml_would(repo, checkout, wrong):
    with pytest.raises(K8smError, match=f"^{wrong} "):
        check_source(Source(repo, checkout, "v1.1.8"))
    assert check_source(Source("/srv/kubernetes.git", "/opt/kubernetes", "v1.1.8")).checkout == "/opt/kubernetes"


def test_version_is_git_describe_else_the_commit():
    commit = "7a33a4b0e9c54b7001730115c33f7c5b07d25b00"
    assert version_of("v1.1.8", commit) == "v1.1.8"
    assert version_of("v1.1.0-alpha.1-512-g7a33a4b0e9c54b", commit) == "v1.1.0-alpha.1-512-g7a33a4b0e9c54b"
    assert version_of("", commit) == "v0.0.0-master+7a33a4b0e9c54b"


def test_unreachable_sites_from_a_failed_release_output():
    output = """+++ [1127 12:00:00] Verifying Prerequisites....
+++ [1127 12:00:01] Pulling docker image: golang:1.4
Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host
Get https://gcr.io/v1/_ping: dial tcp 74.125.1.82:443: i/o timeout
package golang.org/x/tools/cmd/cover: unrecognized import path "golang.org/x/tools/cmd/cover"
fatal: unable to access 'https://github.com/kubernetes/kubernetes/': Could not resolve host: github.com
Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request canceled
see https://github.com/kubernetes/kubernetes/blob/master/docs/devel/development.md for help
curl: (6) Could not resolve host: localhost
"""
    assert unreachable_sites(output) == ["Docker Hub (registry-1.docker.io)", "gcr.io", "golang.org",
                                       "github.com"]
    assert unreachable_sites("go: golang.org/x/net: dial tcp: lookup golang.org: no such host") == ["golang.org"]
    assert unreachable_sites("make: *** [release] Error 2\n") == []


def test_progress_lines():
    assert progress_line("@@stage km", "k8s", 12.4, False) == "[k8s] km (12s)"
    assert progress_line("@@edit a.go: why", "k8s", 0, False) == "[k8s] compatibility edit: a.go: why"
    assert progress_line("@@note kubectl version --client: v1", "k8s", 0, False) == "[k8s] kubectl version --client: v1"
    assert progress_line("k8s.io/kubernetes/pkg/api", "k8s", 0, False) is None
    assert progress_line("k8s.io/kubernetes/pkg/api", "k8s", 0, True) == "[k8s] k8s.io/kubernetes/pkg/api"


def test_the_builder_image_has_debians_go_and_the_build_script():
    files = images.context_files(images.IMAGES["k8s-builder"])
    assert {name for name in files if name.startswith("scripts/")} == {"scripts/k8sm-build-k8s"}
    assert files["scripts/k8sm-build-k8s"][1] == 0o755
    dockerfile = files["Dockerfile"][0].decode()
    assert "golang-1.19-go" in dockerfile and "GOPROXY=off" in dockerfile and "GO111MODULE=off" in dockerfile


def edits(tree: Path) -> list[str]:
    run = subprocess.run(["bash", str(SCRIPT), "--edits", str(tree)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [line.removeprefix("@@edit ").split(":")[0] for line in run.stdout.splitlines()]


def test_each_edit_is_made_where_the_tree_has_the_problem_and_only_there(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE, tree)
    untouched = [f"{VENDOR}/google/cadvisor/pages/static/browser_js.go", f"{VENDOR}/davecgh/go-spew/spew/spew.go",
                 "pkg/version/version.go", "cmd/kubectl/kubectl.go"]
    before = {name: (tree / name).read_bytes() for name in untouched}
    assert edits(tree) == [f"{VENDOR}/google/cadvisor/pages/static/standin_js.go -> standin_js_asset.go",
                           f"{VENDOR}/google/cadvisor/fs/fs.go",
                           "hack/lib/version.sh",
                           "pkg/client/unversioned/helper.go",
                           "pkg/cloudprovider/providers/mesos/client.go",
                           "pkg/kubelet/dockertools/docker.go"]
    static = tree / VENDOR / "google/cadvisor/pages/static"
    assert sorted(p.name for p in static.iterdir()) == ["browser_js.go", "standin_js_asset.go"]
    assert "(*C.ulonglong)(unsafe.Pointer(&free))" in (tree / VENDOR / "google/cadvisor/fs/fs.go").read_text()
    version_sh = (tree / "hack/lib/version.sh").read_text()
    assert version_sh.count('echo "-X ${KUBE_GO_PACKAGE}/pkg/version.${key}=${val}"') == 2
    helper = (tree / "pkg/client/unversioned/helper.go").read_text()
    assert '\thostURL, err := url.Parse(base)\n\tif err != nil || hostURL.Scheme == "" {\n\t\tscheme := "http://"' in helper
    assert helper.count("return nil, err") == 1  # the second parse keeps its check
    client = (tree / "pkg/cloudprovider/providers/mesos/client.go").read_text()
    assert '"http://%s/master/state"' in client and '"http://%s/state.json"' not in client
    docker = (tree / "pkg/kubelet/dockertools/docker.go").read_text()
    assert 'docker.NewVersionedClient(dockerEndpoint, "1.21")' in docker
    assert 'docker.NewVersionedClientFromEnv("1.21")' in docker and "docker.NewClient(" not in docker
    assert {name: (tree / name).read_bytes() for name in untouched} == before
    assert edits(tree) == []  # nothing left to do: a second run changes nothing


def test_edits_refuse_to_overwrite_a_file(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE, tree)
    (tree / VENDOR / "google/cadvisor/pages/static/standin_js_asset.go").write_text("package static\n")
    run = subprocess.run(["bash", str(SCRIPT), "--edits", str(tree)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip() == (f"k8sm-build-k8s: cannot rename {VENDOR}/google/cadvisor/pages/static/standin_js.go: "
                                  f"{VENDOR}/google/cadvisor/pages/static/standin_js_asset.go exists")
