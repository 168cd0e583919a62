"""The base image for hosts without a registry: debootstrap, then docker import, on the target."""

from __future__ import annotations

from k8sm.engine import cli, inspect_image_id
from k8sm.engine.cli import import_argv
from k8sm.errors import K8smError
from k8sm.output import Say
from k8sm.target import Target
from k8sm.topology import Lab


def build_base(target: Target, lab: Lab, say: Say, *, force: bool = False, mirror: str | None = None,
               suite: str | None = None) -> str:
    """Make the base image from Debian packages (debootstrap | docker import); returns its ref."""
    ref = lab.images.base
    if inspect_image_id(target, ref) and not force:
        say(f"base image {ref} already exists on {target.label} (use --force to make it again)")
        return ref
    mirror = mirror or lab.images.debian_mirror
    suite = suite or lab.images.debian_suite
    for command, package in (("debootstrap", "debootstrap"), (cli.DOCKER_CLI, f"{cli.DOCKER_CLI_PACKAGE} (the docker CLI)"),
                             ("tar", "tar")):
        if not target.has_command(command):
            raise K8smError(f"{command} is not installed on {target.label}", f"install {package} there first")
    if not target.is_root():
        raise K8smError(f"build.base needs root on {target.label} (debootstrap creates device files)",
                        "run it as root (e.g. with sudo)")
    workdir = target.sh(["mktemp", "-d", "/tmp/k8sm-base.XXXXXX"], hide=True).stdout.strip()
    rootfs = f"{workdir}/rootfs"
    try:
        say(f"debootstrap --variant=minbase {suite} from {mirror} (about 30 s) ...")
        result = target.sh(["debootstrap", "--variant=minbase", suite, rootfs, mirror], warn=True, hide="stdout")
        if not result.ok:
            raise K8smError(f"debootstrap of {suite} from {mirror} failed (exit {result.exited})",
                            "check the mirror URL (images.debian_mirror) and the network; its output is above")
        say(f"importing {rootfs} as {ref} ...")
        changes = ["LABEL io.k8sm.image=base", f"LABEL io.k8sm.debian-suite={suite}",
                   "ENV LANG=C.UTF-8", 'CMD ["bash"]']
        result = target.pipeline(["tar", "-C", rootfs, "-c", "."], import_argv(ref, changes), hide=True, warn=True)
        if not result.ok:
            raise K8smError(f"docker import of the base image failed: {(result.stderr or result.stdout).strip()}")
    finally:
        target.sh(["rm", "-rf", "--one-file-system", workdir], hide=True, warn=True)
    say(f"base image {ref} is ready")
    return ref
