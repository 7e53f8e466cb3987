#!/usr/bin/env bash
# Installs Debian's Jupyter Notebook server (and the Python kernel) for the proxy tests.
#   scripts/jupyter-test-env.sh install   # no-op when already installed; needs root otherwise
# Prints the path of the jupyter-notebook executable on success.
set -euo pipefail
ENV_NAME=jupyter-test-env
LOCK=/run/lock/regatta-jupyter-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "$0")/lib/test-env.sh"
PKGS=(jupyter-notebook python3-ipykernel)

case "${1:-}" in
  install)
    install_debs_once "${PKGS[@]}"
    command -v jupyter-notebook
    ;;
  *) die "usage: $0 install" ;;
esac
