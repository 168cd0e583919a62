"""`invoke build`: the lab's images; `build.base`: a base image without a registry."""

from __future__ import annotations

from invoke import Collection

from k8sm.errors import K8smError
from k8sm.tasks._common import k8sm_task, lab_of, say, target_of


@k8sm_task(
    default=True,
    iterable=["image"],
    help={
        "image": "build only this image (repeatable): etcd, mesos-master, framework, minion, client, node",
        "no_cache": "rebuild from scratch, ignoring the engine's cache and k8sm's up-to-date check",
        "verbose": "print every line of build output, not only the steps",
        "pull": "pull the base image from its registry if it is missing",
    },
)
def images(c, image=None, no_cache=False, verbose=False, pull=False):
    """Build the lab's images (only those whose inputs changed).

    By default every image the enabled nodes of hosts.yaml use. The base image
    (images.base) must exist: `invoke build.base` makes one from Debian packages.
    Examples: invoke build; invoke build --image etcd --image mesos-master
    """
    from k8sm.images import Builder, images_for

    lab = lab_of(c)
    names = list(image) if image else images_for(lab)
    results = Builder(target_of(c), lab, say, no_cache=no_cache, verbose=verbose, pull=pull).build(names)
    built = [r for r in results if r.action == "built"]
    say(f"images: {len(built)} built, {len(results) - len(built)} up to date")


@k8sm_task(
    help={
        "force": "make it again even if it exists",
        "mirror": "Debian mirror URL (default: images.debian_mirror in hosts.yaml)",
        "suite": "Debian suite (default: images.debian_suite, bookworm)",
    },
)
def base(c, force=False, mirror=None, suite=None):
    """Make the base image (images.base) from Debian packages: debootstrap, then docker import.

    For hosts without a container registry (air-gapped sites, restricted CI).
    Needs root and the debootstrap package on the target.
    """
    from k8sm.images import build_base

    build_base(target_of(c), lab_of(c), say, force=force, mirror=mirror, suite=suite)


@k8sm_task(help={"ref": "Kubernetes git ref to build", "repo": "Kubernetes git URL"})
def k8s(c, ref=None, repo=None):
    """Clone Kubernetes and run `KUBERNETES_CONTRIB=mesos make release` (not yet available: see README)."""
    raise K8smError("build.k8s is not built yet in this version of k8sm", "see README, 'Mesos and km'")


ns = Collection("build", images, base, k8s)
