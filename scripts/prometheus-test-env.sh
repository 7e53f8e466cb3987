#!/usr/bin/env bash
# Prometheus' promtool for Regatta's tests: it lints the /metrics exposition (test/e2e/metrics.test.ts).
#
#   scripts/prometheus-test-env.sh install   # apt-get prometheus if /usr/bin/promtool is missing (needs root)
#   scripts/prometheus-test-env.sh path      # prints promtool's path, exits 1 if it is missing
#
# Only the binaries are used: no Prometheus server is started (the package's service needs systemd).
set -euo pipefail

PROMTOOL=/usr/bin/promtool
LOCK=/run/lock/regatta-prometheus-test-env.lock

log() { printf '%s\n' "prometheus-test-env: $*" >&2; }
die() { log "error: $*"; exit 1; }

cmd_install() {
  [ -x "$PROMTOOL" ] && return 0
  [ "$(id -u)" = 0 ] || die "promtool is missing and installing it needs root (apt-get install prometheus)"
  mkdir -p "${LOCK%/*}"
  exec 9>"$LOCK"
  flock -w 600 9 || die "timed out waiting for $LOCK"
  [ -x "$PROMTOOL" ] && return 0
  log "installing prometheus (Debian package, for promtool)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends prometheus >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends prometheus >&2; }
  [ -x "$PROMTOOL" ] || die "apt-get finished but $PROMTOOL is missing"
}

case "${1:-}" in
  install) cmd_install ;;
  path) [ -x "$PROMTOOL" ] && echo "$PROMTOOL" || exit 1 ;;
  *) die "usage: $0 install|path" ;;
esac
