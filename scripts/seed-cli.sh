# shellcheck shell=bash
# seed-cli.sh: shared by etcd-cluster.sh, mesos.sh and k8sm.sh (sourced, not run).
# "Who am I" comes from /etc/k8sm/node.env, written by `invoke run`, not from IP matching.
# Daemon names in order, their tasks and their directories come from k8sm-daemon (which
# reads the start plan /etc/k8sm/plan): these scripts keep no copy of them.

K8SM_NODE_ENV=${K8SM_NODE_ENV:-/etc/k8sm/node.env}

seed_node() {
    # node.env is KEY='value' lines written with shell quoting by k8sm
    if [ -r "$K8SM_NODE_ENV" ]; then
        # shellcheck source=/dev/null
        ( source "$K8SM_NODE_ENV"; echo "${K8SM_NODE:-unknown}" )
    else
        echo unknown
    fi
}

seed_start() { k8sm-daemon start "$1"; }

seed_kill() { k8sm-daemon kill "$1"; }

# The daemons of task namespace NS (etcd, mesos, k8sm) that this node runs, in start order.
seed_daemons() {
    local names configured d
    names=$(k8sm-daemon order --of "$1") || return 1
    configured=$(k8sm-daemon list)
    for d in $names; do
        grep -qxF -- "$d" <<< "$configured" && echo "$d"
    done
    return 0
}

# seed_status NS: the state of each daemon of task namespace NS on this node.
seed_status() {
    local d names
    names=$(seed_daemons "$1") || return 1
    for d in $names; do
        printf '%-20s %s\n' "$d" "$(k8sm-daemon status "$d")"
    done
    return 0
}

# seed_kill_all NS: kill each daemon of task namespace NS, in reverse start order.
seed_kill_all() {
    local d names
    names=$(k8sm-daemon order --stop --of "$1") || return 1
    for d in $names; do
        seed_kill "$d"
    done
}

# seed_manual DAEMON OPTIONS: how DAEMON starts here, and how to start it otherwise
# (OPTIONS: those of its invoke task that the hint shows).
seed_manual() {
    local daemon=$1 options=$2 file task
    file="$(k8sm-daemon dir argv)/$daemon.argv"
    [ -r "$file" ] || { echo "$daemon is not configured on node $(seed_node)" >&2; exit 1; }
    task=$(k8sm-daemon task "$daemon") || exit 1
    echo "$daemon on $(seed_node) starts with:"
    printf '  '; tr '\n' ' ' < "$file"; echo
    echo
    echo "To start it with other values, from the host:"
    echo "  invoke $task $options"
    echo "or here, with the whole command line given explicitly:"
    echo "  k8sm-daemon start $daemon -- <program> <arguments...>"
}
