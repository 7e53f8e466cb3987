# Shell helpers shared by the test-environment scripts (docker, slurm, jupyter, vnc).
# Source it after setting ENV_NAME (the prefix of log lines) and LOCK (a host-wide lock file).

log() { printf '%s\n' "$ENV_NAME: $*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }
now_ms() { date +%s%3N; }

# Host-wide lock: parallel test workers must not run apt-get at the same time (nor pick the same
# "free" ports or bridges). fd 9 must not leak into daemons (they would hold the lock forever):
# start them with 9>&-.
take_lock() { mkdir -p "${LOCK%/*}"; exec 9>"$LOCK"; flock -w 300 9 || die "timed out waiting for $LOCK"; }

# Absolute path without trailing slash; rejects "/" and relative paths.
norm_dir() {
  local d=${1%/}
  case "$d" in /?*) ;; *) die "DIR must be an absolute path other than / (got '$1')" ;; esac
  printf '%s' "$d"
}

# Claims $DIR (set by the caller) for `start`: short enough for the unix sockets under it (at most $1
# bytes), empty or already ours, and marked with $MARKER so that `stop` never removes a directory it
# did not make.
claim_dir() {
  [ "${#DIR}" -le "$1" ] || die "DIR too long for unix sockets (max $1 bytes): $DIR"
  mkdir -p "$DIR"
  [ -z "$(ls -A "$DIR")" ] || [ -e "$DIR/$MARKER" ] || die "DIR $DIR is not empty"
  touch "$DIR/$MARKER"
}

# True while pid $1 runs. A zombie counts as gone: our daemons are orphans (setsid, the starting
# script exits) and pid 1 may reap them only seconds later.
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "${st%% *}" != Z ]
}

wait_gone() { # timeout_s pid...
  local deadline=$(( $(date +%s) + $1 )) p any; shift
  while :; do
    any=0
    for p in "$@"; do alive "$p" && any=1; done
    [ "$any" = 0 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

term_then_kill() { # timeout_s pid...
  local t=$1; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  wait_gone "$t" "$@" || { log "stop: SIGKILL $*"; kill -KILL "$@" 2>/dev/null || true; wait_gone 5 "$@" || true; }
}

# The pid in file $1 while it runs, else nothing.
pidof_file() { [ -s "$1" ] && alive "$(cat "$1")" && cat "$1"; return 0; }

# apt-get install "$@" without letting package scripts start system daemons (a policy-rc.d that
# refuses, removed again afterwards). Dies when apt-get fails.
apt_install_quietly() {
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  local t0 rc=0; t0=$(now_ms)
  log "install: apt-get install $*"
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >/dev/null || rc=$?
  [ "$created_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || die "apt-get failed (rc=$rc)"
  log "install: done in $(( $(now_ms) - t0 )) ms"
}

# True when every Debian package named is installed.
debs_installed() {
  local p
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || return 1
  done
}

# Installs the Debian packages named unless they all are (root and the lock only when needed).
install_debs_once() {
  debs_installed "$@" && return 0
  need_root
  take_lock
  debs_installed "$@" || apt_install_quietly "$@"
}
