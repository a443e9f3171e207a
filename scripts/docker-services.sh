#!/usr/bin/env bash
# Starts (idempotently) what the container tests need, all on loopback:
#   - a Docker Engine without a bridge network (nothing is pulled; images are built FROM scratch),
#   - an open v2 registry and one with htpasswd auth (user "mlops", password "mlops-secret").
# Usage: scripts/docker-services.sh start|stop|running
#   start  prints shell assignments (DOCKER_SOCKET, REGISTRY_OPEN, REGISTRY_AUTH, REGISTRY_USER,
#          REGISTRY_PASSWORD); only what this script started is stopped by `stop`.
#   running  exits 0 when the engine and both registries already answer (so a caller that finds
#            them running knows not to stop them).
# Ports: MLOPS_REGISTRY_OPEN_PORT (default 5510), MLOPS_REGISTRY_AUTH_PORT (default 5511).
set -euo pipefail

state="${MLOPS_DOCKER_STATE:-${TMPDIR:-/tmp}/mlops-docker-services}"
open_port="${MLOPS_REGISTRY_OPEN_PORT:-5510}"
auth_port="${MLOPS_REGISTRY_AUTH_PORT:-5511}"
socket="/var/run/docker.sock"
user="mlops"
password="mlops-secret"
mkdir -p "$state"

engine_up() { timeout 5 docker -H "unix://$socket" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
# A registry answers /v2/ with 200 (open) or 401 (auth); bash's /dev/tcp avoids needing curl.
registry_up() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'GET /v2/ HTTP/1.0\r\n\r\n' >&3 && head -c 12 <&3" 2>/dev/null |
    grep -q -E 'HTTP/1.[01] (200|401)'
}

wait_until() {
  local what="$1"
  shift
  for _ in $(seq 1 200); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  echo "docker-services: $what did not come up (see $state/*.log)" >&2
  return 1
}

start_registry() {
  local name="$1" port="$2" auth="$3"
  if registry_up "$port"; then return 0; fi
  mkdir -p "$state/$name-data"
  {
    echo "version: 0.1"
    echo "log: {level: error}"
    echo "storage: {filesystem: {rootdirectory: $state/$name-data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ "$auth" = yes ]; then
      htpasswd -Bbn "$user" "$password" >"$state/htpasswd"
      echo "auth: {htpasswd: {realm: mlops, path: $state/htpasswd}}"
    fi
  } >"$state/$name.yml"
  nohup docker-registry serve "$state/$name.yml" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  wait_until "registry $name on 127.0.0.1:$port" registry_up "$port"
}

start() {
  if ! engine_up; then
    nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
      --host "unix://$socket" >"$state/dockerd.log" 2>&1 &
    echo $! >"$state/dockerd.pid"
    wait_until "the Docker Engine at $socket" engine_up
  fi
  start_registry open "$open_port" no
  start_registry auth "$auth_port" yes
  echo "DOCKER_SOCKET=$socket"
  echo "REGISTRY_OPEN=127.0.0.1:$open_port"
  echo "REGISTRY_AUTH=127.0.0.1:$auth_port"
  echo "REGISTRY_USER=$user"
  echo "REGISTRY_PASSWORD=$password"
}

stop_one() {
  local pidfile="$state/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

case "${1:-start}" in
  start) start ;;
  running) engine_up && registry_up "$open_port" && registry_up "$auth_port" ;;
  stop)
    stop_one open
    stop_one auth
    stop_one dockerd
    ;;
  *)
    echo "usage: $0 start|stop|running" >&2
    exit 2
    ;;
esac
