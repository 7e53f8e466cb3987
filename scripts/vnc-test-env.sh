#!/usr/bin/env bash
# Installs Debian's pieces of a remote desktop for the VNC example and its test (examples/vnc):
# a virtual X server, a VNC server for it, an xterm, and noVNC served by websockify.
#   scripts/vnc-test-env.sh install   # no-op when already installed; needs root otherwise
set -euo pipefail
ENV_NAME=vnc-test-env
LOCK=/run/lock/regatta-vnc-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "$0")/lib/test-env.sh"
PKGS=(xvfb x11vnc websockify novnc xterm)

installed() {
  local p
  for p in "${PKGS[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || return 1
  done
}

case "${1:-}" in
  install)
    if ! installed; then
      need_root
      take_lock
      installed || apt_install_quietly "${PKGS[@]}"
    fi
    ;;
  *) die "usage: $0 install" ;;
esac
