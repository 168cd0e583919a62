"""Kubernetes-on-Mesos: `km apiserver`, `km controller-manager`, `km scheduler` on the framework node.

Command lines follow the Kubernetes v1.1-era contrib/mesos getting-started guide.
Unlike the original scripts, the service range comes from hosts.yaml (not from a
flannel interface), and every etcd member is listed on the v2 client port.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from k8sm.daemons.base import Daemon, Health, NetProbe, http_net_probe, http_probe, parse_http
from k8sm.daemons.etcd import endpoints
from k8sm.daemons.zookeeper import zk_url
from k8sm.engine import wire
from k8sm.errors import K8smError
from k8sm.node import File
from k8sm.probes import HttpGet
from k8sm.topology import Lab, Node

CONF_DIR = "/etc/k8sm/kubernetes"
#: The apiserver's TLS port, which the `kubernetes` service in the cluster points at.
SECURE_PORT = 6443
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
        "--insecure-bind-address=0.0.0.0",   # --address/--port are deprecated names of these
        f"--insecure-port={lab.ports.apiserver}",
        f"--advertise-address={node.ip}",
        # The `kubernetes` service points pods at the secure port: serve it (with the certificate
        # the apiserver makes itself) rather than leave a service that nothing answers.
        f"--secure-port={SECURE_PORT}",
        f"--cert-dir={CONF_DIR}/certs",
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


#: The name km's scheduler registers its framework with (its --framework-name).
FRAMEWORK_NAME = "Kubernetes"


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
        f"--framework-name={FRAMEWORK_NAME}",
        # the pods' infrastructure image, loaded into the minions by k8sm (no gcr.io)
        f"--kubelet-pod-infra-container-image={k.pause_image}",
        # the agents run executors without cgroups (--launcher=posix): nothing to move pods into
        "--contain-pod-resources=false",
        f"--run-proxy={str(k.run_proxy).lower()}",
        _verbosity(lab),
    ]


def scheduler_probe_argv(lab: Lab, node: Node) -> list[str]:
    """The scheduler's /healthz, and the leading master's frameworks (k8sm-framework-check)."""
    masters = [f"http://{m.ip}:{lab.ports.mesos_master}" for m in lab.role("mesos-master")]
    return ["k8sm-framework-check", f"http://{node.ip}:{lab.ports.scheduler}/healthz", FRAMEWORK_NAME, *masters]


def scheduler_net_probe(lab: Lab, node: Node) -> NetProbe:
    """What k8sm-framework-check asks, asked from outside: the scheduler's /healthz and every
    master's /master/frameworks (the leading master answers it; standbys redirect)."""
    masters = lab.role("mesos-master")
    return NetProbe((HttpGet(node.ip, lab.ports.scheduler, "/healthz"),
                     *(HttpGet(m.ip, lab.ports.mesos_master, "/master/frameworks") for m in masters)),
                    framework_check_output)


def framework_check_output(answers: Sequence[str]) -> str:
    """The answers of scheduler_net_probe as k8sm-framework-check prints them: the /healthz body,
    then the first master's /master/frameworks that came with a 2xx status, or "none"."""
    healthz = parse_http(answers[0])[1][:200].rstrip(chr(10))
    for answer in answers[1:]:
        code, body = parse_http(answer)
        if 200 <= code < 300 and body.strip():
            return wire.framework_check(healthz, FRAMEWORK_NAME, body)
    return wire.framework_check(healthz, FRAMEWORK_NAME, None)


def parse_scheduler_probe(output: str) -> Health:
    """Healthy only when /healthz says ok AND the framework is registered and active with the leading master."""
    healthz, body = wire.parse_framework_check(output)
    if healthz != "ok":
        return Health(False, "not answering" if not healthz else f"healthz: {healthz[:40]}")
    if body is None:
        return Health(False, "registration unknown: no Mesos master answered")
    try:
        frameworks = json.loads(body).get("frameworks", [])
    except (ValueError, AttributeError):
        return Health(False, "registration unknown: unreadable /master/frameworks")
    mine = [f for f in frameworks if f.get("name") == FRAMEWORK_NAME and f.get("active")]
    if not mine:
        return Health(False, "healthz ok, but not registered with the leading Mesos master")
    return Health(True, f"registered with Mesos as {mine[0].get('id', '?')}")


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


def _km(name: str, title: str, task: str, argv, probe_argv, parse_probe, net_probe) -> Daemon:
    return Daemon(name=name, title=title, role="framework", task=task, argv=argv, probe_argv=probe_argv,
                  parse_probe=parse_probe, files=files, requires=("km",), provided_by="invoke build.k8s",
                  dist="kubernetes", net_probe=net_probe)


APISERVER = _km("apiserver", "km apiserver", "k8sm.api", apiserver_argv, _healthz("apiserver"), parse_healthz,
                http_net_probe("apiserver", "/healthz"))
CONTROLLER_MANAGER = _km("controller-manager", "km controller-manager", "k8sm.cm", controller_manager_argv,
                         _healthz("controller_manager"), parse_healthz, http_net_probe("controller_manager", "/healthz"))
SCHEDULER = _km("scheduler", "km scheduler", "k8sm.sd", scheduler_argv, scheduler_probe_argv, parse_scheduler_probe,
                scheduler_net_probe)
