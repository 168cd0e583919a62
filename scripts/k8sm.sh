#!/bin/bash
# k8sm.sh: the original's Kubernetes-Mesos (km) control script, on top of k8sm-daemon.
set -u
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

task_of() {
    case "$1" in
        apiserver) echo k8sm.api ;;
        scheduler) echo k8sm.sd ;;
        controller-manager) echo k8sm.cm ;;
    esac
}

opt=${1:-} arg=${2:-}
case "$opt" in
    k|kill)
        if [ "$arg" = all ]; then
            # scheduler first, apiserver last: the reverse of the start order
            seed_kill scheduler; seed_kill controller-manager; seed_kill apiserver
        else
            daemon=$(daemon_of "$arg") || { usage; exit 2; }
            seed_kill "$daemon"
        fi ;;
    st|status)
        seed_status apiserver controller-manager scheduler ;;
    *)
        daemon=$(daemon_of "$opt") || { usage; exit 2; }
        case "$arg" in
            s|start)  seed_start "$daemon" ;;
            m|manual) seed_manual "$daemon" "invoke $(task_of "$daemon") --start [options]" ;;
            *)        usage; exit 2 ;;
        esac ;;
esac
