#!/usr/bin/env bash
# Test environment for Regatta's Docker runtime / engine pool: two private,
# throw-away Docker daemons on one host, plus a tiny busybox image built
# FROM scratch (no image registry is needed or used).
#
#   scripts/docker-test-env.sh install          # apt-get docker.io + busybox-static if missing
#   scripts/docker-test-env.sh start DIR        # prints DOCKER_A=unix://... DOCKER_B=unix://...
#   scripts/docker-test-env.sh image HOST [TAG] # builds regatta-test/busybox:latest on HOST
#   scripts/docker-test-env.sh stop DIR         # kills everything started by `start DIR`, removes DIR
#
# Daemon "a" has a bridge network (its own bridge "rdk<hash>", not docker0;
# user-defined networks + DNS work); daemon "b" runs with --bridge none
# --iptables=false (a "second machine"). NB: dockerd with --bridge none deletes
# any docker0 interface at startup (moby's removeDefaultBridgeInterface), so a
# system Docker on the same host loses docker0 -- hence "a" avoids docker0 too.
# Each daemon gets its OWN containerd (explicit --containerd), so nothing is
# shared with the other daemon or with a system dockerd/containerd.
# Keep DIR short (e.g. `mktemp -d /tmp/rdk-XXXX`, at most 70 bytes): unix socket
# paths are limited to 108 bytes. Needs root. Only one env per host should use a bridge at a time
# (daemon "a" falls back to no networking if another bridged dockerd is running).
# Env: DOCKER_CLI (default: docker), START_TIMEOUT (seconds, default 60).
set -euo pipefail

DOCKER_CLI=${DOCKER_CLI:-docker}
START_TIMEOUT=${START_TIMEOUT:-60}
DEFAULT_TAG=regatta-test/busybox:latest
MARKER=.regatta-docker-test-env   # stop refuses to rm -rf a DIR without it

ENV_NAME=docker-test-env
LOCK=/run/lock/regatta-docker-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/test-env.sh"
# shellcheck source=lib/containerd.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/containerd.sh"

# Must be the static busybox (busybox-static): a dynamic one cannot run FROM scratch.
static_busybox() { test -x /bin/busybox && ! ldd /bin/busybox >/dev/null 2>&1; }

# ----------------------------------------------------------------- install
cmd_install() {
  local pkgs=()
  command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)   # pulls containerd, runc, iptables, tini
  command -v containerd >/dev/null 2>&1 || pkgs+=(containerd)
  static_busybox || pkgs+=(busybox-static)
  if [ ${#pkgs[@]} -eq 0 ]; then log "install: already installed"; return 0; fi
  need_root
  take_lock
  # Another worker may have installed them while we waited for the lock.
  if command -v dockerd >/dev/null 2>&1 && command -v containerd >/dev/null 2>&1 && static_busybox; then
    log "install: already installed"; return 0
  fi
  apt_install_quietly "${pkgs[@]}"
}

# ------------------------------------------------------------------- start
# Pids of dockerd/containerd/shim/proxy processes whose command line mentions $1.
# (Matching on comm avoids hitting this script or its caller, whose args contain DIR too.)
our_pids() {
  local p comm
  for p in /proc/[0-9]*; do
    comm=$(cat "$p/comm" 2>/dev/null) || continue
    case "$comm" in dockerd|containerd|containerd-shim*|docker-proxy|runc) ;; *) continue ;; esac
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$1/"; then printf '%s\n' "${p#/proc/}"; fi
  done
}

# Another bridged dockerd (system or a second env) would fight over iptables rules
# and address pools: then daemon "a" goes without networking.
other_bridged_dockerd() {
  local p cmd
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = dockerd ] || continue
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [ -n "$cmd" ] || continue   # a zombie (pid 1 here reaps late)
    case "$cmd" in *"--bridge none"*|*"--bridge=none"*) ;; *) return 0 ;; esac
  done
  return 1
}

start_containerd() { # name
  local d=$DIR/$1
  mkdir -p "$d/ctd"
  # Own root/state/sockets. CRI is disabled, as in dockerd's managed containerd.
  containerd_config "$d" >"$d/containerd.toml"
  # setsid + all stdio redirected: the daemon must not hold the caller's pipes
  # (node's execFile would otherwise never see stdout close) nor get its signals.
  setsid containerd --config "$d/containerd.toml" </dev/null >"$d/containerd.log" 2>&1 9>&- &
  echo $! >"$d/containerd.pid"
}

# Bridge for daemon "a", named after DIR (IFNAMSIZ is 15), on a free 10.213.N.0/24.
make_bridge() {
  local br n
  br=rdk$(printf '%s' "$DIR" | md5sum | cut -c1-8)
  ip link show "$br" >/dev/null 2>&1 && ip link del "$br"
  for n in $(shuf -i 1-254 -n 50); do
    ip -4 route show | grep -q "^10\.213\.$n\." && continue
    ip link add name "$br" type bridge || return 1
    echo "$br" >"$DIR/a/bridge"   # stop deletes it
    ip addr add "10.213.$n.1/24" dev "$br" && ip link set "$br" up || return 1
    printf '%s' "$br"; return 0
  done
  return 1
}

start_dockerd() { # name netmode(none|<bridge name>)
  local d=$DIR/$1 net=()
  if [ "$2" = none ]; then net=(--bridge none --iptables=false); else net=(--bridge "$2"); fi
  mkdir -p "$d/data" "$d/exec"
  # Own config file, so /etc/docker/daemon.json is ignored. deprecated-key-path
  # (config-file only in 20.10): with the default /etc/docker/key.json both
  # daemons would report the same engine ID in `docker info`.
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$d" >"$d/daemon.json"
  if [ "$2" = none ]; then echo none; else echo bridge; fi >"$d/network"
  setsid dockerd \
    --config-file "$d/daemon.json" \
    -H "unix://$d/docker.sock" \
    --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    --containerd "$d/ctd.sock" \
    --storage-driver vfs \
    --label "regatta.test.engine=$1" \
    "${net[@]}" \
    </dev/null >"$d/docker.log" 2>&1 9>&- &
  echo $! >"$d/dockerd.pid"   # the --pidfile is only written once dockerd is up
}

wait_file() { # socket-path pid
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  until [ -S "$1" ]; do
    alive "$2" || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# 0 when `docker info` answers; 1 when the daemon died or timed out.
wait_dockerd() { # name
  local d=$DIR/$1 pid deadline
  pid=$(cat "$d/dockerd.pid")
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  until timeout 10 "$DOCKER_CLI" -H "unix://$d/docker.sock" info >/dev/null 2>&1; do
    alive "$pid" || { log "dockerd $1 exited"; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { log "dockerd $1 not ready after ${START_TIMEOUT}s"; return 1; }
    sleep 0.2
  done
}

fail_with_log() { # name file
  log "daemon $1 failed to start; last lines of $2:"
  tail -n 25 "$2" >&2 || true
  log "run '$0 stop $DIR' to clean up"
  exit 1
}

cmd_start() {
  need_root
  DIR=$(norm_dir "${1:?usage: start DIR}")
  command -v dockerd >/dev/null 2>&1 || die "dockerd not installed (run '$0 install')"
  # Longest socket: $DIR/a/exec/libnetwork/<12 hex>.sock (DIR + 31 bytes; the limit
  # is 107): a 79-byte DIR fails with "bind: invalid argument". Shim sockets are in
  # /run/containerd/s/<sha256>, independent of DIR.
  claim_dir 70
  [ -e "$DIR/a/docker.sock" ] && die "an env already runs in $DIR (stop it first)"
  local t0; t0=$(now_ms)
  take_lock   # held until this script exits, i.e. until both daemons answer

  local netA=bridge
  if other_bridged_dockerd; then
    netA=none
    log "another dockerd with a bridge is running: daemon a starts with --bridge none"
  fi
  start_containerd a; start_containerd b
  wait_file "$DIR/a/ctd.sock" "$(cat "$DIR/a/containerd.pid")" || fail_with_log a "$DIR/a/containerd.log"
  wait_file "$DIR/b/ctd.sock" "$(cat "$DIR/b/containerd.pid")" || fail_with_log b "$DIR/b/containerd.log"

  local brA=none
  if [ "$netA" = bridge ]; then
    mkdir -p "$DIR/a"
    brA=$(make_bridge) || { log "cannot create a bridge interface: daemon a starts with --bridge none"; brA=none; netA=none; }
  fi
  ip link show docker0 >/dev/null 2>&1 &&
    log "warning: an existing docker0 will be deleted by daemon b (any dockerd --bridge none does that)"
  start_dockerd a "$brA"; start_dockerd b none
  if ! wait_dockerd a; then
    [ "$netA" = bridge ] || fail_with_log a "$DIR/a/docker.log"
    grep -qiE 'bridge|iptables|network controller' "$DIR/a/docker.log" || fail_with_log a "$DIR/a/docker.log"
    # Networking could not be set up (no netfilter in this kernel?): retry without it.
    log "daemon a failed with bridge $brA; retrying with --bridge none --iptables=false:"
    tail -n 5 "$DIR/a/docker.log" >&2 || true
    kill -9 "$(cat "$DIR/a/dockerd.pid")" 2>/dev/null || true
    mv "$DIR/a/docker.log" "$DIR/a/docker-bridge-failed.log"
    netA=none; start_dockerd a none
    wait_dockerd a || fail_with_log a "$DIR/a/docker.log"
  fi
  wait_dockerd b || fail_with_log b "$DIR/b/docker.log"
  log "start: daemons up in $(( $(now_ms) - t0 )) ms (a: $netA network, b: none)"
  printf 'DOCKER_A=unix://%s/a/docker.sock\nDOCKER_B=unix://%s/b/docker.sock\nDOCKER_A_NETWORK=%s\n' \
    "$DIR" "$DIR" "$netA"
}

# ------------------------------------------------------------------- image
cmd_image() {
  local host=${1:?usage: image DOCKER_HOST_URL [TAG]} tag=${2:-$DEFAULT_TAG}
  if "$DOCKER_CLI" -H "$host" image inspect "$tag" >/dev/null 2>&1; then
    log "image: $tag already on $host"; return 0
  fi
  static_busybox || die "/bin/busybox missing or not static (run '$0 install')"
  local t0 ctx; t0=$(now_ms)
  ctx=$(mktemp -d /tmp/rdk-img.XXXXXX)
  local r=$ctx/c/rootfs a
  mkdir -p "$r/bin" "$r/usr/bin" "$r/etc" "$r/root" "$r/tmp" "$r/var/tmp"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  cp /bin/busybox "$r/bin/busybox"
  # Symlink every applet (sh, echo, sleep, cat, wget, nc, httpd, dd, ...) in /bin.
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
  done
  ln -sf /bin/busybox "$r/usr/bin/env"   # for '#!/usr/bin/env sh' scripts
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  cat >"$ctx/c/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
CMD ["sh"]
EOF
  # Legacy builder: BuildKit/buildx are not available (nor needed) here.
  # Each metadata instruction costs ~1 s (an intermediate container), hence no
  # ENV (dockerd supplies the default PATH) and the label given on the command line.
  # (Output is kept only for errors: newer CLIs print a deprecation notice.)
  local rc=0
  DOCKER_BUILDKIT=0 "$DOCKER_CLI" -H "$host" build -q --label org.regatta.test-image=busybox -t "$tag" "$ctx/c" \
    >"$ctx/build.log" 2>&1 || rc=$?
  [ "$rc" = 0 ] || { cat "$ctx/build.log" >&2; rm -rf "$ctx"; die "image: docker build failed on $host (rc=$rc)"; }
  rm -rf "$ctx"
  log "image: built $tag on $host in $(( $(now_ms) - t0 )) ms"
}

# -------------------------------------------------------------------- stop
# Delete the iptables rules that dockerd added for bridge $1 (it leaves them behind).
drop_iptables_rules() {
  command -v iptables >/dev/null 2>&1 || return 0
  local t rule
  for t in filter nat; do
    { iptables -t "$t" -S 2>/dev/null || true; } | { grep -E -- "^-A .*-[io] $1( |$)" || true; } |
      while read -r rule; do
        # shellcheck disable=SC2086  # the rule is iptables' own word list
        iptables -t "$t" ${rule/#-A /-D } 2>/dev/null || true
      done
  done
}


cmd_stop() {
  need_root
  DIR=$(norm_dir "${1:?usage: stop DIR}")
  [ -d "$DIR" ] || { log "stop: $DIR does not exist"; return 0; }
  [ -e "$DIR/$MARKER" ] || die "$DIR was not created by '$0 start' (no $MARKER); not touching it"
  local t0 n pids=() p ids; t0=$(now_ms)
  set +e   # best effort from here on: one failing step must not skip the rest

  # 1. Remove containers with SIGKILL first: a graceful daemon shutdown would
  #    wait 10 s for every container that ignores SIGTERM.
  for n in a b; do
    [ -S "$DIR/$n/docker.sock" ] || continue
    ids=$(timeout 10 "$DOCKER_CLI" -H "unix://$DIR/$n/docker.sock" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -z "$ids" ] || timeout 30 "$DOCKER_CLI" -H "unix://$DIR/$n/docker.sock" rm -f $ids >/dev/null 2>&1 || true
    # User-defined networks' br-* bridges outlive dockerd: remove them now.
    timeout 30 "$DOCKER_CLI" -H "unix://$DIR/$n/docker.sock" network prune -f >/dev/null 2>&1 || true
  done
  # 2. dockerd (pidfile written by dockerd itself, or the pid recorded at start).
  for n in a b; do
    p=$(pidof_file "$DIR/$n/docker.pid"); [ -n "$p" ] || p=$(pidof_file "$DIR/$n/dockerd.pid")
    [ -z "$p" ] || pids+=("$p")
  done
  term_then_kill 20 "${pids[@]}"
  # 3. If a daemon died, its containers still run: killing a shim does not kill
  #    the container. runc state lives under each exec-root (runtime-runc/<ns>).
  local root id
  for root in "$DIR"/*/exec/runtime-*/*; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do
      log "stop: runc delete -f $id"
      runc --root "$root" delete -f "$id" >/dev/null 2>&1 || log "stop: runc delete -f $id failed"
    done
  done
  # Then leftover shims / proxies / runc of our containerds (matched by DIR in their args).
  mapfile -t pids < <(our_pids "$DIR" | while read -r p; do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = containerd ] || echo "$p"; done)
  if [ ${#pids[@]} -gt 0 ]; then
    local socks=() args
    for p in "${pids[@]}"; do
      # A killed shim leaves its socket /run/containerd/s/sha256(<address>/<namespace>/<id>).
      mapfile -t args < <(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null)
      local i ns='' cid='' addr=''
      for ((i = 0; i + 1 < ${#args[@]}; i++)); do
        case "${args[i]}" in -namespace) ns=${args[i+1]} ;; -id) cid=${args[i+1]} ;; -address) addr=${args[i+1]} ;; esac
      done
      [ -z "$cid" ] || socks+=("/run/containerd/s/$(printf '%s' "$addr/$ns/$cid" | sha256sum | cut -c1-64)")
    done
    log "stop: killing leftover ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true; wait_gone 5 "${pids[@]}" || true
    [ ${#socks[@]} -eq 0 ] || rm -f "${socks[@]}"
  fi
  # containerd: no task is left and its state is deleted below, so SIGKILL
  # (SIGTERM costs ~2 s for nothing).
  pids=()
  for n in a b; do p=$(pidof_file "$DIR/$n/containerd.pid"); [ -z "$p" ] || pids+=("$p"); done
  [ ${#pids[@]} -eq 0 ] || { kill -KILL "${pids[@]}" 2>/dev/null || true; wait_gone 5 "${pids[@]}" || true; }
  mapfile -t pids < <(our_pids "$DIR")
  [ ${#pids[@]} -eq 0 ] || { log "stop: killing stragglers ${pids[*]}"; kill -KILL "${pids[@]}" 2>/dev/null || true; wait_gone 5 "${pids[@]}" || true; }
  # 4. Unmount what is still mounted below DIR (container shm tmpfs, netns
  #    bind mounts, ...), deepest first, then delete. --one-file-system makes
  #    rm refuse to descend into anything that could not be unmounted.
  local m mounts
  for _ in 1 2 3; do
    mapfile -t mounts < <(awk -v d="$DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    [ ${#mounts[@]} -gt 0 ] || break
    for m in "${mounts[@]}"; do
      m=$(printf '%b' "$m")   # mountinfo escapes spaces etc. as \040
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "stop: cannot unmount $m"
    done
  done
  # Bridges of daemon "a": its own (made by start), and the br-* of user-defined
  # networks left behind if dockerd died (names are in its network store).
  local br
  for br in $(cat "$DIR/a/bridge" 2>/dev/null) \
            $(grep -aoh '"BridgeName":"br-[0-9a-f]*"' "$DIR"/a/data/network/files/*.db 2>/dev/null | cut -d'"' -f4 | sort -u); do
    ip link del "$br" 2>/dev/null || true
    drop_iptables_rules "$br"
  done
  rm -rf --one-file-system "$DIR"
  # Shim sockets live in /run/containerd/s; drop the dirs if nothing else uses them.
  rmdir /run/containerd/s /run/containerd 2>/dev/null
  [ ! -e "$DIR" ] || die "could not remove $DIR"
  [ -z "$(our_pids "$DIR")" ] || die "processes of $DIR survived: $(our_pids "$DIR" | tr '\n' ' ')"
  log "stop: done in $(( $(now_ms) - t0 )) ms"
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start)   shift; cmd_start "$@" ;;
  image)   shift; cmd_image "$@" ;;
  stop)    shift; cmd_stop "$@" ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" >&2; exit 2 ;;
esac
