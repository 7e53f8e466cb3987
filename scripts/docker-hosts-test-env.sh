#!/usr/bin/env bash
# Test environment for Regatta's pool of Docker engines on SEPARATE hosts: each host is a network
# namespace (ip netns) joined to the root namespace by its own veth pair, running its own dockerd
# that listens only on tcp://<host-ip>:2376 with mutual TLS (a CA, server and client certificates
# made here with openssl). The Regatta server stays in the root namespace and reaches the engines
# over the veth links only, so a host can be cut off (link down), slowed (tc netem, or tbf) and restored.
#
#   scripts/docker-hosts-test-env.sh install           # apt-get docker.io containerd busybox-static iproute2 openssl
#   scripts/docker-hosts-test-env.sh start DIR [N]     # N hosts (default 3); prints the variables below
#   scripts/docker-hosts-test-env.sh image DIR I [TAG] # builds regatta-test/busybox:latest on host I
#   scripts/docker-hosts-test-env.sh cut DIR I         # host I unreachable (its side of the link goes down)
#   scripts/docker-hosts-test-env.sh restore DIR I     # link up again, no delay
#   scripts/docker-hosts-test-env.sh delay DIR I MS [LOSS%]  # slow link: netem delay (and loss);
#                                                   # fails where the kernel lacks sch_netem
#   scripts/docker-hosts-test-env.sh throttle DIR I KBIT     # slow link: tbf rate limit both ways
#                                                   # (a kernel without sch_netem may have sch_tbf)
#   scripts/docker-hosts-test-env.sh stop DIR          # kills daemons, deletes netns + veths, removes DIR
#
# start prints HOST_<i>=tcp://10.214.X.Y:2376, HOST_<i>_ADDR, HOST_<i>_GATEWAY (the root namespace's
# end of its link: a server listening there is reachable from every host), TLS_DIR (a client's ca.pem, cert.pem,
# key.pem), ROGUE_TLS_DIR (a client certificate signed by ANOTHER CA), NO_CERT_TLS_DIR (only
# ca.pem), and for sshd (openssh-server) on host 1: SSH_1=ssh://root@<addr>, SSH_DIR (id_ed25519
# and a known_hosts with the host's key) and SSH_WRONG_HOST_DIR (known_hosts with another key). Each dockerd also has a unix socket $DIR/h<i>/docker.sock for this script's own use
# (image builds, stop). Containers get no network of their own (--bridge none), so nothing
# touches docker0 or another env's bridges; the names (netns rdh<hash>-<i>, veths rdh<hash>r<i>)
# derive from DIR. Keep DIR short (at most 60 bytes: unix socket paths). Needs root.
set -euo pipefail

DOCKER_CLI=${DOCKER_CLI:-docker}
START_TIMEOUT=${START_TIMEOUT:-60}
DEFAULT_TAG=regatta-test/busybox:latest
MARKER=.regatta-docker-hosts-test-env

ENV_NAME=docker-hosts-test-env
LOCK=/run/lock/regatta-docker-hosts-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/test-env.sh"
# shellcheck source=lib/containerd.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/containerd.sh"

static_busybox() { test -x /bin/busybox && ! ldd /bin/busybox >/dev/null 2>&1; }

cmd_install() {
  install_debs_once docker.io containerd busybox-static iproute2 openssl openssh-server
  static_busybox || die "/bin/busybox is not the static one (busybox-static)"
}

tag_of() { printf 'rdh%s' "$(printf '%s' "$DIR" | md5sum | cut -c1-8)"; }
ns_of() { printf '%s-%s' "$(tag_of)" "$1"; }
veth_of() { printf '%sr%s' "$(tag_of)" "$1"; }
hosts_of() { cat "$DIR/hosts"; }

# ------------------------------------------------------------------- certificates
# As in Docker's "Protect the Docker daemon socket": a CA, a server certificate per host naming its
# IP, a client certificate (extendedKeyUsage clientAuth). Plus a rogue CA's client certificate.
make_certs() { # n
  local t=$DIR/tls i
  mkdir -p "$t/ca" "$t/client" "$t/rogue" "$t/nocert"
  (
    cd "$t/ca"
    openssl ecparam -genkey -name prime256v1 -out ca-key.pem 2>/dev/null
    openssl req -new -x509 -days 2 -key ca-key.pem -subj "/CN=regatta-test-ca" -out ca.pem
    openssl ecparam -genkey -name prime256v1 -out rogue-ca-key.pem 2>/dev/null
    openssl req -new -x509 -days 2 -key rogue-ca-key.pem -subj "/CN=rogue-ca" -out rogue-ca.pem
    sign() { # name cn extfile ca-cert ca-key
      openssl ecparam -genkey -name prime256v1 -out "$1-key.pem" 2>/dev/null
      openssl req -new -key "$1-key.pem" -subj "/CN=$2" -out "$1.csr"
      openssl x509 -req -days 2 -in "$1.csr" -CA "$4" -CAkey "$5" -CAcreateserial -extfile "$3" -out "$1-cert.pem" 2>/dev/null
    }
    printf 'extendedKeyUsage = clientAuth\n' >client.ext
    sign client regatta-server client.ext ca.pem ca-key.pem
    sign rogue intruder client.ext rogue-ca.pem rogue-ca-key.pem
    for i in $(seq 1 "$1"); do
      printf 'subjectAltName = IP:%s\nextendedKeyUsage = serverAuth\n' "$(cat "$DIR/h$i/addr")" >"server$i.ext"
      sign "server$i" "host$i" "server$i.ext" ca.pem ca-key.pem
    done
  )
  cp "$t/ca/ca.pem" "$t/client/ca.pem"; cp "$t/ca/client-cert.pem" "$t/client/cert.pem"; cp "$t/ca/client-key.pem" "$t/client/key.pem"
  cp "$t/ca/ca.pem" "$t/rogue/ca.pem"; cp "$t/ca/rogue-cert.pem" "$t/rogue/cert.pem"; cp "$t/ca/rogue-key.pem" "$t/rogue/key.pem"
  cp "$t/ca/ca.pem" "$t/nocert/ca.pem"
  chmod 600 "$t"/*/key.pem "$t"/ca/*-key.pem
}

# ------------------------------------------------------------------- ssh
# sshd on host 1, in its netns, for ssh://root@<addr> engines: a login key the server holds, and a
# known_hosts naming the host key (host-key checking stays on). A session's DOCKER_HOST is host 1's
# engine, so `docker system dial-stdio` (what an ssh:// client runs) reaches it.
start_sshd() {
  local s=$DIR/ssh addr
  addr=$(cat "$DIR/h1/addr")
  mkdir -p "$s/client" "$s/wrong-host" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C regatta-test-host -f "$s/host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C regatta-test-other-host -f "$s/other_host_key"
  ssh-keygen -q -t ed25519 -N '' -C regatta-server -f "$s/client/id_ed25519"
  cp "$s/client/id_ed25519.pub" "$s/authorized_keys"
  printf '%s %s\n' "$addr" "$(cut -d' ' -f1,2 "$s/host_ed25519_key.pub")" >"$s/client/known_hosts"
  cp "$s/client/id_ed25519" "$s/wrong-host/id_ed25519"
  printf '%s %s\n' "$addr" "$(cut -d' ' -f1,2 "$s/other_host_key.pub")" >"$s/wrong-host/known_hosts"
  chmod 600 "$s"/*/id_ed25519
  cat >"$s/sshd_config" <<SSHD
ListenAddress $addr
Port 22
HostKey $s/host_ed25519_key
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=unix://$DIR/h1/docker.sock
SSHD
  nsenter --net="/var/run/netns/$(ns_of 1)" setsid /usr/sbin/sshd -D -e -f "$s/sshd_config" </dev/null >"$s/sshd.log" 2>&1 9>&- &
  echo $! >"$s/sshd.run.pid"
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  until nsenter --net="/var/run/netns/$(ns_of 1)" ss -ltn 2>/dev/null | grep -q "$addr:22 "; do
    alive "$(cat "$s/sshd.run.pid")" && [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$s/sshd.log" >&2; die "sshd did not start"; }
    sleep 0.1
  done
}

# ------------------------------------------------------------------- start
free_subnet() {
  local n
  for n in $(shuf -i 1-254 -n 100); do
    ip -4 route show | grep -q "^10\.214\.$n\." && continue
    ip -4 addr show | grep -q "inet 10\.214\.$n\." && continue
    printf '%s' "$n"; return 0
  done
  return 1
}

make_host() { # i subnet
  local i=$1 ns veth d=$DIR/h$1
  ns=$(ns_of "$i"); veth=$(veth_of "$i")
  mkdir -p "$d"
  ip netns add "$ns"
  echo "$ns" >>"$DIR/netns"
  ip link add "$veth" type veth peer name "$(tag_of)n$i"
  echo "$veth" >>"$DIR/veths"
  ip link set "$(tag_of)n$i" netns "$ns"
  ip -n "$ns" link set "$(tag_of)n$i" name eth0
  # A /30 per host: root side .4i+1, host side .4i+2 (the root namespace routes, nothing bridges).
  ip addr add "10.214.$2.$((4 * i + 1))/30" dev "$veth"
  ip link set "$veth" up
  ip -n "$ns" addr add "10.214.$2.$((4 * i + 2))/30" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # The rest of the test subnet through the root namespace (the server's side, other hosts); no
  # default route, so nothing from a host is ever routed out of this machine.
  ip -n "$ns" route add "10.214.$2.0/24" via "10.214.$2.$((4 * i + 1))"
  echo "10.214.$2.$((4 * i + 2))" >"$d/addr"
  echo "10.214.$2.$((4 * i + 1))" >"$d/gateway"
}

start_daemons() { # i
  local i=$1 d=$DIR/h$1 ns t=$DIR/tls/ca
  ns=$(ns_of "$i")
  mkdir -p "$d/ctd" "$d/data" "$d/exec"
  containerd_config "$d" >"$d/containerd.toml"
  # nsenter --net, not `ip netns exec`: the latter remounts /sys, hiding the cgroups dockerd needs.
  nsenter --net="/var/run/netns/$ns" setsid containerd --config "$d/containerd.toml" </dev/null >"$d/containerd.log" 2>&1 9>&- &
  echo $! >"$d/containerd.pid"
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  until [ -S "$d/ctd.sock" ]; do
    alive "$(cat "$d/containerd.pid")" && [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$d/containerd.log" >&2; die "containerd of host $i did not start"; }
    sleep 0.1
  done
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$d" >"$d/daemon.json"
  nsenter --net="/var/run/netns/$ns" setsid dockerd \
    --config-file "$d/daemon.json" \
    -H "unix://$d/docker.sock" -H "tcp://$(cat "$d/addr"):2376" \
    --tlsverify --tlscacert "$t/ca.pem" --tlscert "$t/server$i-cert.pem" --tlskey "$t/server$i-key.pem" \
    --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    --containerd "$d/ctd.sock" --storage-driver vfs \
    --bridge none --iptables=false --ip6tables=false \
    --label "regatta.test.host=$i" \
    </dev/null >"$d/docker.log" 2>&1 9>&- &
  echo $! >"$d/dockerd.pid"
}

wait_dockerd() { # i
  local d=$DIR/h$1 deadline
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  until timeout 10 "$DOCKER_CLI" -H "unix://$d/docker.sock" info >/dev/null 2>&1; do
    alive "$(cat "$d/dockerd.pid")" && [ "$(date +%s)" -lt "$deadline" ] || {
      tail -n 25 "$d/docker.log" >&2; die "dockerd of host $1 did not start (run '$0 stop $DIR')"
    }
    sleep 0.2
  done
}

cmd_start() {
  need_root
  DIR=$(norm_dir "${1:?usage: start DIR [N]}")
  local n=${2:-3} sub i t0
  [ "$n" -ge 1 ] && [ "$n" -le 9 ] || die "N must be 1..9"
  command -v dockerd >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || die "missing packages (run '$0 install')"
  claim_dir 60
  [ -e "$DIR/hosts" ] && die "an env already runs in $DIR (stop it first)"
  t0=$(now_ms)
  take_lock   # subnets are picked under the lock
  sub=$(free_subnet) || die "no free 10.214.N.0/24"
  # Nothing for the test subnet ever leaves this machine, whatever state the veths are in.
  ip route add blackhole "10.214.$sub.0/24" metric 4000
  echo "10.214.$sub.0/24" >"$DIR/route"
  echo "$n" >"$DIR/hosts"
  for i in $(seq 1 "$n"); do make_host "$i" "$sub"; done
  exec 9>&-
  make_certs "$n"
  for i in $(seq 1 "$n"); do start_daemons "$i"; done
  for i in $(seq 1 "$n"); do wait_dockerd "$i"; done
  start_sshd
  log "start: $n hosts up in $(( $(now_ms) - t0 )) ms"
  for i in $(seq 1 "$n"); do
    printf 'HOST_%s=tcp://%s:2376\nHOST_%s_ADDR=%s\nHOST_%s_GATEWAY=%s\n' "$i" "$(cat "$DIR/h$i/addr")" "$i" "$(cat "$DIR/h$i/addr")" "$i" "$(cat "$DIR/h$i/gateway")"
  done
  printf 'TLS_DIR=%s/tls/client\nROGUE_TLS_DIR=%s/tls/rogue\nNO_CERT_TLS_DIR=%s/tls/nocert\n' "$DIR" "$DIR" "$DIR"
  printf 'SSH_1=ssh://root@%s\nSSH_DIR=%s/ssh/client\nSSH_WRONG_HOST_DIR=%s/ssh/wrong-host\n' "$(cat "$DIR/h1/addr")" "$DIR" "$DIR"
}

# ------------------------------------------------------------------- image
cmd_image() {
  DIR=$(norm_dir "${1:?usage: image DIR I [TAG]}")
  local i=${2:?host number} tag=${3:-$DEFAULT_TAG} host
  host=unix://$DIR/h$i/docker.sock
  "$DOCKER_CLI" -H "$host" image inspect "$tag" >/dev/null 2>&1 && return 0
  static_busybox || die "/bin/busybox missing or not static (run '$0 install')"
  local ctx a r; ctx=$(mktemp -d /tmp/rdh-img.XXXXXX); r=$ctx/rootfs
  mkdir -p "$r/bin" "$r/usr/bin" "$r/etc" "$r/root" "$r/tmp"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
  ln -sf /bin/busybox "$r/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  # An image from a tar of the root file system: no build, no intermediate containers.
  tar -C "$r" -c . | "$DOCKER_CLI" -H "$host" import -c 'CMD ["sh"]' - "$tag" >/dev/null ||
    { rm -rf "$ctx"; die "image: import failed on host $i"; }
  rm -rf "$ctx"
}

# ------------------------------------------------------------------- faults
# The host's side goes down: packets to it are dropped on the veth (a hang, not a refusal). Taking
# the root side down instead would drop its route, and packets would follow the default route out
# of this machine (the blackhole route made by start is there for that case too).
cmd_cut() {
  DIR=$(norm_dir "${1:?usage: cut DIR I}")
  ip -n "$(ns_of "${2:?host number}")" link set eth0 down
}

cmd_restore() {
  DIR=$(norm_dir "${1:?usage: restore DIR I}")
  local v; v=$(veth_of "${2:?host number}")
  tc qdisc del dev "$v" root 2>/dev/null || true
  tc -n "$(ns_of "$2")" qdisc del dev eth0 root 2>/dev/null || true
  ip -n "$(ns_of "$2")" link set eth0 up
  # The link going down took the host's route to the subnet with it.
  ip -n "$(ns_of "$2")" route replace "$(cat "$DIR/route")" via "$(cat "$DIR/h$2/gateway")"
}

cmd_delay() {
  DIR=$(norm_dir "${1:?usage: delay DIR I MS [LOSS%]}")
  local v; v=$(veth_of "${2:?host number}")
  # Both directions: the root side's egress here, the host side's egress inside its netns.
  tc qdisc replace dev "$v" root netem delay "${3:?ms}ms" ${4:+loss "$4%"}
  tc -n "$(ns_of "$2")" qdisc replace dev eth0 root netem delay "$3ms" ${4:+loss "$4%"}
}

cmd_throttle() {
  DIR=$(norm_dir "${1:?usage: throttle DIR I KBIT}")
  local v; v=$(veth_of "${2:?host number}")
  # A token bucket per direction: packets beyond the rate wait in a queue of at most 400 ms
  # (then are dropped, and TCP backs off): a narrow link, not a cut one.
  tc qdisc replace dev "$v" root tbf rate "${3:?kbit}kbit" burst 16kb latency 400ms
  tc -n "$(ns_of "$2")" qdisc replace dev eth0 root tbf rate "$3kbit" burst 16kb latency 400ms
}

# -------------------------------------------------------------------- stop
cmd_stop() {
  need_root
  DIR=$(norm_dir "${1:?usage: stop DIR}")
  [ -d "$DIR" ] || { log "stop: $DIR does not exist"; return 0; }
  [ -e "$DIR/$MARKER" ] || die "$DIR was not created by '$0 start' (no $MARKER); not touching it"
  set +e
  local d p ids pids=() root id
  for d in "$DIR"/h*; do
    [ -S "$d/docker.sock" ] || continue
    ids=$(timeout 10 "$DOCKER_CLI" -H "unix://$d/docker.sock" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [ -z "$ids" ] || timeout 30 "$DOCKER_CLI" -H "unix://$d/docker.sock" rm -f $ids >/dev/null 2>&1
  done
  p=$(pidof_file "$DIR/ssh/sshd.run.pid"); [ -z "$p" ] || term_then_kill 5 "$p"
  for d in "$DIR"/h*; do p=$(pidof_file "$d/dockerd.pid"); [ -z "$p" ] || pids+=("$p"); done
  term_then_kill 20 "${pids[@]}"
  for root in "$DIR"/h*/exec/runtime-*/*; do
    [ -d "$root" ] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete -f "$id" >/dev/null 2>&1; done
  done
  # Whatever still names DIR (shims, containerd), by process name so this script is never hit.
  pids=()
  for p in /proc/[0-9]*; do
    case "$(cat "$p/comm" 2>/dev/null)" in dockerd|containerd|containerd-shim*|runc) ;; *) continue ;; esac
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/" && pids+=("${p#/proc/}")
  done
  [ ${#pids[@]} -eq 0 ] || { kill -KILL "${pids[@]}" 2>/dev/null; wait_gone 5 "${pids[@]}"; }
  local m
  for _ in 1 2 3; do
    for m in $(awk -v d="$DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
  done
  for p in $(cat "$DIR/veths" 2>/dev/null); do ip link del "$p" 2>/dev/null; done
  for p in $(cat "$DIR/netns" 2>/dev/null); do ip netns del "$p" 2>/dev/null; done
  [ ! -s "$DIR/route" ] || ip route del blackhole "$(cat "$DIR/route")" metric 4000 2>/dev/null
  rm -rf --one-file-system "$DIR"
  [ ! -e "$DIR" ] || die "could not remove $DIR"
  log "stop: done"
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start)   shift; cmd_start "$@" ;;
  image)   shift; cmd_image "$@" ;;
  cut)     shift; cmd_cut "$@" ;;
  restore) shift; cmd_restore "$@" ;;
  delay)   shift; cmd_delay "$@" ;;
  throttle) shift; cmd_throttle "$@" ;;
  stop)    shift; cmd_stop "$@" ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" >&2; exit 2 ;;
esac
