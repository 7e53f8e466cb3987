#!/usr/bin/env bash
# Prometheus' promtool for Regatta's tests: it lints the /metrics exposition (test/e2e/metrics.test.ts).
#
#   scripts/prometheus-test-env.sh install   # apt-get prometheus unless installed (needs root then)
#   scripts/prometheus-test-env.sh path      # prints promtool's path, exits 1 if it is missing
#
# Only promtool is used: no Prometheus server is started (package scripts may not start daemons).
set -euo pipefail
ENV_NAME=prometheus-test-env
LOCK=/run/lock/regatta-prometheus-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "$0")/lib/test-env.sh"

case "${1:-}" in
  install) install_debs_once prometheus ;;
  path) [ -x /usr/bin/promtool ] && echo /usr/bin/promtool || exit 1 ;;
  *) die "usage: $0 install|path" ;;
esac
