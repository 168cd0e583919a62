"""k8sm.engine loads the Docker SDK as Target.docker does: without its ssh transport, so without
paramiko, on a local target (no engine needed: the SDK is loaded before it is asked)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHECK = textwrap.dedent("""
    import sys
    from invoke import Context
    from k8sm import engine
    from k8sm.errors import K8smError
    from k8sm.target import Target

    try:
        {call}
    except K8smError:
        pass  # no engine at DOCKER_HOST: the SDK was loaded before it was asked
    print("docker" in sys.modules, "paramiko" in sys.modules)
""")


@pytest.mark.parametrize("call", [
    'engine.discard_image(Target(Context()), "sha256:0")',
    'engine.call(Target(Context()), "list", lambda: Target(Context()).docker.containers())',
])
def test_a_local_target_loads_the_sdk_without_paramiko(call, tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", CHECK.format(call=call)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]


def test_importing_the_engine_package_loads_no_sdk():
    """The engine owns every Docker call, yet status's fast path (which imports it) loads no SDK."""
    code = ("import sys, k8sm.engine, k8sm.engine.execs, k8sm.engine.listing, k8sm.target, k8sm.status\n"
            "print(sorted(m for m in ('docker', 'requests', 'urllib3', 'paramiko') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
