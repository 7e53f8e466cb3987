#!/usr/bin/env bash
# Installs Debian's Jupyter Notebook server (and the Python kernel) for the proxy tests.
#   scripts/jupyter-test-env.sh install   # no-op when already installed; needs root otherwise
# Prints the path of the jupyter-notebook executable on success.
set -euo pipefail
PKGS=(jupyter-notebook python3-ipykernel)
LOCK=/run/lock/regatta-jupyter-test-env.lock

installed() {
  local p
  for p in "${PKGS[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || return 1
  done
}

case "${1:-}" in
  install)
    if ! installed; then
      [ "$(id -u)" = 0 ] || { echo "jupyter-test-env: must run as root to install ${PKGS[*]}" >&2; exit 1; }
      mkdir -p "${LOCK%/*}"; exec 9>"$LOCK"; flock -w 600 9
      if ! installed; then
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PKGS[@]}"; } >/dev/null
      fi
    fi
    command -v jupyter-notebook
    ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
