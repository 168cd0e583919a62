"""Failures on the real engine: one clear line, a non-zero exit, nothing running harmed."""

from __future__ import annotations

import docker.errors
import pytest

from tests.integration.conftest import SMALL_NODES


def one_line_error(run, code: int = 1) -> str:
    assert run.code == code, str(run)
    assert "Traceback" not in run.stderr + run.stdout, str(run)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, str(run)
    return lines[0]


@pytest.mark.parametrize("task", ["status", "run", "rm", "build"])
def test_engine_unreachable(make_lab, task, tmp_path):
    lab = make_lab(SMALL_NODES)
    socket = tmp_path / "no-engine.sock"
    # status gives an unreachable engine a code of its own: no layer's bit can be said
    line = one_line_error(lab.invoke(task, env={"DOCKER_HOST": f"unix://{socket}"}), 32 if task == "status" else 1)
    assert line.startswith(f"k8sm: cannot reach the Docker engine at unix://{socket}; start it")


def test_missing_images_name_the_task_that_builds_them(make_lab, engine):
    lab = make_lab(SMALL_NODES, images="{prefix: k8sm-test-absent/}")
    line = one_line_error(lab.invoke("run"))
    assert line == ("k8sm: missing images on local: k8sm-test-absent/etcd:latest, "
                    "k8sm-test-absent/mesos-master:latest, k8sm-test-absent/framework:latest; "
                    "build them with `invoke build`")
    assert not engine.networks(names=[lab.name])


def test_daemon_task_on_a_lab_that_is_not_running(make_lab):
    lab = make_lab(SMALL_NODES)
    line = one_line_error(lab.invoke("etcd", "--status"))
    assert line == "k8sm: node etcd-0 has no container (" + lab.container("etcd-0") + "); create the lab with `invoke run`"


def test_foreign_network_of_the_same_name_is_refused(make_lab, engine, built):
    lab = make_lab(SMALL_NODES)
    net = engine.create_network(lab.name, driver="bridge")
    try:
        line = one_line_error(lab.invoke("run"))
        assert line == (f"k8sm: the Docker network {lab.name} already exists and belongs to no k8sm lab, "
                        f"not to lab {lab.name}; choose another network.name in hosts.yaml, "
                        "or remove that network yourself")
        assert lab.containers() == []
    finally:
        engine.remove_network(net["Id"])


def test_foreign_container_of_a_node_name_is_refused_and_kept(make_lab, engine, built, base_image):
    lab = make_lab(SMALL_NODES)
    foreign = engine.create_container(base_image, ["sleep", "600"], name=lab.container("etcd-0"))
    engine.start(foreign)
    try:
        run = lab.invoke("run")
        line = one_line_error(run)
        assert line.startswith(f"k8sm: the Docker container {lab.container('etcd-0')} already exists and "
                               "belongs to no k8sm lab")
        assert engine.inspect_container(foreign)["State"]["Running"]
        # refused before anything was created: no network, no volume, no other container
        assert not engine.networks(names=[lab.name]) and lab.containers() == []
        assert not engine.volumes(filters={"label": f"io.k8sm.lab={lab.name}"})["Volumes"]
    finally:
        engine.remove_container(foreign, force=True)


def test_a_volume_of_another_lab_is_refused_before_anything_is_created(make_lab, engine, built):
    lab = make_lab(SMALL_NODES)
    other = f"{lab.name}x"
    volume = engine.create_volume(f"{lab.name}_etcd-0_data", labels={"io.k8sm.lab": other})
    try:
        line = one_line_error(lab.invoke("run"))
        assert line == (f"k8sm: the Docker volume {lab.name}_etcd-0_data already exists and belongs to lab "
                        f"'{other}', not to lab {lab.name}; choose another lab.name in hosts.yaml, "
                        "or remove that volume yourself")
        assert not engine.networks(names=[lab.name]) and lab.containers() == []
        assert engine.inspect_volume(volume["Name"])["Labels"] == {"io.k8sm.lab": other}
    finally:
        engine.remove_volume(volume["Name"])


def test_labs_whose_names_and_node_names_overlap_get_their_own_volumes(make_lab, engine, built):
    # lab A with node "x-y" and lab "A-x" with node "y" once both mounted A-x-y-data
    first = make_lab(SMALL_NODES + "  - {name: kubernetes-minion-0, role: minion}\n")
    second = make_lab(SMALL_NODES + "  - {name: minion-0, role: minion}\n")
    own_prefix = second.prefix
    second.name = f"{first.name}-kubernetes"  # destroyed by this name at the end of the session
    second.write(lab=f"{{name: {second.name}, container_prefix: {own_prefix}}}")
    first.ok("run")
    second.ok("run")
    mounts = {}
    for lab_, container in ((first, first.container("kubernetes-minion-0")), (second, f"{own_prefix}minion-0")):
        info = engine.inspect_container(container)
        mounts[lab_.name] = {m["Name"] for m in info["Mounts"] if m["Type"] == "volume"}
    assert mounts[first.name].isdisjoint(mounts[second.name]), mounts


def test_privileged_refused_says_which_setting_to_use(make_lab, engine, built, base_image):
    probe = engine.create_container(base_image, ["true"], host_config=engine.create_host_config(privileged=True))
    try:
        engine.start(probe)
        pytest.skip("this engine allows --privileged; the refusal cannot happen here")
    except docker.errors.APIError:
        pass
    finally:
        engine.remove_container(probe, force=True)
    lab = make_lab(SMALL_NODES, lab="{name: LAB, container_prefix: LAB-, security: privileged}")
    lab.write(lab=f"{{name: {lab.name}, container_prefix: {lab.prefix}, security: privileged}}")
    line = one_line_error(lab.invoke("run"))
    assert line == ("k8sm: the Docker engine on local refused a privileged container for kubernetes-mesos; "
                    "set `lab.security: capabilities` in hosts.yaml")
    names = {c["Labels"]["io.k8sm.node"] for c in lab.containers()}
    assert "kubernetes-mesos" not in names  # the refused container is not left behind


def test_published_port_in_use(make_lab, built):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        lab = make_lab(SMALL_NODES.replace("role: framework}", f"role: framework, publish: [\"{port}:8080\"]}}"))
        line = one_line_error(lab.invoke("run"))
        assert line.startswith("k8sm: kubernetes-mesos: a published port is already in use on local")
