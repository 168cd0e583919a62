"""ZooKeeper: an ensemble member on every mesos-master node."""

from __future__ import annotations

from k8sm.daemons.base import DATA_ROOT, LOG_DIR, Daemon, Health, NetProbe
from k8sm.node import File
from k8sm.probes import FourLetter
from k8sm.topology import Lab, Node

CONF_DIR = "/etc/k8sm/zookeeper"
DATA_DIR = f"{DATA_ROOT}/zookeeper"
#: Debian's zookeeper jar names its dependencies in its manifest; slf4j-simple gives it a log.
CLASSPATH = f"{CONF_DIR}:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
SERVING_MODES = ("leader", "follower", "standalone")


def myid(node: Node) -> int:
    """ZooKeeper server ids count from 1 in the order of the mesos-master nodes."""
    return node.index + 1


def zoo_cfg(lab: Lab) -> str:
    p = lab.ports
    lines = [
        "# written by k8sm from hosts.yaml",
        "tickTime=2000",
        "initLimit=10",
        "syncLimit=5",
        f"dataDir={DATA_DIR}",
        f"clientPort={p.zookeeper_client}",
        "quorumListenOnAllIPs=true",
        "4lw.commands.whitelist=srvr,stat,ruok,mntr",
        "admin.enableServer=false",
        "autopurge.purgeInterval=24",
    ]
    lines += [f"server.{myid(n)}={n.ip}:{p.zookeeper_peer}:{p.zookeeper_election}" for n in lab.role("mesos-master")]
    return "\n".join(lines) + "\n"


def files(lab: Lab, node: Node) -> dict[str, File]:
    return {
        f"{CONF_DIR}/zoo.cfg": File(zoo_cfg(lab)),
        f"{DATA_DIR}/myid": File(f"{myid(node)}\n"),
    }


def argv(lab: Lab, node: Node) -> list[str]:
    return [
        "java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC",
        f"-Dzookeeper.log.dir={LOG_DIR}",
        "-cp", CLASSPATH,
        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        f"{CONF_DIR}/zoo.cfg",
    ]


def zk_url(lab: Lab, path: str = "/mesos") -> str:
    """zk://a:2181,b:2181,c:2181/mesos, from the ensemble."""
    hosts = ",".join(f"{n.ip}:{lab.ports.zookeeper_client}" for n in lab.role("mesos-master"))
    return f"zk://{hosts}{path}"


#: Sends the `srvr` four-letter word to the local server; $1 is the client port.
_PROBE = 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 7; printf srvr >&3; cat <&3'


def probe_argv(lab: Lab, node: Node) -> list[str]:
    return ["timeout", "4", "bash", "-c", _PROBE, "probe", str(lab.ports.zookeeper_client)]


def net_probe(lab: Lab, node: Node) -> NetProbe:
    """`srvr` to the member's client port on its lab address (the port listens on every address)."""
    return NetProbe((FourLetter(node.ip, lab.ports.zookeeper_client, "srvr"),))


def parse_srvr(output: str) -> Health:
    for line in output.splitlines():
        if line.startswith("Mode:"):
            mode = line.split(":", 1)[1].strip()
            return Health(mode in SERVING_MODES, mode)
    if "not currently serving" in output:
        return Health(False, "not serving (no quorum)")
    return Health(False, "not answering")


ZOOKEEPER = Daemon(name="zookeeper", title="ZooKeeper", role="mesos-master", task="mesos.zk", argv=argv,
                   probe_argv=probe_argv, parse_probe=parse_srvr, files=files, quorum=True, net_probe=net_probe)
