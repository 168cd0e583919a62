#!/bin/bash
# mesos.sh: the original's ZooKeeper / Mesos control script, on top of k8sm-daemon.
set -u
# shellcheck source=scripts/seed-cli.sh
source "$(dirname "$(readlink -f "$0")")/seed-cli.sh"

usage() {
    cat <<'USAGE'
Usage: mesos.sh [Options] [Arguments]

- Options
zk, zookeeper      : ZooKeeper
mm, mesos-master   : Mesos Master
ms, mesos-slave    : Mesos Slave
d, docker          : the minion's own Docker engine (mesos-slave needs it)
k, kill            : kill of process
st, status         : state of the daemons on this node

- Arguments
s, start           : Start commands
m, manual          : Manual commands (shows the command line and how to change it)

zk, zookeeper      : kill of zookeeper (k or kill option only.)
                     ex) mesos.sh k zk or mesos.sh kill zookeeper
mm, mesos-master   : kill of mesos-master (k or kill option only.)
                     ex) mesos.sh k mm or mesos.sh kill mesos-master
ms, mesos-slave    : kill of mesos-slave (k or kill option only.)
                     ex) mesos.sh k ms or mesos.sh kill mesos-slave
d, docker          : kill of the minion's Docker engine (k or kill option only.)
USAGE
}

daemon_of() {
    case "$1" in
        zk|zookeeper) echo zookeeper ;;
        mm|mesos-master) echo mesos-master ;;
        ms|mesos-slave) echo mesos-slave ;;
        d|docker) echo docker ;;
        *) return 1 ;;
    esac
}

opt=${1:-} arg=${2:-}
case "$opt" in
    k|kill)
        daemon=$(daemon_of "$arg") || { usage; exit 2; }
        seed_kill "$daemon" ;;
    st|status)
        seed_status mesos ;;
    *)
        daemon=$(daemon_of "$opt") || { usage; exit 2; }
        case "$arg" in
            s|start)  seed_start "$daemon" ;;
            m|manual) seed_manual "$daemon" "--start --node $(seed_node) [options]" ;;
            *)        usage; exit 2 ;;
        esac ;;
esac
