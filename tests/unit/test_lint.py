"""The linter: ruff over k8sm/, tests/ and bench/ with the rules of pyproject.toml ([tool.ruff]) finds nothing.

This is how the linter runs in CI (.ci/run runs `python -m pytest`).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None,
                    reason="ruff is not installed (pip install -e '.[test]', or scripts/prepare-host.sh)")
def test_ruff_finds_nothing_in_the_code_the_tests_or_the_benchmarks():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "k8sm", "tests", "bench"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"ruff check failed (exit {run.returncode}):\n{run.stdout}{run.stderr}"
