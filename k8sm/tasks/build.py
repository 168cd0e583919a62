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
    counts = {action: sum(r.action == action for r in results) for action in ("built", "tagged", "up to date")}
    say("images: " + ", ".join(f"{n} {action}" for action, n in counts.items() if n or action != "tagged"))


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
    "local": "build km and kubectl in a builder container with Debian's Go (the default): needs no registry",
    "release": "run `KUBERNETES_CONTRIB=mesos make release` as the original did: needs Docker Hub, gcr.io, "
               "github.com and golang.org",
    "prebuilt": "use km and kubectl you built: a directory on the target holding both (or a bin/ with both)",
    "ref": "the tag, branch or commit to build (default: kubernetes.ref in hosts.yaml); the dist image is named by it",
    "repo": "Kubernetes git URL to clone when the checkout is missing (default: kubernetes.repo in hosts.yaml)",
    "checkout": "where the checkout lives on the target (default: kubernetes.checkout, /opt/kubernetes)",
    "fetch": "fetch from origin when the ref is not in an existing checkout (default); --no-fetch stays offline",
    "jobs": "local mode: parallel Go jobs (default: the target's cores)",
    "keep_builder": "local mode: keep the builder container afterwards, to look into a failed build",
    "verbose": "local mode: print all build output, not only the stages and edits",
})
def k8s(c, local=False, release=False, prebuilt=None, ref=None, repo=None, checkout=None, fetch=True, jobs=0,
        keep_builder=False, verbose=False):
    """Build km (Kubernetes-on-Mesos) and kubectl from Kubernetes v1.x source into the kubernetes dist image.

    The ref (kubernetes.ref in hosts.yaml, or --ref; default the verified commit c18d872f) must have contrib/mesos.
    By default (--local) its tree is copied out of the checkout with `git archive` and built
    in a builder container with Debian's Go; compatibility edits for today's Go are made
    where the tree needs them, and printed. --release runs the original's `make release`;
    --prebuilt takes km and kubectl you bring. `invoke build` then puts km in the framework
    and minion images and kubectl in the framework and client images.
    Examples: invoke build.k8s; invoke build.k8s --checkout /srv/kubernetes --ref v1.1.8;
    invoke build.k8s --prebuilt /srv/k8s-bin
    """
    from k8sm import k8sbuild

    mode = k8sbuild.choose_mode(local, release, prebuilt)
    lab = k8sbuild.with_ref(lab_of(c), ref, say)
    target = target_of(c)
    if mode == "prebuilt":
        k8sbuild.build_prebuilt(target, lab, say, prebuilt)
        return
    source = k8sbuild.source_of(lab, repo, checkout, fetch)
    if mode == "release":
        k8sbuild.build_release(target, lab, say, source)
    else:
        k8sbuild.build_local(target, lab, say, source, jobs=int(jobs), keep_builder=keep_builder, verbose=verbose)


ns = Collection("build", images, base, mesos, k8s)
