# seed-cli.sh: shared by etcd-cluster.sh, mesos.sh and k8sm.sh (sourced, not run).
# "Who am I" comes from /etc/k8sm/node.env, written by `invoke run`, not from IP matching.

K8SM_NODE_ENV=${K8SM_NODE_ENV:-/etc/k8sm/node.env}

seed_node() {
    # node.env is KEY='value' lines written with shell quoting by k8sm
    if [ -r "$K8SM_NODE_ENV" ]; then
        ( source "$K8SM_NODE_ENV"; echo "${K8SM_NODE:-unknown}" )
    else
        echo unknown
    fi
}

seed_start() { k8sm-daemon start "$1"; }

seed_kill() { k8sm-daemon kill "$1"; }

seed_status() {
    local d
    for d in "$@"; do
        [ -r "/etc/k8sm/daemons/$d.argv" ] || continue
        printf '%-20s %s\n' "$d" "$(k8sm-daemon status "$d")"
    done
    return 0
}

seed_manual() {
    local daemon=$1 task=$2 file="/etc/k8sm/daemons/$1.argv"
    [ -r "$file" ] || { echo "$daemon is not configured on node $(seed_node)" >&2; exit 1; }
    echo "$daemon on $(seed_node) starts with:"
    printf '  '; tr '\n' ' ' < "$file"; echo
    echo
    echo "To start it with other values, from the host:"
    echo "  $task"
    echo "or here, with the whole command line given explicitly:"
    echo "  k8sm-daemon start $daemon -- <program> <arguments...>"
}
