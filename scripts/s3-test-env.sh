#!/usr/bin/env bash
# Test environment for the S3 artifact store: a real S3-compatible server, Debian's Ceph radosgw,
# over a private one-node Ceph cluster (one monitor, one OSD on memstore: in memory, no disk) on
# 127.0.0.1 ports the kernel picks. No systemd, no /etc/ceph: everything lives under DIR.
#
#   scripts/s3-test-env.sh install      # apt-get ceph-mon ceph-osd radosgw ceph-common if missing
#   scripts/s3-test-env.sh start DIR    # install, start; prints RGW_ENDPOINT=, RGW_ACCESS_KEY=, RGW_SECRET_KEY=, RGW_REGION=
#   scripts/s3-test-env.sh stop DIR     # stop every daemon of DIR, remove DIR
set -euo pipefail

ENV_NAME=s3-test-env
LOCK=/run/lock/regatta-s3-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(cd "$(dirname "$0")" && pwd)/lib/test-env.sh"

have_all() { command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw >/dev/null && command -v radosgw-admin >/dev/null && command -v ceph >/dev/null; }

cmd_install() {
  have_all && return 0
  need_root
  take_lock
  have_all || apt_install_quietly ceph-mon ceph-osd radosgw ceph-common
  exec 9>&-
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # timeout_s description command...
  local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$DIR"/log/*.log >&2 2>/dev/null || true; die "timed out waiting for $what"; }
    sleep 0.5
  done
}

wait_for_output() { # timeout_s description command...: its output once it succeeds
  local deadline=$(( $(date +%s) + $1 )) what=$2 out; shift 2
  until out=$("$@" 2>/dev/null); do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out waiting for $what"
    sleep 0.5
  done
  printf '%s' "$out"
}

cmd_start() {
  DIR=$(norm_dir "$1")
  cmd_install
  mkdir -p "$DIR"/{run,log,pids,mon.a,osd.0,rgw}
  local fsid mon_port rgw_port t0
  t0=$(now_ms)
  fsid=$(uuidgen)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  cat >"$DIR/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
ms bind msgr2 = false
ms bind ipv6 = false
ms bind ipv4 = true
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
keyring = $DIR/keyring
mon data = $DIR/mon.\$id
osd data = $DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd max object name len = 460
osd max object namespace len = 64
# The OSD asks the monitor to place it in the CRUSH map as it starts, and Ceph 16 can send that
# before it knows the cluster fsid ("wrong fsid", then no OSD): the script places it instead.
osd crush update on start = false
osd class update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $DIR/rgw
rgw dns name = 127.0.0.1
CONF
  local c=(-c "$DIR/ceph.conf")
  # Every ceph CLI call gives up instead of hanging on a monitor that is still electing itself.
  local cli=(timeout 30 ceph "${c[@]}" --connect-timeout 10)
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v1:127.0.0.1:$mon_port]" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" 2>>"$DIR/log/mkfs.log"
  setsid ceph-mon "${c[@]}" -i a -f 9>&- </dev/null >>"$DIR/log/mon.out" 2>&1 &
  echo $! >"$DIR/pids/mon"
  wait_for 60 "the monitor" "${cli[@]}" mon stat
  local uuid id
  uuid=$(uuidgen)
  id=$(wait_for_output 60 "an OSD id" "${cli[@]}" osd new "$uuid")
  "${cli[@]}" osd crush add "osd.$id" 1.0 root=default >/dev/null
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$uuid" 2>>"$DIR/log/mkfs.log"
  setsid ceph-osd "${c[@]}" -i "$id" -f 9>&- </dev/null >>"$DIR/log/osd.out" 2>&1 &
  echo $! >"$DIR/pids/osd"
  wait_for 90 "the OSD" sh -c "${cli[*]} osd stat | grep -q '1 up'"
  setsid radosgw "${c[@]}" -n client.rgw -f 9>&- </dev/null >>"$DIR/log/rgw.out" 2>&1 &
  echo $! >"$DIR/pids/rgw"
  wait_for 90 "radosgw" curl -sf -m 5 "http://127.0.0.1:$rgw_port/"
  local access secret
  access=REGATTA$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  timeout 60 radosgw-admin "${c[@]}" user create --uid=regatta-test --display-name=regatta-test --access-key="$access" --secret="$secret" >/dev/null
  log "start: radosgw on 127.0.0.1:$rgw_port in $(( $(now_ms) - t0 )) ms"
  printf 'RGW_ENDPOINT=http://127.0.0.1:%s\nRGW_ACCESS_KEY=%s\nRGW_SECRET_KEY=%s\nRGW_REGION=default\n' "$rgw_port" "$access" "$secret"
}

cmd_stop() {
  DIR=$(norm_dir "$1")
  [ -d "$DIR" ] || return 0
  local pids=() f p
  # Our own record of what start launched (ceph writes no pid file in the foreground).
  for f in "$DIR"/pids/*; do
    [ -e "$f" ] || continue
    p=$(pidof_file "$f")
    [ -n "$p" ] && pids+=("$p")
  done
  term_then_kill 5 "${pids[@]}"  # a test cluster: nothing to flush, and radosgw lingers once RADOS is gone
  rm -rf "$DIR"
}

case "${1:-}" in
  install) cmd_install ;;
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; cmd_start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
  *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
