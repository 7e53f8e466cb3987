# containerd config for a private containerd (own root, state and sockets under $1), as in dockerd's
# managed containerd: CRI disabled. Sourced by the docker test-env scripts.
containerd_config() { # dir
  cat <<EOF
version = 2
root = "$1/ctd/root"
state = "$1/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$1/ctd.sock"
[ttrpc]
  address = "$1/ctd.sock.ttrpc"
[debug]
  address = "$1/ctd-debug.sock"
[metrics]
  address = ""
EOF
}
