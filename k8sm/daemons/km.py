"""Kubernetes-on-Mesos: `km apiserver`, `km controller-manager`, `km scheduler` on the framework node.

Command lines follow the Kubernetes v1.1-era contrib/mesos getting-started guide.
Unlike the original scripts, the service range comes from hosts.yaml (not from a
flannel interface), and every etcd member is listed on the v2 client port.
"""

from __future__ import annotations

from k8sm.daemons.base import Daemon, Health, http_probe, parse_http
from k8sm.daemons.etcd import endpoints
from k8sm.daemons.zookeeper import zk_url
from k8sm.errors import K8smError
from k8sm.node import File
from k8sm.topology import Lab, Node

CONF_DIR = "/etc/k8sm/kubernetes"
CLOUD_CONFIG = f"{CONF_DIR}/mesos-cloud.conf"


def api_url(lab: Lab) -> str:
    framework = lab.framework
    if framework is None:
        raise K8smError(f"lab {lab.name!r} has no framework node", f"add one in {lab.source}")
    return f"http://{framework.ip}:{lab.ports.apiserver}"


def cloud_config(lab: Lab) -> str:
    """The mesos cloud provider's config: where the Mesos masters are."""
    return f"[mesos-cloud]\n    mesos-master = {zk_url(lab)}\n"


def files(lab: Lab, node: Node) -> dict[str, File]:
    return {CLOUD_CONFIG: File(cloud_config(lab))}


def _verbosity(lab: Lab) -> str:
    return f"--v={lab.kubernetes.log_level}"


def apiserver_argv(lab: Lab, node: Node) -> list[str]:
    k = lab.kubernetes
    return [
        "km", "apiserver",
        "--address=0.0.0.0",
        f"--advertise-address={node.ip}",
        f"--port={lab.ports.apiserver}",
        "--secure-port=0",
        f"--etcd-servers={endpoints(lab, legacy=True)}",
        f"--service-cluster-ip-range={k.service_cluster_ip_range}",
        "--cloud-provider=mesos",
        f"--cloud-config={CLOUD_CONFIG}",
        _verbosity(lab),
    ]


def controller_manager_argv(lab: Lab, node: Node) -> list[str]:
    return [
        "km", "controller-manager",
        f"--address={node.ip}",
        f"--port={lab.ports.controller_manager}",
        f"--master={api_url(lab)}",
        "--cloud-provider=mesos",
        f"--cloud-config={CLOUD_CONFIG}",
        _verbosity(lab),
    ]


def scheduler_argv(lab: Lab, node: Node) -> list[str]:
    k = lab.kubernetes
    return [
        "km", "scheduler",
        f"--address={node.ip}",
        f"--port={lab.ports.scheduler}",
        f"--mesos-master={zk_url(lab)}",
        f"--etcd-servers={endpoints(lab, legacy=True)}",
        f"--mesos-user={k.mesos_user}",
        f"--api-servers={api_url(lab)}",
        f"--cluster-dns={k.cluster_dns}",
        f"--cluster-domain={k.cluster_domain}",
        _verbosity(lab),
    ]


def _healthz(port_of: str):
    """GET /healthz: the apiserver listens on every address, the others on the node's IP."""
    def probe(lab: Lab, node: Node) -> list[str]:
        address = "127.0.0.1" if port_of == "apiserver" else node.ip
        return http_probe(f"http://{address}:{getattr(lab.ports, port_of)}/healthz")
    return probe


def parse_healthz(output: str) -> Health:
    code, body = parse_http(output)
    if code == 200 and body.strip() == "ok":
        return Health(True, "healthz ok")
    return Health(False, "not answering" if code == 0 else f"healthz: HTTP {code} {body.strip()[:40]}")


def _km(name: str, title: str, task: str, argv, port_of: str) -> Daemon:
    return Daemon(name=name, title=title, role="framework", task=task, argv=argv, probe_argv=_healthz(port_of),
                  parse_probe=parse_healthz, files=files, requires=("km",), provided_by="invoke build.k8s")


APISERVER = _km("apiserver", "km apiserver", "k8sm.api", apiserver_argv, "apiserver")
CONTROLLER_MANAGER = _km("controller-manager", "km controller-manager", "k8sm.cm", controller_manager_argv,
                         "controller_manager")
SCHEDULER = _km("scheduler", "km scheduler", "k8sm.sd", scheduler_argv, "scheduler")
