"""Where the project's non-Python files are: dockerfiles/ and scripts/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from k8sm.errors import K8smError

_PACKAGE = Path(__file__).resolve().parent


@cache
def project_file(name: str) -> Path:
    """A top-level project directory: from the checkout, or as installed in the wheel."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.exists():
            return candidate
    raise K8smError(f"k8sm cannot find its {name}/ directory",
                    "install k8sm from its checkout (`pip install -e .`) or reinstall the package")


def dockerfiles_dir() -> Path:
    return project_file("dockerfiles")


def scripts_dir() -> Path:
    return project_file("scripts")


@cache
def script_text(name: str) -> str:
    """The text of scripts/NAME: shell that k8sm sends into a node (as `sh -c` text, or as a file)."""
    return (scripts_dir() / name).read_text(encoding="utf-8")
