"""The long source builds: Apache Mesos (`build.mesos`) and Kubernetes with contrib/mesos (`build.k8s`).

Both run on the target (locally, or on the -H host) and end as a dist image
there (k8sm.dists): nothing is copied between machines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from k8sm import dists
from k8sm.engine import import_argv
from k8sm.errors import K8smError
from k8sm.images import Builder
from k8sm.labels import LAB
from k8sm.target import Target, engine_error, is_engine_exception
from k8sm.topology import Lab

Say = Callable[[str], None]

#: Inside the builder container.
BUILD_DIR = "/build"
STAGE_DIR = f"{BUILD_DIR}/stage"
MESOS_PREFIX = "/opt/mesos"
#: Builds Mesos from the source tarball at /build/src.tar.gz; $1 = make jobs, $2... = extra configure args.
_BUILD_MESOS = f"""set -euo pipefail
jobs=$1; shift
mkdir -p {BUILD_DIR}/src {STAGE_DIR}
echo "@@stage unpack"
tar -xzf {BUILD_DIR}/src.tar.gz -C {BUILD_DIR}/src --strip-components=1
cd {BUILD_DIR}/src
echo "@@stage configure"
./configure --prefix={MESOS_PREFIX} --disable-java --disable-python --disable-werror "$@"
echo "@@stage make"
make -j"$jobs"
echo "@@stage install"
make install DESTDIR={STAGE_DIR}
echo "@@stage done"
"""


@dataclass(frozen=True)
class Tree:
    """A directory tree to import as a dist: on the target host, or inside a container there."""

    path: str
    container: str | None = None

    def _on(self, argv: list[str]) -> list[str]:
        return ["docker", "exec", self.container, *argv] if self.container else argv

    def tar_argv(self) -> list[str]:
        return self._on(["tar", "-C", self.path, "-c", "."])

    def has_executable(self, target: Target, path: str) -> bool:
        return bool(target.sh(self._on(["test", "-x", f"{self.path}{path}"]), hide=True, warn=True).ok)


def import_dist(target: Target, lab: Lab, dist: dists.Dist, tree: Tree, say: Say) -> str:
    """Check the tree holds the dist's programs, then import it as the dist image."""
    missing = [alternatives for alternatives in dist.binaries
               if not any(tree.has_executable(target, path) for path in alternatives.split("|"))]
    if missing:
        raise K8smError(f"the {dist.name} build left no {' or '.join(missing[0].split('|'))} in {tree.path}",
                        f"check the output of {dist.build_task} above")
    ref = dist.ref(lab)
    changes = [f"LABEL {dists.DIST_LABEL}={dist.name}", f"LABEL {dists.DIST_VERSION_LABEL}={dist.version(lab)}",
               f"LABEL {LAB}={lab.name}"]
    say(f"importing the {dist.name} build as {ref} ...")
    result = target.pipeline(tree.tar_argv(), import_argv(ref, changes), hide=True, warn=True)
    if not result.ok:
        raise K8smError(f"docker import of {tree.path} as {ref} failed: {(result.stderr or result.stdout).strip()}")
    say(f"{ref} is ready; `invoke build` takes it into the images, `invoke run --recreate` into the lab")
    return ref


def require_commands(target: Target, task: str, commands: Sequence[str], install: str) -> None:
    missing = [c for c in commands if not target.has_command(c)]
    if missing:
        raise K8smError(f"{task} needs {', '.join(commands)} on {target.label}; missing: {', '.join(missing)}",
                        f"install them there ({install})")


# ------------------------------------------------------------------- Mesos


def build_mesos(target: Target, lab: Lab, say: Say, *, url: str | None = None, tarball: str | None = None,
                prebuilt: str | None = None, debs: str | None = None, jobs: int = 0,
                configure_args: Sequence[str] = (), keep_builder: bool = False, verbose: bool = False) -> str:
    """Make the mesos dist: from a source release (URL or tarball), a prebuilt install tree, or .deb files."""
    sources = [x for x in (tarball, prebuilt, debs) if x]
    if len(sources) > 1:
        raise K8smError("choose one of --tarball, --prebuilt and --debs")
    require_commands(target, "build.mesos", ["docker", "tar"], "apt-get install docker.io tar")
    if prebuilt:
        return _mesos_from_tree(target, lab, say, prebuilt)
    if debs:
        return _mesos_from_debs(target, lab, say, debs)
    return _mesos_from_source(target, lab, say, url or lab.mesos.source_url, tarball, jobs, configure_args,
                              keep_builder, verbose)


def _staging(target: Target) -> str:
    return target.sh(["mktemp", "-d", "/tmp/k8sm-dist.XXXXXX"], hide=True).stdout.strip()


def _require_dir(target: Target, path: str, what: str) -> None:
    if not target.sh(["test", "-d", path], hide=True, warn=True).ok:
        raise K8smError(f"{what} {path} is not a directory on {target.label}")


def _mesos_from_tree(target: Target, lab: Lab, say: Say, directory: str) -> str:
    """An install the user built or unpacked (bin/, sbin/, lib/ ... under one prefix), placed at /opt/mesos."""
    _require_dir(target, directory, "--prebuilt")
    stage = _staging(target)
    try:
        target.sh(["mkdir", "-p", f"{stage}/opt"], hide=True)
        target.sh(["cp", "-a", directory.rstrip("/"), f"{stage}{MESOS_PREFIX}"], hide=True)
        return import_dist(target, lab, dists.MESOS, Tree(stage), say)
    finally:
        target.sh(["rm", "-rf", "--one-file-system", stage], hide=True, warn=True)


def _mesos_from_debs(target: Target, lab: Lab, say: Say, directory: str) -> str:
    """Mesos .deb packages (e.g. from an old Mesosphere mirror), unpacked as they would install."""
    _require_dir(target, directory, "--debs")
    require_commands(target, "build.mesos --debs", ["dpkg-deb"], "apt-get install dpkg")
    listing = target.sh(["find", directory, "-maxdepth", "1", "-name", "*.deb"], hide=True).stdout.split()
    if not listing:
        raise K8smError(f"no .deb files in {directory} on {target.label}")
    stage = _staging(target)
    try:
        for deb in sorted(listing):
            say(f"unpacking {deb}")
            target.sh(["dpkg-deb", "-x", deb, stage], hide=True)
        return import_dist(target, lab, dists.MESOS, Tree(stage), say)
    finally:
        target.sh(["rm", "-rf", "--one-file-system", stage], hide=True, warn=True)


def _mesos_from_source(target: Target, lab: Lab, say: Say, url: str, tarball: str | None, jobs: int,
                       configure_args: Sequence[str], keep_builder: bool, verbose: bool) -> str:
    if tarball and not target.sh(["test", "-f", tarball], hide=True, warn=True).ok:
        raise K8smError(f"--tarball {tarball} is not a file on {target.label}")
    Builder(target, lab, say).build(["mesos-builder"])
    api = target.docker
    name = f"{lab.name}-mesos-build"
    _remove_container(target, name)
    builder = api.create_container(lab.images.ref("mesos-builder"), ["sleep", "infinity"], name=name,
                                   labels={LAB: lab.name}, host_config=api.create_host_config(init=True))
    try:
        api.start(builder["Id"])
        if tarball:
            say(f"copying {tarball} into the builder")
            target.sh(["docker", "cp", tarball, f"{name}:{BUILD_DIR}/src.tar.gz"], hide=True)
        else:
            say(f"downloading {url}")
            _stream(target, name, ["curl", "-fL", "--retry", "3", "-o", f"{BUILD_DIR}/src.tar.gz", url], say,
                    "download", verbose=True)
        cores = jobs or int(target.sh(["nproc"], hide=True).stdout.strip() or 1)
        say(f"building Mesos with {cores} jobs (Apache Mesos takes long: tens of minutes) ...")
        _stream(target, name, ["bash", "-c", _BUILD_MESOS, "k8sm-build-mesos", str(cores), *configure_args], say,
                "build", verbose=verbose)
        return import_dist(target, lab, dists.MESOS, Tree(STAGE_DIR, container=name), say)
    finally:
        if keep_builder:
            say(f"kept the builder container {name} (remove it with `docker rm -f {name}`)")
        else:
            _remove_container(target, name)


def _remove_container(target: Target, name: str) -> None:
    import docker.errors

    try:
        target.docker.remove_container(name, force=True)
    except docker.errors.NotFound:
        pass


def _stream(target: Target, container: str, argv: list[str], say: Say, what: str, *, verbose: bool) -> None:
    """Run argv in the container, showing stages (@@stage lines), a heartbeat, or all output; raise on failure."""
    api = target.docker
    tail: list[str] = []
    try:
        exec_id = api.exec_create(container, argv)
        last_beat = started = time.monotonic()
        pending = ""
        for chunk in api.exec_start(exec_id, stream=True):
            pending += chunk.decode("utf-8", "replace")
            *lines, pending = pending.split("\n")
            for line in lines:
                tail = (tail + [line])[-25:]
                if line.startswith("@@stage "):
                    say(f"[mesos] {line.split(' ', 1)[1]} ({time.monotonic() - started:.0f}s)")
                elif verbose:
                    say(f"[mesos] {line}")
            if time.monotonic() - last_beat > 30:
                say(f"[mesos] ... {time.monotonic() - started:.0f}s: {tail[-1][:100] if tail else ''}")
                last_beat = time.monotonic()
        code = api.exec_inspect(exec_id)["ExitCode"]
    except Exception as exc:
        if not is_engine_exception(exc):
            raise
        raise engine_error(exc) from None
    if code != 0:
        shown = "\n".join(f"    {line}" for line in tail[-15:])
        raise K8smError(f"the Mesos {what} failed (exit {code}); last output:\n{shown}",
                        "fix the cause; --verbose shows all output, --keep-builder keeps the container to look into")


# -------------------------------------------------------------- Kubernetes


RELEASE_TARS = "_output/release-tars"
SERVER_TAR = "kubernetes-server-linux-amd64.tar.gz"
CLIENT_TAR = "kubernetes-client-linux-amd64.tar.gz"


def build_k8s(target: Target, lab: Lab, say: Say, *, repo: str | None = None, checkout: str | None = None,
              fetch: bool = True) -> str:
    """Clone (or reuse) Kubernetes, `KUBERNETES_CONTRIB=mesos make release`, import km and kubectl as the dist."""
    k = lab.kubernetes
    repo, checkout, ref = repo or k.repo, checkout or k.checkout, k.ref
    require_commands(target, "build.k8s", ["git", "make", "docker"], "apt-get install git make docker.io")
    _checkout(target, repo, checkout, ref, fetch, say)
    if not target.sh(["git", "-C", checkout, "cat-file", "-e", f"{ref}:contrib/mesos"], hide=True, warn=True).ok:
        raise K8smError(f"Kubernetes {ref} has no contrib/mesos, so no km: Kubernetes-on-Mesos lived in the "
                        "Kubernetes tree only in the v1.x releases before it moved out",
                        "choose such a ref (the original used v1.0/v1.1; default v1.1.8) as kubernetes.ref in hosts.yaml")
    say(f"KUBERNETES_CONTRIB=mesos make release in {checkout} (long; needs Docker and network for the build images)")
    result = target.sh(["env", "KUBERNETES_CONTRIB=mesos", "make", "-C", checkout, "release"], warn=True)
    if not result.ok:
        raise K8smError(f"`KUBERNETES_CONTRIB=mesos make release` failed in {checkout} (exit {result.exited})",
                        "its output is above")
    tars = f"{checkout}/{RELEASE_TARS}"
    for name in (SERVER_TAR, CLIENT_TAR):
        if not target.sh(["test", "-f", f"{tars}/{name}"], hide=True, warn=True).ok:
            raise K8smError(f"the release left no {tars}/{name}", "check the `make release` output above")
    stage = _staging(target)
    try:
        bin_dir = f"{stage}/opt/kubernetes/bin"
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


def _checkout(target: Target, repo: str, checkout: str, ref: str, fetch: bool, say: Say) -> None:
    if target.sh(["test", "-d", f"{checkout}/.git"], hide=True, warn=True).ok:
        say(f"using the existing checkout {checkout}")
        has_ref = target.sh(["git", "-C", checkout, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                            hide=True, warn=True).ok
        if not has_ref and fetch:
            say(f"fetching {ref} from origin")
            target.sh(["git", "-C", checkout, "fetch", "--tags", "origin"], warn=True)
    else:
        if target.sh(["test", "-e", checkout], hide=True, warn=True).ok:
            raise K8smError(f"{checkout} exists on {target.label} and is not a git checkout",
                            "remove it, or choose another kubernetes.checkout / --checkout")
        say(f"cloning {repo} into {checkout} ...")
        cloned = target.sh(["git", "clone", repo, checkout], warn=True)
        if not cloned.ok:
            raise K8smError(f"git clone {repo} failed (exit {cloned.exited})", "its output is above")
    if not target.sh(["git", "-C", checkout, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                     hide=True, warn=True).ok:
        raise K8smError(f"{ref} is not a commit, tag or branch in {checkout}", "check kubernetes.ref in hosts.yaml")
    switched = target.sh(["git", "-C", checkout, "checkout", "--quiet", "--detach", ref], hide="stdout", warn=True)
    if not switched.ok:
        detail = (switched.stderr.strip().splitlines() or ["no output"])[-1]
        raise K8smError(f"git checkout {ref} failed in {checkout}: {detail}", "commit or stash local changes there")
