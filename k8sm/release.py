"""The long source builds: Apache Mesos (`build.mesos`), and the dist import both it and k8sm.k8sbuild end with.

Both run on the target (locally, or on the -H host) and end as a dist image
there (k8sm.dists): nothing is copied between machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from k8sm import buildbox, dists
from k8sm.engine import cli
from k8sm.engine.cli import import_argv
from k8sm.errors import K8smError
from k8sm.images import Builder
from k8sm.labels import LAB
from k8sm.output import Say
from k8sm.target import Target
from k8sm.topology import Lab

#: Inside the builder container.
BUILD_DIR = "/build"
STAGE_DIR = f"{BUILD_DIR}/stage"
MESOS_PREFIX = "/opt/mesos"
#: Always given to Mesos's ./configure (k8sm-build-mesos adds --prefix).
CONFIGURE_ARGS = ("--disable-java", "--disable-python", "--disable-werror")
#: With mesos.libraries "system": Debian's libraries (the mesos-builder image has them) instead of the bundles.
SYSTEM_LIBRARY_ARGS = ("--with-protobuf=/usr", "--with-grpc=/usr", "--with-zookeeper=/usr", "--with-libarchive=/usr")
CCACHE_DIR = "/ccache"


def mesos_configure_args(lab: Lab, extra: Sequence[str] = ()) -> list[str]:
    """The ./configure arguments build.mesos passes, after --prefix: fixed, libraries, then the user's."""
    libraries = SYSTEM_LIBRARY_ARGS if lab.mesos.libraries == "system" else ()
    return [*CONFIGURE_ARGS, *libraries, *extra]


@dataclass(frozen=True)
class Tree:
    """A directory tree to import as a dist: on the target host, or inside a container there."""

    path: str
    container: str | None = None

    def _on(self, argv: list[str]) -> list[str]:
        return cli.exec_argv(self.container, argv) if self.container else argv

    def tar_argv(self) -> list[str]:
        return self._on(["tar", "-C", self.path, "-c", "."])

    def has_executable(self, target: Target, path: str) -> bool:
        return bool(target.sh(self._on(["test", "-x", f"{self.path}{path}"]), hide=True, warn=True).ok)

    def passes(self, target: Target, script: str) -> bool:
        """Whether the sh script, given the tree's root as $1, exits 0."""
        return bool(target.sh(self._on(["sh", "-c", script, "k8sm-check", self.path]), hide=True, warn=True).ok)


def import_dist(target: Target, lab: Lab, dist: dists.Dist, tree: Tree, say: Say) -> str:
    """Check the tree holds the dist's programs, then import it as the dist image."""
    missing = [alternatives for alternatives in dist.binaries
               if not any(tree.has_executable(target, path) for path in alternatives.split("|"))]
    if missing:
        raise K8smError(f"the {dist.name} build left no {' or '.join(missing[0].split('|'))} in {tree.path}",
                        f"check the output of {dist.build_task} above")
    ref = dist.ref(lab)
    origin = "upstream" if tree.passes(target, dist.upstream_check) else "other"
    changes = [f"LABEL {dists.DIST_LABEL}={dist.name}", f"LABEL {dists.DIST_VERSION_LABEL}={dist.version(lab)}",
               f"LABEL {dists.DIST_ORIGIN_LABEL}={origin}", f"LABEL {LAB}={lab.name}"]
    say(f"importing the {dist.name} build as {ref} ({'upstream programs' if origin == 'upstream' else 'not upstream'})"
        " ...")
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
    require_commands(target, "build.mesos", [cli.DOCKER_CLI, "tar"], f"apt-get install {cli.DOCKER_CLI_PACKAGE} tar")
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
    name = f"{lab.name}-mesos-build"
    cache = buildbox.cache_volume(target, lab, "mesos-ccache")
    buildbox.start(target, lab, "mesos-builder", name, [f"{cache}:{CCACHE_DIR}"])
    try:
        if tarball:
            say(f"copying {tarball} into the builder")
            target.sh(cli.cp_argv(tarball, f"{name}:{BUILD_DIR}/src.tar.gz"), hide=True)
        else:
            say(f"downloading {url}")
            buildbox.stream(target, name, ["curl", "-fL", "--retry", "3", "-o", f"{BUILD_DIR}/src.tar.gz", url],
                            DOWNLOAD, say, verbose=True)
        cores = buildbox.cores(target, jobs)
        args = mesos_configure_args(lab, configure_args)
        say(f"building Mesos with {cores} jobs, {lab.mesos.libraries} libraries (a first build takes 30-60 minutes"
            f" on 2 cores; the compiler cache {cache} makes a repeat fast) ...")
        buildbox.stream(target, name, ["k8sm-build-mesos", str(cores), *args], BUILD, say, verbose=verbose,
                        environment={"CCACHE_DIR": CCACHE_DIR})
        return import_dist(target, lab, dists.MESOS, Tree(STAGE_DIR, container=name), say)
    finally:
        buildbox.finish(target, name, say, keep=keep_builder)


BUILD = buildbox.Script("mesos", "Mesos")
DOWNLOAD = buildbox.Script("mesos", "Mesos download")
