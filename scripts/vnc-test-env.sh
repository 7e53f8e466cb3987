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

case "${1:-}" in
  install)
    install_debs_once "${PKGS[@]}"
    ;;
  *) die "usage: $0 install" ;;
esac
