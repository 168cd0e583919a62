#!/bin/bash
# prepare-host.sh: make a Debian/Ubuntu host ready for k8sm, as root.
#   - installs from apt: the Docker engine (docker.io), debootstrap, git, make, and
#     what the tests use (openssh-server, nginx, gcc); no service is started for them
#   - starts the Docker engine if it is not running (systemd, or dockerd in the
#     background where there is no systemd; its pid goes to $K8SM_DOCKERD_PIDFILE)
#   - installs this checkout's Python package with its test extra (pytest, ruff, mypy and stubs)
# Safe to run again: it skips what is already done.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
pidfile=${K8SM_DOCKERD_PIDFILE:-/run/k8sm-dockerd.pid}

say() { echo "prepare-host: $*"; }

[ "$(id -u)" = 0 ] || { echo "prepare-host: run me as root (apt-get and dockerd need it)" >&2; exit 1; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v git >/dev/null 2>&1 || missing+=(git)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)   # the remote-mode tests run a throwaway sshd on 127.0.0.1
command -v nginx >/dev/null 2>&1 || missing+=(nginx)  # the tests check `invoke proxy` with `nginx -t`
command -v make >/dev/null 2>&1 || missing+=(make)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)  # the tests build their stand-ins (static C)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # No service is started by these installs (sshd, nginx): the tests start their own.
    guard=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && guard=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
fi

if docker info >/dev/null 2>&1; then
    say "Docker engine is running"
elif [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
    say "starting the Docker engine (systemd)"
    systemctl start docker
else
    say "starting dockerd in the background (log: /var/log/k8sm-dockerd.log)"
    setsid dockerd >/var/log/k8sm-dockerd.log 2>&1 < /dev/null &
    echo $! > "$pidfile"
fi
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
done
docker info >/dev/null 2>&1 || { echo "prepare-host: the Docker engine did not come up; see /var/log/k8sm-dockerd.log" >&2; exit 1; }

# Asked from / so that a k8sm/ in the current directory does not answer for the installed one.
# The test extra's tools count too: pytest, ruff, and mypy with the stubs it checks k8sm against.
installed_from=$(cd / && python3 -c '
import os, importlib.metadata as meta
import k8sm, invoke, docker, pytest, mypy, ruff
for stubs in ("types-PyYAML", "types-paramiko"):
    meta.version(stubs)
print(os.path.dirname(os.path.dirname(k8sm.__file__)))' 2>/dev/null || true)
if [ "$installed_from" = "$here" ]; then
    say "k8sm is installed"
else
    say "installing k8sm and its test tools (pip)"
    pip_args=(-q install -e "${here}[test]")
    if ! python3 -m pip "${pip_args[@]}" 2>/tmp/k8sm-pip.err; then
        if grep -q externally-managed /tmp/k8sm-pip.err; then
            say "this Python is managed by the OS; installing with --break-system-packages"
            python3 -m pip "${pip_args[@]}" --break-system-packages
        else
            cat /tmp/k8sm-pip.err >&2
            exit 1
        fi
    fi
fi
say "ready"
