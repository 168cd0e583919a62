"""The type checker: mypy over k8sm/ with the settings of pyproject.toml ([tool.mypy]) finds nothing.

This is how the type checker runs in CI (.ci/run runs `python -m pytest`).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (pip install -e '.[test]', or scripts/prepare-host.sh)")
def test_mypy_finds_no_errors_in_k8sm():
    run = subprocess.run([sys.executable, "-m", "mypy", "k8sm"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, f"mypy k8sm failed (exit {run.returncode}):\n{run.stdout}{run.stderr}"
