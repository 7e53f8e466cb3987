#!/usr/bin/env bash
# Test environment for Regatta's web UI: Debian's Chromium, driven headless by playwright-core.
#
#   scripts/chromium-test-env.sh install   # apt-get chromium if /usr/bin/chromium is missing (needs root)
#   scripts/chromium-test-env.sh path      # prints the browser's path, exits 1 if it is missing
#
# A host-wide lock keeps parallel test workers from running apt-get at the same time.
set -euo pipefail

BROWSER=${CHROMIUM:-/usr/bin/chromium}
LOCK=/run/lock/regatta-chromium-test-env.lock

log() { printf '%s\n' "chromium-test-env: $*" >&2; }
die() { log "error: $*"; exit 1; }

cmd_install() {
  [ -x "$BROWSER" ] && return 0
  [ "$(id -u)" = 0 ] || die "chromium is missing and installing it needs root (apt-get install chromium)"
  mkdir -p "${LOCK%/*}"
  exec 9>"$LOCK"
  flock -w 600 9 || die "timed out waiting for $LOCK"
  [ -x "$BROWSER" ] && return 0
  log "installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2; }
  [ -x "$BROWSER" ] || die "apt-get finished but $BROWSER is missing"
}

case "${1:-}" in
  install) cmd_install ;;
  path) [ -x "$BROWSER" ] && echo "$BROWSER" || exit 1 ;;
  *) die "usage: $0 install|path" ;;
esac
