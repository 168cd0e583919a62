"""`invoke build`: the lab's images; `build.base`: a base image without a registry."""

from __future__ import annotations

from invoke import Collection

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
    from k8sm.baseimage import build_base

    build_base(target_of(c), lab_of(c), say, force=force, mirror=mirror, suite=suite)


@k8sm_task(
    iterable=["configure_arg"],
    help={
        "url": "source release URL (default: mesos.url in hosts.yaml, for mesos.version)",
        "tarball": "a source tarball already on the target machine, for air-gapped sites",
        "prebuilt": "use an install you built: a directory with bin/, sbin/, lib/ ... (placed at /opt/mesos)",
        "debs": "use Mesos .deb packages from this directory (unpacked with dpkg-deb)",
        "jobs": "parallel make jobs (default: the target's cores)",
        "configure_arg": "extra ./configure argument (repeatable), e.g. --configure-arg=--disable-werror",
        "keep_builder": "keep the builder container afterwards, to look into a failed build",
        "verbose": "print all build output, not only the stages",
    },
)
def mesos(c, url=None, tarball=None, prebuilt=None, debs=None, jobs=0, configure_arg=None, keep_builder=False,
          verbose=False):
    """Build Apache Mesos (mesos.version, default 1.11.0) from its source release into the mesos dist image.

    Mesosphere's package repositories, which the original used, are gone; Apache publishes
    Mesos only as source. The build runs in a builder container on the target (local, or
    the -H host). Then `invoke build` takes Mesos into the mesos-master and minion images.
    Examples: invoke build.mesos; invoke build.mesos --tarball /srv/mesos-1.11.0.tar.gz;
    invoke build.mesos --prebuilt /opt/mesos
    """
    from k8sm.release import build_mesos

    build_mesos(target_of(c), lab_of(c), say, url=url, tarball=tarball, prebuilt=prebuilt, debs=debs,
                jobs=int(jobs), configure_args=list(configure_arg or []), keep_builder=keep_builder, verbose=verbose)


@k8sm_task(help={
    "repo": "Kubernetes git URL (default: kubernetes.repo in hosts.yaml)",
    "checkout": "where the checkout lives on the target (default: kubernetes.checkout, /opt/kubernetes)",
    "fetch": "fetch from origin when the ref is not in an existing checkout (default); --no-fetch stays offline",
})
def k8s(c, repo=None, checkout=None, fetch=True):
    """Clone Kubernetes and run `KUBERNETES_CONTRIB=mesos make release`, as the original did.

    The ref is kubernetes.ref in hosts.yaml (default v1.1.8: it must have contrib/mesos).
    km and kubectl from the release tarballs become the kubernetes dist image on the target;
    `invoke build` then puts km in the framework and minion images and kubectl in the
    framework and client images. An existing checkout is reused.
    """
    from k8sm.release import build_k8s

    build_k8s(target_of(c), lab_of(c), say, repo=repo, checkout=checkout, fetch=fetch)


ns = Collection("build", images, base, mesos, k8s)
