#!/usr/bin/env bash
# Test environment for the AIS example: a real Kafka-protocol broker without a Kafka server
# package. Debian's librdkafka-dev ships librdkafka's mock cluster (rd_kafka_mock_cluster_new);
# kafka-mock.c starts one on 127.0.0.1 ports the kernel picks and prints its bootstrap servers.
#
#   scripts/kafka-test-env.sh install          # apt-get librdkafka-dev (and gcc) if missing
#   scripts/kafka-test-env.sh build            # install, compile once; prints the binary's path
#   scripts/kafka-test-env.sh run [TOPIC:N]... # build, then serve in the foreground: prints
#                                              # BOOTSTRAP=127.0.0.1:PORT, stops on SIGTERM/SIGINT
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/kafka-mock.c
CACHE=${KAFKA_MOCK_CACHE:-/tmp/regatta-kafka-mock}
LOCK=/run/lock/regatta-kafka-test-env.lock

log() { printf '%s\n' "kafka-test-env: $*" >&2; }
die() { log "error: $*"; exit 1; }

have_headers() { [ -f /usr/include/librdkafka/rdkafka_mock.h ]; }

cmd_install() {
  local pkgs=()
  have_headers || pkgs+=(librdkafka-dev)
  command -v gcc >/dev/null || pkgs+=(gcc libc6-dev)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "needs root to install ${pkgs[*]}"
  log "installing ${pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >&2; } \
    || die "could not install ${pkgs[*]}"
}

cmd_build() {
  mkdir -p "${LOCK%/*}" "$CACHE"
  # Parallel test workers share one install and one binary.
  exec 9>"$LOCK"
  flock -w 300 9 || die "timed out waiting for $LOCK"
  cmd_install
  local bin
  bin=$CACHE/kafka-mock-$(sha256sum "$SRC" | cut -c1-12)
  if [ ! -x "$bin" ]; then
    gcc -O2 -Wall -o "$bin.tmp" "$SRC" -lrdkafka || die "could not compile $SRC"
    mv "$bin.tmp" "$bin"
  fi
  exec 9>&-
  printf '%s\n' "$bin"
}

case "${1:-}" in
  install) cmd_install ;;
  build) cmd_build ;;
  run) shift; bin=$(cmd_build); exec "$bin" "$@" ;;
  *) die "usage: $0 install|build|run [TOPIC:PARTITIONS]..." ;;
esac
