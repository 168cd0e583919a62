"""Integration fixtures: a real Docker engine, test labs with their own names and subnets.

Everything a test lab creates carries its lab label, and the teardown removes
all of it by that label (first with `invoke rm`, then directly, in case k8sm
itself is what broke), also when tests fail.
"""

from __future__ import annotations

import ipaddress
import random
import secrets
import socket
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli import Run, invoke, k8sm

BASE_IMAGE = "k8sm/base:bookworm"
#: Every name a test session gives (images, labs) carries this, so sessions on one engine never meet.
SESSION = secrets.token_hex(3)
TEST_IMAGE_PREFIX = f"k8sm-test-{SESSION}/"


def image_prefix(purpose: str) -> str:
    """An image prefix of this session's own, e.g. k8sm-rel-1a2b3c/."""
    return f"k8sm-{purpose}-{SESSION}/"


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def engine():
    """A low-level client of the real engine; the tests fail (not skip) without one."""
    import docker

    try:
        client = docker.APIClient(version="auto", timeout=300)
        client.ping()
    except Exception as exc:
        pytest.fail(f"integration tests need a running Docker engine ({exc}); "
                    "run scripts/prepare-host.sh, or deselect them with -m 'not integration'")
    return client


@pytest.fixture(scope="session")
def base_image(engine):
    import docker.errors

    try:
        engine.inspect_image(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"the base image {BASE_IMAGE} is missing: run `invoke build.base` first (see README)")
    return BASE_IMAGE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_subnet(engine, taken: set[str] = set()) -> str:  # noqa: B006 - shared on purpose: one per session
    used = []
    for net in engine.networks():
        for cfg in (net.get("IPAM") or {}).get("Config") or []:
            if cfg.get("Subnet"):
                used.append(ipaddress.ip_network(cfg["Subnet"], strict=False))
    seconds = list(range(200, 255))
    random.shuffle(seconds)  # two sessions at once are unlikely to try the same subnet
    for second in seconds:
        candidate = ipaddress.ip_network(f"10.{second}.0.0/16")
        if str(candidate) not in taken and not any(candidate.overlaps(u) for u in used):
            taken.add(str(candidate))
            return str(candidate)
    raise RuntimeError("no free /16 subnet for a test lab")


SEED_NODES = """
  - {name: etcd-0, role: etcd}
  - {name: etcd-1, role: etcd}
  - {name: etcd-2, role: etcd}
  - {name: mesos-master-0, role: mesos-master, publish: [MESOS_PORT]}
  - {name: mesos-master-1, role: mesos-master}
  - {name: mesos-master-2, role: mesos-master}
  - {name: kubernetes-mesos, role: framework, publish: [API_PORT]}
  - {name: kubernetes-minion-0, role: minion}
  - {name: kubernetes-minion-1, role: minion}
  - {name: kubernetes-minion-2, role: minion}
  - {name: kubernetes-minion-3, role: minion}
"""

SMALL_NODES = """
  - {name: etcd-0, role: etcd}
  - {name: mesos-master-0, role: mesos-master}
  - {name: kubernetes-mesos, role: framework}
"""


@dataclass
class TestLab:
    """A lab of the tests' own: hosts.yaml in a temp dir, names and subnet no one else uses."""

    engine: object
    directory: Path
    name: str
    subnet: str
    nodes_yaml: str
    extra: dict[str, str] = field(default_factory=dict)
    mesos_port: int = 0
    api_port: int = 0

    __test__ = False  # not a test class

    @property
    def prefix(self) -> str:
        return f"{self.name}-"

    @property
    def hosts(self) -> Path:
        return self.directory / f"{self.name}.yaml"

    @property
    def first_ip(self) -> ipaddress.IPv4Address:
        return ipaddress.ip_network(self.subnet).network_address + 257

    def ip(self, position: int) -> str:
        return str(self.first_ip + position)

    def write(self, **sections: str) -> Path:
        """Write hosts.yaml; `sections` replace whole top-level sections (YAML text)."""
        values = {
            "lab": f"{{name: {self.name}, container_prefix: {self.prefix}}}",
            "network": f"{{name: {self.name}, subnet: {self.subnet}, first_ip: {self.first_ip}}}",
            "images": f"{{base: {BASE_IMAGE}, prefix: {TEST_IMAGE_PREFIX}}}",
            **self.extra,
            **sections,
        }
        nodes = self.nodes_yaml.replace("MESOS_PORT", f'"{self.mesos_port}:5050"').replace(
            "API_PORT", f'"{self.api_port}:8080"')
        text = "".join(f"{key}: {value}\n" for key, value in values.items()) + "nodes:" + textwrap.dedent(nodes)
        self.hosts.write_text(text)
        return self.hosts

    def invoke(self, *args: str, env: dict[str, str] | None = None, timeout: float = 900) -> Run:
        return invoke(*args, hosts=self.hosts, env=env, timeout=timeout)

    def k8sm(self, *args: str, env: dict[str, str] | None = None, timeout: float = 900) -> Run:
        """The k8sm program (with -H and friends in args)."""
        return k8sm(*args, hosts=self.hosts, env=env, timeout=timeout)

    def ok(self, *args: str, **kwargs) -> Run:
        return succeeded(self.invoke(*args, **kwargs))

    def container(self, node: str) -> str:
        return f"{self.prefix}{node}"

    def exec(self, node: str, *argv: str) -> tuple[int, str]:
        api = self.engine
        exec_id = api.exec_create(self.container(node), list(argv))
        output = api.exec_start(exec_id).decode()
        return api.exec_inspect(exec_id)["ExitCode"], output

    def containers(self) -> list[dict]:
        return self.engine.containers(all=True, filters={"label": f"io.k8sm.lab={self.name}"})

    def destroy(self) -> None:
        """Remove everything labelled with this lab, with k8sm and then directly."""
        import docker.errors

        if self.hosts.exists():
            self.invoke("rm", "--volumes", "--images", timeout=300)
        selector = {"label": f"io.k8sm.lab={self.name}"}
        api = self.engine
        for c in api.containers(all=True, filters=selector):
            _quietly(docker.errors, api.remove_container, c["Id"], force=True)
        for n in api.networks(filters=selector):
            _quietly(docker.errors, api.remove_network, n["Id"])
        for v in (api.volumes(filters=selector) or {}).get("Volumes") or []:
            _quietly(docker.errors, api.remove_volume, v["Name"], force=True)
        for i in api.images(filters=selector):
            _quietly(docker.errors, api.remove_image, i["Id"], force=True)


def succeeded(run: Run) -> Run:
    assert run.code == 0, str(run)
    assert "Traceback" not in run.stderr, str(run)
    return run


def _quietly(errors, action: Callable[..., object], *args: object, **kwargs: object) -> None:
    try:
        action(*args, **kwargs)
    except errors.NotFound:
        pass


@pytest.fixture(scope="session")
def make_lab(engine, tmp_path_factory) -> Iterator[Callable[..., TestLab]]:
    """Factory of test labs; every lab made is destroyed at the end of the session."""
    made: list[TestLab] = []
    directory = tmp_path_factory.mktemp("labs")

    def make(nodes_yaml: str = SEED_NODES, **extra: str) -> TestLab:
        lab = TestLab(engine, directory, f"k8smt{secrets.token_hex(3)}", free_subnet(engine), nodes_yaml,
                      extra, mesos_port=free_port(), api_port=free_port())
        lab.write()
        made.append(lab)
        return lab

    yield make
    for lab in reversed(made):
        lab.destroy()


@pytest.fixture(scope="session")
def built(base_image, make_lab, engine) -> Iterator[dict[str, str]]:
    """The lab's images built once per session under TEST_IMAGE_PREFIX, removed at the end."""
    import docker.errors

    builder = make_lab()
    run = builder.ok("build", "--image", "etcd", "--image", "mesos-master", "--image", "framework",
                     "--image", "minion", "--image", "client", timeout=1800)
    refs = {name: f"{TEST_IMAGE_PREFIX}{name}:latest" for name in
            ("node", "etcd", "mesos-master", "framework", "minion", "client")}
    yield {"output": run.stdout, "lab": builder.name, **refs}
    for ref in reversed(list(refs.values())):
        try:
            engine.remove_image(ref, force=True)
        except docker.errors.NotFound:
            pass


@pytest.fixture(scope="session")
def seed_lab(built, make_lab) -> TestLab:
    """The seed's 11-node topology, running, in a subnet of its own."""
    lab = make_lab(SEED_NODES)
    lab.first_run = lab.ok("run")
    return lab


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.5) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
