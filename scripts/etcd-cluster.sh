#!/bin/bash
# etcd-cluster.sh: the original's etcd control script, on top of k8sm-daemon.
# The node's identity and peers come from /etc/k8sm (written by `invoke run`).
set -u
# shellcheck source=scripts/seed-cli.sh
source "$(dirname "$(readlink -f "$0")")/seed-cli.sh"

usage() {
    cat <<'USAGE'
Usage: etcd-cluster.sh [Options] [Arguments]

- Options
e, etcd         : etcd
k, kill         : kill of process
st, status      : state of etcd on this node

- Arguments
s, start        : Start commands
m, manual       : Manual commands (shows the command line and how to change it)
e, etcd         : kill of etcd (k or kill option only.)
                  ex) etcd-cluster.sh k e or etcd-cluster.sh kill etcd
USAGE
}

case "${1:-}:${2:-}" in
    e:s|e:start|etcd:s|etcd:start)     seed_start etcd ;;
    e:m|e:manual|etcd:m|etcd:manual)   seed_manual etcd "--start --node $(seed_node) [--name N] [--initial-cluster C] [--cluster-state new|existing] [--token T]" ;;
    k:e|k:etcd|kill:e|kill:etcd)       seed_kill etcd ;;
    st:*|status:*)                     seed_status etcd ;;
    *)                                 usage; exit 2 ;;
esac
