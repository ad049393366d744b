#!/usr/bin/env bash
# Test tooling (never part of a generated project): a private Docker engine for the end-to-end
# tests on a machine where no daemon runs and no image registry can be reached.
#
#   test/e2e/docker/engine.sh start            install what is missing, start dockerd, print env
#   test/e2e/docker/engine.sh images 3.11 3.12 [--mlflow 3.17.2]
#                                               make sure python:<v>-slim (and the MLflow server
#                                               image) exist: real ones if the engine can pull,
#                                               else local stand-ins
#   test/e2e/docker/engine.sh stop             stop what start started, remove what it added
#   test/e2e/docker/engine.sh env              KEY=VALUE lines for a client (also in $STATE/env)
#
# If DOCKER_HOST (or the default socket) already reaches a working engine, `start` uses it and
# `stop` leaves it alone; `images` then pulls the real images and builds nothing.
#
# Our own engine: Debian 13's docker.io (26), buildx, compose v2 and containerd packages, unpacked
# (not installed) into the cache, with this Debian's runc, run with its own data root, exec root, pidfile and socket under
# $STATE. Stand-in images survive between runs in that data root.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
STATE=${MLP_DOCKER_STATE:-$REPO/.e2e/docker-engine}
CACHE=${MLP_DOCKER_CACHE:-$HOME/.cache/mlportfolio-docker}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT26=$CACHE/root26            # the unpacked Debian 13 docker packages
SOCK=$STATE/docker.sock
PIDFILE=$STATE/dockerd.pid

log() { printf 'engine.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- a client for whichever engine is in use -----------------------------------------------------
client_env() {
  if [ -f "$STATE/env" ]; then cat "$STATE/env"; fi
}
docker_() {
  local vars=()
  [ -f "$STATE/env" ] && mapfile -t vars <"$STATE/env"
  env "${vars[@]}" docker "$@"
}
own_engine() { [ -f "$STATE/own" ]; }

# --- start ----------------------------------------------------------------------------------------
apt_install() {
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian 13's engine, CLI, buildx, compose v2 and containerd, unpacked into $ROOT26 (once;
# cached). They link against glibc 2.34 at most, so they run on Debian 12 too.
fetch_engine() {
  [ -x "$ROOT26/usr/sbin/dockerd" ] && [ -x "$ROOT26/usr/libexec/docker/cli-plugins/docker-compose" ] && return 0
  log "downloading Debian 13 docker.io, docker-buildx, docker-compose (unpacked, not installed)"
  local apt=$CACHE/apt
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$CACHE/debs"
  echo "deb $DEBIAN_MIRROR trixie main" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt" -o APT::Sandbox::User=root)
  apt-get -qq "${opts[@]}" update
  (cd "$CACHE/debs" && apt-get -qq "${opts[@]}" download docker.io docker-cli docker-buildx \
    docker-compose containerd)
  rm -rf "$ROOT26.tmp" && mkdir -p "$ROOT26.tmp"
  for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOT26.tmp"; done
  rm -rf "$ROOT26" && mv "$ROOT26.tmp" "$ROOT26"
}

start() {
  mkdir -p "$STATE"
  if own_engine && [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    log "already running (pid $(cat "$PIDFILE"))"
    client_env
    return 0
  fi
  rm -f "$STATE/env" "$STATE/own"
  if [ -z "${MLP_DOCKER_OWN:-}" ] && command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1 \
    && timeout 10 docker compose version >/dev/null 2>&1; then
    log "using the engine docker already reaches (${DOCKER_HOST:-default socket})"
    : >"$STATE/env"
    return 0
  fi

  # runc from this Debian (Debian 13's needs a newer glibc); the rest from Debian 13.
  apt_install iptables:iptables debootstrap:debootstrap runc:runc
  fetch_engine

  # What dockerd will change on the host, so that `stop` can put it back.
  cat /proc/sys/net/ipv4/ip_forward >"$STATE/ip_forward.before"
  if ip link show docker0 >/dev/null 2>&1; then
    die "a docker0 bridge exists already: another engine runs here; stop it or set DOCKER_HOST"
  fi

  local bin=$STATE/bin
  mkdir -p "$bin" "$STATE/config/cli-plugins" "$STATE/data" "$STATE/exec"
  ln -sf "$ROOT26/usr/libexec/docker/cli-plugins/docker-compose" "$STATE/config/cli-plugins/"
  ln -sf "$ROOT26/usr/libexec/docker/cli-plugins/docker-buildx" "$STATE/config/cli-plugins/"
  ln -sf "$ROOT26/usr/bin/docker" "$bin/docker"

  log "starting dockerd on unix://$SOCK"
  # dockerd starts its own containerd, found on PATH; runc and docker-proxy too.
  PATH="$ROOT26/usr/bin:$ROOT26/usr/sbin:$PATH" setsid "$ROOT26/usr/sbin/dockerd" \
    --storage-driver=overlay2 --data-root="$STATE/data" --exec-root="$STATE/exec" \
    --pidfile="$PIDFILE" -H "unix://$SOCK" --userland-proxy-path="$ROOT26/usr/sbin/docker-proxy" \
    >"$STATE/dockerd.log" 2>&1 </dev/null &
  printf 'DOCKER_HOST=unix://%s\nDOCKER_CONFIG=%s\nPATH=%s:%s\nDOCKER_BUILDKIT=1\n' \
    "$SOCK" "$STATE/config" "$bin" "$PATH" >"$STATE/env"
  touch "$STATE/own"
  for _ in $(seq 1 60); do
    if docker_ version >/dev/null 2>&1; then
      log "ready: $(docker_ version --format 'engine {{.Server.Version}}, client {{.Client.Version}}')"
      client_env
      return 0
    fi
    sleep 0.5
  done
  tail -20 "$STATE/dockerd.log" >&2
  die "dockerd did not answer within 30 s (log: $STATE/dockerd.log)"
}

# --- stop -----------------------------------------------------------------------------------------
# Rules dockerd added: every iptables rule and chain that names DOCKER or one of its bridges.
remove_iptables() {
  local table rule
  for table in filter nat; do
    iptables -t "$table" -S 2>/dev/null | grep -E '^-A .*(DOCKER|docker0|br-[0-9a-f]{12})' | while read -r rule; do
      # shellcheck disable=SC2086  # the rule is a list of words, as iptables -S printed it
      iptables -t "$table" ${rule/#-A/-D} 2>/dev/null || true
    done
    iptables -t "$table" -S 2>/dev/null | awk '/^-N DOCKER/ {print $2}' | while read -r chain; do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

stop() {
  if ! own_engine; then
    log "not ours: nothing to stop"
    rm -f "$STATE/env"
    return 0
  fi
  if [ -f "$PIDFILE" ]; then
    local pid
    pid=$(cat "$PIDFILE")
    # Our containers only: this engine runs nothing else.
    local ids
    ids=$(docker_ ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086  # one container id per word
    [ -n "$ids" ] && docker_ rm -f $ids >/dev/null 2>&1
    docker_ network prune -f >/dev/null 2>&1 || true
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping dockerd (pid $pid)"
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { log "dockerd still runs: SIGKILL"; kill -KILL "$pid"; }
    fi
  fi
  # Mounts left under our roots (only after a crash), then what dockerd added to the network.
  grep -F "$STATE/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  local link
  for link in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(docker0|br-[0-9a-f]{12})$' || true); do
    ip link delete "$link" 2>/dev/null || true
  done
  remove_iptables
  if [ -f "$STATE/ip_forward.before" ]; then
    cat "$STATE/ip_forward.before" >/proc/sys/net/ipv4/ip_forward
  fi
  rm -f "$STATE/env" "$STATE/own" "$PIDFILE" "$STATE/ip_forward.before" "$SOCK"
  log "stopped; host state restored"
}

# --- images ---------------------------------------------------------------------------------------
have_image() { docker_ image inspect "$1" >/dev/null 2>&1; }

# debian:trixie-slim stand-in: debootstrap minbase plus what CPython links against, and the
# host's CA trust store (HTTPS from containers is re-signed on these machines).
standin_debian() {
  have_image debian:trixie-slim && return 0
  local tar=$CACHE/trixie-minbase.tar
  if [ ! -s "$tar" ]; then
    local root=$CACHE/trixie-root
    rm -rf "$root"
    log "debootstrap trixie minbase (about a minute)"
    debootstrap --variant=minbase \
      --include=ca-certificates,netbase,tzdata,libssl3t64,libffi8,libsqlite3-0,libncursesw6,libreadline8t64,libuuid1,libexpat1,libbz2-1.0,liblzma5,zlib1g,libcrypt1,libnsl2,libtirpc3t64,libgdbm6t64 \
      trixie "$root" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$root"
  fi
  log "importing debian:trixie-slim (stand-in)"
  docker_ import "$tar" debian:trixie-base-standin >/dev/null
  local ctx
  ctx=$(mktemp -d)
  mkdir -p "$ctx/certs"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/certs/" 2>/dev/null || true
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/bundle.crt"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM debian:trixie-base-standin
COPY certs/ /usr/local/share/ca-certificates/
COPY bundle.crt /etc/ssl/certs/ca-certificates.crt
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["bash"]
EOF
  docker_ build -q -t debian:trixie-slim "$ctx" >/dev/null
  docker_ rmi debian:trixie-base-standin >/dev/null
  rm -rf "$ctx"
}

# python:<v>-slim stand-in: this machine's pyenv CPython <v> copied into /usr/local with its
# prefix rewritten, without the test suite and without the packages installed on the host
# (pip and setuptools stay, as in the official image).
standin_python() {
  local v=$1 image=python:$1-slim
  have_image "$image" && return 0
  local prefix
  prefix=$(printf '%s\n' "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")/versions/$v".* | sort -V | tail -1)
  [ -x "$prefix/bin/python$v" ] || die "no CPython $v under pyenv to build $image from"
  standin_debian
  log "building $image (stand-in from $prefix)"
  local ctx
  ctx=$(mktemp -d)
  mkdir -p "$ctx/local"
  tar -C "$prefix" --exclude="./lib/python$v/test" --exclude="./lib/python$v/site-packages" \
    --exclude='__pycache__' --exclude="./lib/python$v/idlelib" --exclude="./lib/python$v/tkinter" -cf - . | tar -C "$ctx/local" -xf -
  mkdir -p "$ctx/local/lib/python$v/site-packages"
  local site=$prefix/lib/python$v/site-packages entry
  for entry in "$site"/pip "$site"/pip-*.dist-info "$site"/setuptools "$site"/setuptools-*.dist-info \
    "$site"/_distutils_hack "$site"/pkg_resources "$site"/distutils-precedence.pth; do
    [ -e "$entry" ] && cp -a "$entry" "$ctx/local/lib/python$v/site-packages/"
  done
  # Keep only CPython's own commands, then point every text file at /usr/local.
  find "$ctx/local/bin" -maxdepth 1 \( -type f -o -type l \) | while read -r f; do
    case "$(basename "$f")" in
      python*|pip*|pydoc*|idle*|2to3*) ;;
      *) rm -f "$f" ;;
    esac
  done
  grep -rlI --null -F "$prefix" "$ctx/local" | xargs -0 -r sed -i "s#$prefix#/usr/local#g"
  ln -sf "python$v" "$ctx/local/bin/python"
  ln -sf "python$v" "$ctx/local/bin/python3"
  ln -sf "pip$v" "$ctx/local/bin/pip" 2>/dev/null || true
  cat >"$ctx/Dockerfile" <<EOF
FROM debian:trixie-slim
COPY local/ /usr/local/
RUN ldconfig && python --version && pip --version
ENV PYTHON_VERSION=$v
CMD ["python3"]
EOF
  docker_ build -q -t "$image" "$ctx" >/dev/null
  rm -rf "$ctx"
}

# The MLflow server image the generated compose file names: the Python stand-in plus MLflow.
standin_mlflow() {
  local pin=$1 image=ghcr.io/mlflow/mlflow:v$1
  have_image "$image" && return 0
  standin_python 3.11
  log "building $image (stand-in: python:3.11-slim + pip install mlflow==$pin)"
  local ctx
  ctx=$(mktemp -d)
  cat >"$ctx/Dockerfile" <<EOF
FROM python:3.11-slim
RUN pip install --no-cache-dir --disable-pip-version-check mlflow==$pin
EOF
  docker_ build -q -t "$image" "$ctx" >/dev/null
  rm -rf "$ctx"
}

images() {
  local mlflow="" versions=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --mlflow) mlflow=$2; shift 2 ;;
      *) versions+=("$1"); shift ;;
    esac
  done
  local wanted=()
  for v in "${versions[@]}"; do wanted+=("python:$v-slim"); done
  [ -n "$mlflow" ] && wanted+=("ghcr.io/mlflow/mlflow:v$mlflow")
  if ! own_engine; then
    for image in "${wanted[@]}"; do have_image "$image" || docker_ pull -q "$image" >/dev/null; done
    return 0
  fi
  for v in "${versions[@]}"; do standin_python "$v"; done
  [ -n "$mlflow" ] && standin_mlflow "$mlflow"
  return 0
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) client_env ;;
  images) shift; images "$@" ;;
  *) die "usage: $0 start | images <python-version>... [--mlflow <version>] | env | stop" ;;
esac
