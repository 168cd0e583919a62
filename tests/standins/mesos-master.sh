#!/bin/bash
# STAND-IN mesos-master: a test double, NOT Apache Mesos. It lives only under
# tests/ and reaches the lab's images through the same path a real Mesos build
# does (`invoke build.mesos` of a fixture source release, then `invoke build`).
#
# What it does, to check k8sm's side of the contract:
#   - records its argv in WORK_DIR/standin-argv
#   - contends for leadership like Mesos: an ephemeral sequential znode
#     ZK_PATH/json.info_N holding MasterInfo JSON, in the real ZooKeeper of the lab
#     (session timeout 4 s, so a killed master's znode goes away quickly)
#   - serves, with standin-httpd on --ip:--port (as real Mesos binds): /health; /master/state (200 with
#     pid and leader when leading, 307 to the leader otherwise); /master/slaves
#     listing the agents that registered through PUT /standin/agents/HOSTNAME;
#     /master/frameworks (307 unless leading) listing the frameworks PUT to
#     /standin/frameworks/NAME (the km stand-in's scheduler does)
#   - exits on TERM (k8sm-daemon kills its whole process group)
set -u

ip=127.0.0.1 port=5050 hostname=$(hostname) zk= work=/tmp/standin-mesos-master
for arg; do
    case $arg in
        --ip=*) ip=${arg#*=} ;;
        --port=*) port=${arg#*=} ;;
        --hostname=*) hostname=${arg#*=} ;;
        --zk=*) zk=${arg#*=} ;;
        --work_dir=*) work=${arg#*=} ;;
    esac
done
echo "STAND-IN mesos-master: a test double, not Apache Mesos ($*)" >&2
[[ $zk == zk://*/* ]] || { echo "mesos-master stand-in: --zk=zk://HOSTS/PATH is required" >&2; exit 1; }

mkdir -p "$work"
printf '%s\n' "$0" "$@" > "$work/standin-argv"
www=$work/standin-www
rm -rf "$www"
mkdir -p "$www/master" "$www/standin/agents" "$www/standin/frameworks"
echo OK > "$www/health"

here=$(dirname "$(readlink -f "$0")")
"$here/../libexec/k8sm-standin/standin-httpd" "$port" "$www" "$ip" &

zk_hosts=${zk#zk://}; zk_hosts=${zk_hosts%%/*}
zk_path=/${zk#zk://*/}
self="master@$ip:$port"
info="{\"id\":\"standin-$hostname\",\"hostname\":\"$hostname\",\"port\":$port,\"pid\":\"$self\",\"address\":{\"hostname\":\"$hostname\",\"ip\":\"$ip\",\"port\":$port}}"

fifo=$work/zk.fifo
rm -f "$fifo"; mkfifo "$fifo"
java -Xmx48m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar \
    org.apache.zookeeper.ZooKeeperMain -timeout 4000 -server "$zk_hosts" < "$fifo" > "$work/zk.out" 2>&1 &
exec 3> "$fifo"
trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT

echo "create $zk_path ''" >&3
echo "create -e -s $zk_path/json.info_ '$info'" >&3

mine=
while sleep 1; do
    [ -n "$mine" ] || mine=$(grep -o "Created $zk_path/json.info_[0-9]*" "$work/zk.out" | tail -n 1 | sed 's#.*/##')
    echo "ls $zk_path" >&3
    # the last whole answer of ls (a line still being written has no closing bracket yet)
    lowest=$(grep '^\[.*\]$' "$work/zk.out" | grep -v '^\[zk:' | tail -n 1 | tr -d '[] ' | tr ',' '\n' | grep '^json\.info_' | sort | head -n 1)
    [ -n "$lowest" ] || continue   # no answer to read yet: keep the role we have
    if [ -n "$mine" ] && [ "$lowest" = "$mine" ]; then
        rm -f "$www/master/state.status" "$www/master/state.location" "$www/master/frameworks.status"
        printf '{"pid":"%s","leader":"%s","hostname":"%s"}\n' "$self" "$self" "$hostname" > "$www/master/state"
        frameworks=$(for f in "$www"/standin/frameworks/*; do [ -f "$f" ] && { cat "$f"; echo; }; done | paste -sd, -)
        printf '{"frameworks":[%s]}\n' "$frameworks" > "$www/master/frameworks.tmp"
        mv "$www/master/frameworks.tmp" "$www/master/frameworks"
    else
        echo 307 > "$www/master/state.status"
        echo 307 > "$www/master/frameworks.status"
        rm -f "$www/master/state" "$www/master/frameworks"
    fi
    agents=$(for f in "$www"/standin/agents/*; do [ -f "$f" ] && { cat "$f"; echo; }; done | paste -sd, -)
    printf '{"slaves":[%s]}\n' "$agents" > "$www/master/slaves.tmp" && mv "$www/master/slaves.tmp" "$www/master/slaves"
done
