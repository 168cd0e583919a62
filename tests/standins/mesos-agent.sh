#!/bin/bash
# STAND-IN mesos-agent: a test double, NOT Apache Mesos. It lives only under
# tests/ and reaches the minion image the way a real Mesos build does.
#
# What it does, to check k8sm's side of the contract:
#   - records its argv in WORK_DIR/standin-argv
#   - with the docker containerizer, needs the minion's own Docker engine, like a
#     real agent (exits 1 if `docker info` fails for 10 s)
#   - serves /state with standin-httpd on --ip:--port (as real Mesos binds), with master_hostname once it
#     has registered, and /metrics/snapshot with slave/registered 0, then 1
#   - registers with the leading stand-in master: asks each ZooKeeper host of
#     --master on port 5050 (the stand-in masters' port) for /master/state; the
#     one answering 200 leads; PUT /standin/agents/HOSTNAME there; repeats every 2 s
set -u

ip=127.0.0.1 port=5051 hostname=$(hostname) master= work=/tmp/standin-mesos-agent containerizers=mesos
for arg; do
    case $arg in
        --ip=*) ip=${arg#*=} ;;
        --port=*) port=${arg#*=} ;;
        --hostname=*) hostname=${arg#*=} ;;
        --master=*) master=${arg#*=} ;;
        --work_dir=*) work=${arg#*=} ;;
        --containerizers=*) containerizers=${arg#*=} ;;
    esac
done
echo "STAND-IN mesos-agent: a test double, not Apache Mesos ($*)" >&2
[[ $master == zk://*/* ]] || { echo "mesos-agent stand-in: --master=zk://HOSTS/PATH is required" >&2; exit 1; }

mkdir -p "$work"
printf '%s\n' "$0" "$@" > "$work/standin-argv"

if [[ ,$containerizers, == *,docker,* ]]; then
    for _ in $(seq 1 10); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "Failed to create a containerizer: the docker engine does not answer" >&2; exit 1; }
fi

www=$work/standin-www
rm -rf "$www"; mkdir -p "$www"
printf '{"id":"standin-%s","hostname":"%s","pid":"slave(1)@%s:%s"}\n' "$hostname" "$hostname" "$ip" "$port" > "$www/state"
mkdir -p "$www/metrics"
echo '{"slave/registered":0.0}' > "$www/metrics/snapshot"   # as a real agent's, until it registers
here=$(dirname "$(readlink -f "$0")")
"$here/../libexec/k8sm-standin/standin-httpd" "$port" "$www" "$ip" &
trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT

hosts=${master#zk://}; hosts=${hosts%%/*}
me="{\"id\":\"standin-$hostname\",\"hostname\":\"$hostname\",\"pid\":\"slave(1)@$ip:$port\",\"active\":true}"
while true; do
    for host in ${hosts//,/ }; do
        host=${host%:*}
        state=$(curl -s --max-time 2 "http://$host:5050/master/state") || continue
        [[ $state == *'"leader"'* ]] || continue
        if curl -s --max-time 2 -X PUT --data-binary "$me" "http://$host:5050/standin/agents/$hostname" >/dev/null; then
            leader=$(printf '%s' "$state" | sed -n 's/.*"hostname":"\([^"]*\)".*/\1/p')
            printf '{"id":"standin-%s","hostname":"%s","pid":"slave(1)@%s:%s","master_hostname":"%s"}\n' \
                "$hostname" "$hostname" "$ip" "$port" "$leader" > "$www/state.tmp" && mv "$www/state.tmp" "$www/state"
            echo '{"slave/registered":1.0}' > "$www/metrics/snapshot.tmp" && mv "$www/metrics/snapshot.tmp" "$www/metrics/snapshot"
            break
        fi
    done
    sleep 2
done
