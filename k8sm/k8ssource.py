"""The Kubernetes source build.k8s builds: a git checkout on the target, a ref in it, its version."""

from __future__ import annotations

import re
from dataclasses import dataclass

from k8sm.errors import K8smError, shown
from k8sm.output import Say
from k8sm.target import Target
from k8sm.topology_values import ABSOLUTE_PATH, GIT_REF, GIT_URL

#: A tag, branch or commit; never starts with "-" (git would read an option). The same rule
#: as kubernetes.ref in hosts.yaml, always as a full match (a trailing newline is refused).
REF: re.Pattern[str] = GIT_REF


@dataclass(frozen=True)
class Source:
    """Where the source is (checkout, cloned from repo when missing) and what to build (ref)."""

    repo: str
    checkout: str
    ref: str
    fetch: bool = True


def check_ref(ref: str) -> str:
    if not REF.fullmatch(ref):
        raise K8smError(f"{shown(ref)} is not a git ref (a tag, branch or commit)")
    return ref


def check_source(source: Source) -> Source:
    """The source, if --repo / --checkout hold what hosts.yaml would accept there; else one line."""
    check_ref(source.ref)
    if not GIT_URL.fullmatch(source.repo):
        raise K8smError(f"--repo {shown(source.repo)} is not a git URL (http(s)://, ssh://, git://, file://) "
                        "or an absolute path")
    if not ABSOLUTE_PATH.fullmatch(source.checkout):
        raise K8smError(f"--checkout {shown(source.checkout)} is not an absolute path "
                        "(letters, digits and . _ / - only)")
    return source


def prepare(target: Target, source: Source, say: Say) -> str:
    """Clone or reuse the checkout, fetch the ref if missing, check it has contrib/mesos; its commit."""
    checkout, ref = source.checkout, check_source(source).ref
    if target.sh(["test", "-d", f"{checkout}/.git"], hide=True, warn=True).ok:
        say(f"using the existing checkout {checkout}")
        if not resolve(target, checkout, ref) and source.fetch:
            say(f"fetching {ref} from origin")
            target.sh(["git", "-C", checkout, "fetch", "--tags", "origin"], warn=True)
    else:
        if target.sh(["test", "-e", checkout], hide=True, warn=True).ok:
            raise K8smError(f"{checkout} exists on {target.label} and is not a git checkout",
                            "remove it, or choose another kubernetes.checkout / --checkout")
        say(f"cloning {source.repo} into {checkout} ...")
        cloned = target.sh(["git", "clone", source.repo, checkout], warn=True)
        if not cloned.ok:
            raise K8smError(f"git clone {source.repo} failed (exit {cloned.exited})", "its output is above")
    commit = resolve(target, checkout, ref)
    if not commit:
        raise K8smError(f"{ref} is not a commit, tag or branch in {checkout}",
                        "check kubernetes.ref in hosts.yaml or --ref")
    if not target.sh(["git", "-C", checkout, "cat-file", "-e", f"{commit}:contrib/mesos"], hide=True, warn=True).ok:
        raise K8smError(f"Kubernetes {ref} has no contrib/mesos, so no km: Kubernetes-on-Mesos lived in the "
                        "Kubernetes tree only in the v1.x releases before it moved out",
                        "choose such a ref (the original used v1.0/v1.1; the default is commit c18d872f of "
                        "October 2015) as kubernetes.ref in hosts.yaml")
    return commit


def resolve(target: Target, checkout: str, ref: str) -> str:
    """The commit ref names in the checkout, or "" if it names none."""
    found = target.sh(["git", "-C", checkout, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                      hide=True, warn=True)
    return found.stdout.strip() if found.ok else ""


def switch(target: Target, checkout: str, ref: str) -> None:
    """Check the ref out (detached): `make release` builds the work tree."""
    switched = target.sh(["git", "-C", checkout, "checkout", "--quiet", "--detach", ref], hide="stdout", warn=True)
    if not switched.ok:
        detail = (switched.stderr.strip().splitlines() or ["no output"])[-1]
        raise K8smError(f"git checkout {ref} failed in {checkout}: {detail}", "commit or stash local changes there")


def version_vars(target: Target, checkout: str, commit: str) -> dict[str, str]:
    """The KUBE_GIT_* variables the tree's hack/lib/version.sh turns into the binaries' version."""
    described = target.sh(["git", "-C", checkout, "describe", "--tags", "--abbrev=14", f"{commit}^{{commit}}"],
                          hide=True, warn=True)
    return {"KUBE_GIT_COMMIT": commit, "KUBE_GIT_TREE_STATE": "clean",
            "KUBE_GIT_VERSION": version_of(described.stdout.strip() if described.ok else "", commit)}


def version_of(described: str, commit: str) -> str:
    """`git describe --tags` output, or, where no tag precedes the commit, the tree's own form for that case."""
    return described or f"v0.0.0-master+{commit[:14]}"
