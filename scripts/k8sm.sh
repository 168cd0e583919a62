#!/bin/bash
# k8sm.sh: the original's Kubernetes-Mesos (km) control script, on top of k8sm-daemon.
set -u
# shellcheck source=scripts/seed-cli.sh
source "$(dirname "$(readlink -f "$0")")/seed-cli.sh"

usage() {
    cat <<'USAGE'
Usage: k8sm.sh [Options] [Arguments]

- Options
a, api          : apiserver
s, sd           : scheduler
c, cm           : controller manager
k, kill         : kill of process
st, status      : state of the km daemons on this node

- Arguments
s, start        : Start commands
m, manual       : Manual commands (shows the command line and how to change it)

all             : kill of all server (k or kill option only.)
                  ex) k8sm.sh k all or k8sm.sh kill all
a, api          : kill of apiserver (k or kill option only.)
s, sd           : kill of scheduler (k or kill option only.)
c, cm           : kill of controller manager (k or kill option only.)
USAGE
}

daemon_of() {
    case "$1" in
        a|api) echo apiserver ;;
        s|sd) echo scheduler ;;
        c|cm) echo controller-manager ;;
        *) return 1 ;;
    esac
}

opt=${1:-} arg=${2:-}
case "$opt" in
    k|kill)
        if [ "$arg" = all ]; then
            seed_kill_all k8sm    # the k8sm.* daemons in reverse start order: scheduler first
        else
            daemon=$(daemon_of "$arg") || { usage; exit 2; }
            seed_kill "$daemon"
        fi ;;
    st|status)
        seed_status k8sm ;;
    *)
        daemon=$(daemon_of "$opt") || { usage; exit 2; }
        case "$arg" in
            s|start)  seed_start "$daemon" ;;
            m|manual) seed_manual "$daemon" "--start [options]" ;;
            *)        usage; exit 2 ;;
        esac ;;
esac
