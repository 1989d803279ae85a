#!/usr/bin/env bash
# The one set-up script: installs every Debian package laggboot's build, lab
# and test suite use (this is the only package list), then the npm
# dependencies, builds, and puts `laggboot` on the PATH (npm install -g .).
# Runs as root on Debian 12 with Node.js >= 20.9. Called by the README's first
# command and by .ci/run, so a machine that ran either one passes `npm test`.
#
# Usage: bash scripts/setup.sh [--no-apt]
#   --no-apt   skip the Debian packages (they are already installed)
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, by what needs them:
#   g++ make python3                   node-gyp builds the two native addons (`npm run build`)
#   qemu-system-x86 ipxe-qemu ipxe ovmf real PXE firmware: `laggboot lab`, the e2e tests
#   busybox-static                     the lab's initramfs; the FreeBSD model's shell tools
#   dnsmasq-base kea-dhcp4-server isc-dhcp-server
#                                      peers and syntax checkers of the generated configs
#   kea-admin                          perfdhcp (DHCP interop and benchmarks), kea-admin (the kea-pg bench peer's schema)
#   isc-dhcp-client                    dhclient (DHCP interop)
#   iproute2 nftables tcpdump          network namespaces, packet loss, captures
#   tftpd-hpa tftp-hpa atftp curl wget TFTP and HTTP peers
#   shellcheck posh dash gcc libc6-dev the flip script's checks and the FreeBSD model
#   systemd                            systemd-analyze verify for the service unit
#   nfs-ganesha nfs-ganesha-vfs rpcbind a user-space NFS server (doctor's MOUNT check, Linux clients)
#   wpasupplicant                      wpa_supplicant parses the generated wpa_supplicant.conf
#   postgresql                         the PostgreSQL store's tests (started by the tests themselves)
#   chromium                           the dashboard's browser test (driven by playwright-core)
#   nginx-light                        the HTTP boot benchmark's peer
PACKAGES=(
  g++ make python3
  qemu-system-x86 ipxe-qemu ipxe ovmf
  busybox-static
  dnsmasq-base kea-dhcp4-server isc-dhcp-server kea-admin isc-dhcp-client
  iproute2 nftables tcpdump
  tftpd-hpa tftp-hpa atftp curl wget
  shellcheck posh dash gcc libc6-dev
  systemd
  nfs-ganesha nfs-ganesha-vfs rpcbind
  wpasupplicant
  postgresql
  chromium
  nginx-light
)

if [ "${1:-}" != "--no-apt" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: run as root (it installs Debian packages), or pass --no-apt" >&2
    exit 2
  fi
  # Installing server packages must not start their daemons on this host's
  # real interfaces: a policy-rc.d that denies every start, removed afterwards
  # if we created it.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${PACKAGES[@]}"
fi

npm ci
npm run build
# A link to this checkout: `laggboot` on the PATH runs dist/src/cli/main.js.
npm install -g --no-audit --no-fund .
command -v laggboot >/dev/null || { echo "setup: laggboot is not on the PATH after npm install -g" >&2; exit 1; }
echo "setup: done; $(command -v laggboot) is laggboot $(laggboot --version)"
