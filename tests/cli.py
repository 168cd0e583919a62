"""Run the real `invoke` command line of the checkout, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"$ {' '.join(self.argv)}\n[exit {self.code}]\n{self.stdout}\n[stderr]\n{self.stderr}"


def invoke(*args: str, hosts: Path | str | None = None, env: dict[str, str] | None = None,
           timeout: float = 600, cwd: Path = ROOT) -> Run:
    """`python -m invoke ARGS` in the checkout, with K8SM_HOSTS pointing at `hosts`."""
    return _program("invoke", args, hosts, env, timeout, cwd)


def k8sm(*args: str, hosts: Path | str | None = None, env: dict[str, str] | None = None,
         timeout: float = 600, cwd: Path = ROOT) -> Run:
    """`python -m k8sm ARGS` (the console program, with -H), with K8SM_HOSTS pointing at `hosts`."""
    return _program("k8sm", args, hosts, env, timeout, cwd)


def _program(module: str, args: tuple[str, ...], hosts: Path | str | None, env: dict[str, str] | None,
             timeout: float, cwd: Path) -> Run:
    full_env = {k: v for k, v in os.environ.items() if k not in ("K8SM_HOSTS", "K8SM_DEBUG")}
    if hosts is not None:
        full_env["K8SM_HOSTS"] = str(hosts)
    full_env.update(env or {})
    argv = [sys.executable, "-m", module, *args]
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    return Run([module, *args], proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
