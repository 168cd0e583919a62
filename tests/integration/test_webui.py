"""`invoke proxy` renders a configuration that a real nginx accepts (`nginx -t`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.cli import ROOT, invoke

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture(scope="module")
def nginx():
    if not shutil.which(NGINX):
        pytest.fail("nginx is not installed; run scripts/prepare-host.sh (it installs nginx without starting it)")
    return NGINX


def nginx_test(nginx: str, directory, conf) -> subprocess.CompletedProcess[str]:
    """nginx -t on a main configuration that includes conf; nothing is started or bound."""
    main = directory / "nginx.conf"
    main.write_text(
        f"pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {conf};\n}}\n")
    return subprocess.run([nginx, "-t", "-p", str(directory), "-c", str(main)], capture_output=True, text=True)


def test_proxy_output_passes_nginx_t(nginx, tmp_path):
    conf = tmp_path / "k8sm.conf"
    run = invoke("proxy", "--mesos-name", "mesos.example.org", "--kubernetes-name", "kubernetes.example.org",
                 "--listen", "8088", "--output", str(conf), hosts=ROOT / "hosts.yaml")
    assert run.code == 0, str(run)
    checked = nginx_test(nginx, tmp_path, conf)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr


def test_nginx_t_catches_a_broken_configuration(nginx, tmp_path):
    conf = tmp_path / "broken.conf"
    conf.write_text(invoke("proxy", hosts=ROOT / "hosts.yaml").stdout.replace("proxy_pass", "proxy_pas"))
    assert nginx_test(nginx, tmp_path, conf).returncode != 0
