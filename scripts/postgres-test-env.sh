#!/usr/bin/env bash
# A private PostgreSQL cluster for Regatta's tests: Debian's postgresql, its own data dir, port and
# socket dir, so it never touches a system cluster or another test env.
#
#   scripts/postgres-test-env.sh install      # apt-get postgresql if it is missing (needs root)
#   scripts/postgres-test-env.sh start DIR    # initdb (as the postgres user) + start; prints PG_URL=postgresql://…
#   scripts/postgres-test-env.sh url DIR      # prints the URL of a started cluster
#   scripts/postgres-test-env.sh stop DIR     # stops it and removes DIR
#
# The cluster listens on 127.0.0.1 and a socket in DIR, on a free port chosen at start; it trusts
# local connections (a test cluster: nothing but this host can reach it). Collation is C, so text
# ordering is byte order, as in SQLite.
set -euo pipefail

ENV_NAME=postgres-test-env
LOCK=/run/lock/regatta-postgres-test-env.lock
# shellcheck source=lib/test-env.sh
. "$(dirname "$0")/lib/test-env.sh"

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

# The package's scripts may not start a system cluster (policy-rc.d, see lib/test-env.sh).
cmd_install() { bindir >/dev/null || install_debs_once postgresql; bindir >/dev/null || die "postgresql installed but no initdb found"; }

# Runs a command as the cluster's owner: postgres refuses to run as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

url_of() {
  local dir=$1
  [ -f "$dir/port" ] || die "no cluster started in $dir"
  echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

cmd_start() {
  local dir=${1:?usage: start DIR}
  cmd_install
  local bin; bin=$(bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --locale=C --encoding=UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  # The free port is only free when asked: another env may take it first, so try a few.
  local port try
  for try in 1 2 3; do
    port=$(free_port)
    echo "$port" | as_owner tee "$dir/port" >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2 && break
    [ "$try" = 3 ] && { tail -20 "$dir/server.log" >&2; die "postgres did not start"; }
  done
  echo "PG_URL=$(url_of "$dir")"
}

cmd_stop() {
  local dir=${1:?usage: stop DIR}
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  url) url_of "${2:?usage: url DIR}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) die "usage: $0 install|start DIR|url DIR|stop DIR" ;;
esac
