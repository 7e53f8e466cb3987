#!/usr/bin/env bash
# What `npm run bench:peers` compares Regatta with: Debian's redis-server, python3-celery and
# python3-redis, and npm's bullmq in a bench-local directory (bench/results/peers/node_modules, git-ignored,
# so the project's package-lock.json stays as it is).
#
#   scripts/peers-bench-env.sh install     # installs what is missing (apt-get needs root)
#   scripts/peers-bench-env.sh check       # exit 0 when everything is there
set -euo pipefail

ENV_NAME=peers-bench-env
LOCK=/run/lock/regatta-peers-bench-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "$0")/lib/test-env.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS="$ROOT/bench/results/peers"
BULLMQ_VERSION=5

have_bullmq() { [ -f "$PEERS/node_modules/bullmq/package.json" ]; }

cmd_check() {
  debs_installed redis-server python3-celery python3-redis && have_bullmq
}

cmd_install() {
  install_debs_once redis-server python3-celery python3-redis
  if ! have_bullmq; then
    mkdir -p "$PEERS"
    [ -f "$PEERS/package.json" ] || printf '{ "name": "regatta-bench-peers", "private": true }\n' >"$PEERS/package.json"
    log "install: npm install bullmq@$BULLMQ_VERSION into $PEERS"
    # --no-save keeps the bench-local package.json as written; no lock file is left behind.
    (cd "$PEERS" && npm install --no-save --no-package-lock --no-audit --no-fund "bullmq@$BULLMQ_VERSION" >/dev/null)
    have_bullmq || die "npm install bullmq failed"
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  check) cmd_check ;;
  *) echo "usage: $0 install|check" >&2; exit 2 ;;
esac
