"""`invoke run` on the real engine: the seed's 11 containers, fixed IPs, names, labels; safe repeats."""

from __future__ import annotations

SEED = ["etcd-0", "etcd-1", "etcd-2", "mesos-master-0", "mesos-master-1", "mesos-master-2", "kubernetes-mesos",
        "kubernetes-minion-0", "kubernetes-minion-1", "kubernetes-minion-2", "kubernetes-minion-3"]


def test_first_run_creates_the_seed_topology(seed_lab, engine):
    assert f"lab {seed_lab.name}: 11 created" in seed_lab.first_run.stdout
    for position, node in enumerate(SEED):
        info = engine.inspect_container(seed_lab.container(node))
        assert info["State"]["Running"], node
        assert info["Config"]["Hostname"] == node
        network = info["NetworkSettings"]["Networks"][seed_lab.name]
        assert network["IPAddress"] == seed_lab.ip(position), node
        labels = info["Config"]["Labels"]
        assert labels["io.k8sm.lab"] == seed_lab.name and labels["io.k8sm.node"] == node


def test_names_resolve_between_nodes(seed_lab):
    code, out = seed_lab.exec("kubernetes-minion-3", "getent", "hosts", "etcd-1")
    assert code == 0 and out.split()[0] == seed_lab.ip(1)
    code, out = seed_lab.exec("etcd-0", "getent", "hosts", "kubernetes-mesos")
    assert code == 0 and out.split()[0] == seed_lab.ip(6)


def test_nodes_know_who_they_are(seed_lab):
    code, out = seed_lab.exec("mesos-master-1", "bash", "-c", "source /etc/k8sm/node.env; echo $K8SM_NODE $K8SM_IP")
    assert (code, out.strip()) == (0, f"mesos-master-1 {seed_lab.ip(4)}")
    code, out = seed_lab.exec("etcd-0", "cat", "/etc/k8sm/peers")
    assert out.splitlines()[10] == f"kubernetes-minion-3 {seed_lab.ip(10)} minion"


def test_framework_and_minions_get_capabilities_not_privileged(seed_lab, engine):
    for node in ("kubernetes-mesos", "kubernetes-minion-0"):
        host = engine.inspect_container(seed_lab.container(node))["HostConfig"]
        assert not host["Privileged"]
        assert {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"} <= {c if c.startswith("CAP_") else f"CAP_{c}" for c in host["CapAdd"]}
        assert "seccomp=unconfined" in host["SecurityOpt"]
    assert not engine.inspect_container(seed_lab.container("etcd-0"))["HostConfig"]["CapAdd"]


def test_ports_are_published_on_loopback_only(seed_lab, engine):
    ports = engine.inspect_container(seed_lab.container("mesos-master-0"))["HostConfig"]["PortBindings"]
    assert ports == {"5050/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(seed_lab.mesos_port)}]}
    ports = engine.inspect_container(seed_lab.container("kubernetes-mesos"))["HostConfig"]["PortBindings"]
    assert ports == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(seed_lab.api_port)}]}


def test_data_lives_on_labelled_volumes(seed_lab, engine):
    volumes = {v["Name"] for v in engine.volumes(filters={"label": f"io.k8sm.lab={seed_lab.name}"})["Volumes"]}
    assert f"{seed_lab.name}_etcd-0_data" in volumes
    assert f"{seed_lab.name}_kubernetes-minion-0_docker" in volumes
    assert len(volumes) == 11 + 4


def test_second_run_creates_nothing(seed_lab):
    before = {c["Id"] for c in seed_lab.containers()}
    run = seed_lab.ok("run")
    assert "all 11 containers already running; nothing to do" in run.stdout
    assert {c["Id"] for c in seed_lab.containers()} == before


def test_run_repairs_a_stopped_and_a_removed_container(seed_lab, engine):
    engine.stop(seed_lab.container("kubernetes-minion-2"), timeout=2)
    engine.remove_container(seed_lab.container("kubernetes-minion-3"), force=True)
    run = seed_lab.ok("run")
    assert "kubernetes-minion-2: started" in run.stdout
    assert "kubernetes-minion-3: created" in run.stdout
    assert "1 started, 1 created" in run.stdout
    states = {c["Labels"]["io.k8sm.node"]: c["State"] for c in seed_lab.containers()}
    assert states == {node: "running" for node in SEED}
    code, out = seed_lab.exec("kubernetes-minion-3", "cat", "/etc/k8sm/node.env")
    assert "K8SM_NODE=kubernetes-minion-3" in out


def test_status_shows_every_node(seed_lab):
    run = seed_lab.invoke("status")
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["NODE", "ROLE", "IP", "CONTAINER", "DAEMONS"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(SEED)
    assert rows["etcd-2"][1:4] == ["etcd", seed_lab.ip(2), "running"]
    assert rows["kubernetes-minion-0"][1:4] == ["minion", seed_lab.ip(7), "running"]


def test_status_exit_code_reports_a_stopped_container(seed_lab, engine):
    engine.stop(seed_lab.container("kubernetes-minion-1"), timeout=2)
    try:
        run = seed_lab.invoke("status")
        assert run.code & 1, run.code  # the containers bit
        row = next(line for line in run.stdout.splitlines() if line.startswith("kubernetes-minion-1 "))
        assert "exited" in row
    finally:
        seed_lab.ok("run")
    assert not seed_lab.invoke("status").code & 1


def test_changed_settings_are_reported_and_applied_with_recreate(make_lab, built, engine):
    from tests.integration.conftest import SMALL_NODES, free_port

    lab = make_lab(SMALL_NODES)
    lab.ok("run")
    ids = {c["Labels"]["io.k8sm.node"]: c["Id"] for c in lab.containers()}
    port = free_port()
    lab.nodes_yaml = SMALL_NODES.replace("role: framework}", f'role: framework, publish: ["{port}:8080"]}}')
    lab.write()

    run = lab.ok("run")
    assert "kubernetes-mesos: running; its settings differ from hosts.yaml (`invoke run --recreate`" in run.stdout
    assert {c["Labels"]["io.k8sm.node"]: c["Id"] for c in lab.containers()} == ids

    run = lab.ok("run", "--recreate")
    assert "kubernetes-mesos: recreated" in run.stdout and "1 recreated" in run.stdout
    now = {c["Labels"]["io.k8sm.node"]: c["Id"] for c in lab.containers()}
    assert now["kubernetes-mesos"] != ids["kubernetes-mesos"] and now["etcd-0"] == ids["etcd-0"]
    bindings = engine.inspect_container(lab.container("kubernetes-mesos"))["HostConfig"]["PortBindings"]
    assert bindings == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    assert "nothing to do" in lab.ok("run").stdout
