#!/usr/bin/env bash
# Make sure the system packages Berth's development and tests use are present:
# redis-server (broker and channel layer), chromium (browser tests), openssl
# (devcluster's certificates), postgresql (the PostgreSQL test), and for devcluster's
# real node: containerd, runc, the CNI plugins, iptables, the image registry
# (docker-registry), skopeo (pushes images) and mmdebstrap (makes them from Debian's
# packages). Installs them with apt-get when run as root. BERTH_NO_REAL_NODE=1 leaves
# the real node's packages out.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ "${BERTH_NO_REAL_NODE:-}" != "1" ]; then
  command -v containerd >/dev/null 2>&1 || need+=(containerd)
  command -v runc >/dev/null 2>&1 || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v iptables >/dev/null 2>&1 || need+=(iptables)
  # nft removes the tables iptables-nft creates, so `down` leaves none behind.
  command -v nft >/dev/null 2>&1 || need+=(nftables)
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
  command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
  # The pause image is a static C program.
  [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || [ -f /usr/lib/aarch64-linux-gnu/libc.a ] || need+=(libc6-dev)
  command -v cc >/dev/null 2>&1 || need+=(gcc)
fi
if [ "${BERTH_NO_BROWSER:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} from Debian's packages..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Berth needs these programs: ${need[*]}." >&2
  echo "Install them with your package manager (Debian/Ubuntu: sudo apt-get install ${need[*]})," >&2
  echo "or run this as root to let it use apt-get." >&2
  exit 1
fi
