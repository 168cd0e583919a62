"""`build.k8s`: km and kubectl from Kubernetes v1.x source (contrib/mesos), as the kubernetes dist image.

Three ways, each ending in k8sm.dists.KUBERNETES on the target:
- local (the default): the ref's tree, copied with `git archive` into a k8s-builder
  container, built there with Debian's Go by scripts/k8sm-build-k8s; needs only the
  Debian mirror (for the builder image) and the source;
- release: `KUBERNETES_CONTRIB=mesos make release` in the checkout, as the original
  did; needs Docker Hub, gcr.io, github.com and golang.org;
- prebuilt: km and kubectl the user brings.
"""

from __future__ import annotations

import dataclasses
import re

from k8sm import buildbox, dists, k8ssource
from k8sm.engine import cli
from k8sm.errors import K8smError
from k8sm.images import Builder
from k8sm.k8ssource import Source
from k8sm.output import Say
from k8sm.release import Tree, import_dist, require_commands
from k8sm.target import Target
from k8sm.topology import Lab

IMAGE = "k8s-builder"
BUILD_DIR = "/build"
STAGE_DIR = f"{BUILD_DIR}/stage"
GOCACHE_DIR = "/gocache"
SCRIPT = buildbox.Script("k8s", "Kubernetes")
BIN = "/opt/kubernetes/bin"
PROGRAMS = ("km", "kubectl")
MODES = ("local", "release", "prebuilt")
LOCAL_HINT = "build without them: `invoke build.k8s --local` (the default; Debian's Go in a builder container)"


def choose_mode(local: bool, release: bool, prebuilt: str | None) -> str:
    """The one way to build that the flags ask for; local when none does."""
    chosen = [mode for mode, on in zip(MODES, (local, release, bool(prebuilt)), strict=True) if on]
    if len(chosen) > 1:
        raise K8smError(f"choose one of --local, --release and --prebuilt, not {' and '.join('--' + m for m in chosen)}")
    return chosen[0] if chosen else "local"


def with_ref(lab: Lab, ref: str | None, say: Say) -> Lab:
    """The lab with kubernetes.ref replaced by --ref (the dist image is named by it)."""
    if not ref or ref == lab.kubernetes.ref:
        return lab
    say(f"note: kubernetes.ref in {lab.source} is {lab.kubernetes.ref}; set it to {ref} "
        "so that `invoke build` takes this build into the images")
    return dataclasses.replace(lab, kubernetes=dataclasses.replace(lab.kubernetes, ref=k8ssource.check_ref(ref)))


def source_of(lab: Lab, repo: str | None, checkout: str | None, fetch: bool) -> Source:
    k = lab.kubernetes
    return Source(repo or k.repo, checkout or k.checkout, k.ref, fetch)


# ------------------------------------------------------------------- local


def build_local(target: Target, lab: Lab, say: Say, source: Source, *, jobs: int = 0, keep_builder: bool = False,
                verbose: bool = False) -> str:
    """git archive of the ref into a k8s-builder container, k8sm-build-k8s there, the result imported."""
    require_commands(target, "build.k8s", ["git", cli.DOCKER_CLI], f"apt-get install git {cli.DOCKER_CLI_PACKAGE}")
    commit = k8ssource.prepare(target, source, say)
    version = k8ssource.version_vars(target, source.checkout, commit)
    Builder(target, lab, say).build([IMAGE])
    name = f"{lab.name}-k8s-build"
    cache = buildbox.cache_volume(target, lab, "k8s-gocache")
    buildbox.start(target, lab, IMAGE, name, binds=[f"{cache}:{GOCACHE_DIR}"], network=False)
    try:
        say(f"copying {source.ref} ({commit[:14]}, {version['KUBE_GIT_VERSION']}) from {source.checkout} "
            "into the builder")
        copied = target.pipeline(["git", "-C", source.checkout, "archive", "--format=tar", "--prefix=src/", commit],
                                 cli.cp_argv("-", f"{name}:{BUILD_DIR}"), hide=True, warn=True)
        if not copied.ok:
            raise K8smError(f"copying {source.ref} into the builder failed: {(copied.stderr or copied.stdout).strip()}")
        cores = buildbox.cores(target, jobs)
        say(f"building km and kubectl with Debian's Go, {cores} jobs (a first build takes about 5 minutes on 2 cores;"
            f" the Go build cache {cache} makes a repeat fast) ...")
        buildbox.stream(target, name, ["k8sm-build-k8s", str(cores)], SCRIPT, say, verbose=verbose,
                        environment=version)
        return import_dist(target, lab, dists.KUBERNETES, Tree(STAGE_DIR, container=name), say)
    finally:
        buildbox.finish(target, name, say, keep=keep_builder)


# ----------------------------------------------------------------- release


RELEASE_TARS = "_output/release-tars"
SERVER_TAR = "kubernetes-server-linux-amd64.tar.gz"
CLIENT_TAR = "kubernetes-client-linux-amd64.tar.gz"
#: Every confirmation of the release scripts answered yes; stdin is /dev/null, so no other prompt can wait.
RELEASE_ENV = ("KUBERNETES_CONTRIB=mesos", "KUBE_SKIP_CONFIRMATIONS=y")


def build_release(target: Target, lab: Lab, say: Say, source: Source) -> str:
    """`KUBERNETES_CONTRIB=mesos make release` in the checkout; km and kubectl from its tarballs."""
    require_commands(target, "build.k8s", ["git", "make", cli.DOCKER_CLI],
                     f"apt-get install git make {cli.DOCKER_CLI_PACKAGE}")
    k8ssource.prepare(target, source, say)
    k8ssource.switch(target, source.checkout, source.ref)
    checkout = source.checkout
    say(f"KUBERNETES_CONTRIB=mesos make release in {checkout} (long; needs Docker Hub, gcr.io, github.com and "
        "golang.org; confirmations are answered with KUBE_SKIP_CONFIRMATIONS=y and stdin is closed)")
    result = target.sh(["sh", "-c", 'exec "$@" </dev/null', "k8sm-release", "env", *RELEASE_ENV,
                        "make", "-C", checkout, "release"], warn=True)
    if not result.ok:
        sites = unreachable_sites(f"{result.stdout}\n{result.stderr}")
        reached = f": it could not reach {', '.join(sites)}" if sites else "; its output is above"
        raise K8smError(f"`make release` failed in {checkout} (exit {result.exited}){reached}",
                        f"a release build needs Docker Hub, gcr.io, github.com and golang.org; {LOCAL_HINT}")
    tars = f"{checkout}/{RELEASE_TARS}"
    for name in (SERVER_TAR, CLIENT_TAR):
        if not target.sh(["test", "-f", f"{tars}/{name}"], hide=True, warn=True).ok:
            raise K8smError(f"the release left no {tars}/{name}", "check the `make release` output above")
    stage = _staging(target)
    try:
        bin_dir = f"{stage}{BIN}"
        target.sh(["mkdir", "-p", bin_dir], hide=True)
        for tar, member in ((SERVER_TAR, "kubernetes/server/bin/km"), (CLIENT_TAR, "kubernetes/client/bin/kubectl")):
            got = target.sh(["tar", "-xzf", f"{tars}/{tar}", "-C", bin_dir, "--strip-components=3", member],
                            hide=True, warn=True)
            if not got.ok:
                hint = " (was KUBERNETES_CONTRIB=mesos honoured?)" if member.endswith("km") else ""
                raise K8smError(f"{tar} has no {member}{hint}")
        return import_dist(target, lab, dists.KUBERNETES, Tree(stage), say)
    finally:
        target.sh(["rm", "-rf", "--one-file-system", stage], hide=True, warn=True)


#: Sites a v1.x release build reaches, by the host names its failures print.
SITES = {"registry-1.docker.io": "Docker Hub", "index.docker.io": "Docker Hub", "auth.docker.io": "Docker Hub",
         "production.cloudflare.docker.com": "Docker Hub"}
_HOST = r"([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
_HOST_PATTERNS = (re.compile(r"https?://" + _HOST), re.compile(r"\blookup " + _HOST),
                  re.compile(r"resolve host:? '?" + _HOST, re.IGNORECASE), re.compile(r'import path "' + _HOST + "/"))
_FAILURE = re.compile(r"error|fail|fatal|unable|cannot|could not|denied|refused|timeout|timed out|no such host|"
                      r"unreachable|unrecognized import path", re.IGNORECASE)


def unreachable_sites(output: str) -> list[str]:
    """The internet sites named in the failure lines of a build's output, in order, each once."""
    found: list[str] = []
    for line in output.splitlines():
        if not _FAILURE.search(line):
            continue
        for pattern in _HOST_PATTERNS:
            for host in pattern.findall(line):
                host = host.lower()
                site = f"{SITES[host]} ({host})" if host in SITES else host
                if host != "localhost" and site not in found:
                    found.append(site)
    return found


# ---------------------------------------------------------------- prebuilt


def build_prebuilt(target: Target, lab: Lab, say: Say, directory: str) -> str:
    """km and kubectl the user built: in the directory, or in its bin/."""
    require_commands(target, "build.k8s --prebuilt", [cli.DOCKER_CLI, "tar"], f"apt-get install {cli.DOCKER_CLI_PACKAGE} tar")
    if not target.sh(["test", "-d", directory], hide=True, warn=True).ok:
        raise K8smError(f"--prebuilt {directory} is not a directory on {target.label}")
    stage = _staging(target)
    try:
        target.sh(["mkdir", "-p", f"{stage}{BIN}"], hide=True)
        for program in PROGRAMS:
            found = [path for path in (f"{directory}/{program}", f"{directory}/bin/{program}")
                     if target.sh(["test", "-f", path, "-a", "-x", path], hide=True, warn=True).ok]
            if not found:
                raise K8smError(f"--prebuilt {directory} has no executable {program} (nor bin/{program})",
                                "put km and kubectl built from the same Kubernetes tree there")
            say(f"taking {found[0]}")
            target.sh(["cp", "-L", found[0], f"{stage}{BIN}/{program}"], hide=True)
        return import_dist(target, lab, dists.KUBERNETES, Tree(stage), say)
    finally:
        target.sh(["rm", "-rf", "--one-file-system", stage], hide=True, warn=True)


def _staging(target: Target) -> str:
    return target.sh(["mktemp", "-d", "/tmp/k8sm-dist.XXXXXX"], hide=True).stdout.strip()
