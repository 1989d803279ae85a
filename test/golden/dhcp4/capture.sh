#!/bin/sh
# Captures real DHCP clients' packets for the golden tests (run as root, by hand:
#   sh test/golden/dhcp4/capture.sh OUTDIR [NAME...]), NAME one of udhcpc
# dhclient ipxe-bios ovmf-pxe ipxe-efi ovmf-http (default: all).
# Everything happens inside two network namespaces joined by a veth pair on
# 198.18.40.0/24 (RFC 2544 benchmark space); dnsmasq in the server namespace
# answers so that the clients also send their REQUESTs. tcpdump writes one pcap
# per client. Namespaces, resolv.conf files and processes are removed on exit.
set -eu
OUT=${1:?usage: capture.sh OUTDIR [NAME...]}
shift
ONLY="$*"
want() { [ -z "$ONLY" ] || case " $ONLY " in *" $1 "*) true ;; *) false ;; esac; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
S=lbd4cap-s$$; C=lbd4cap-c$$
WORK=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  sleep 1
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$C" 2>/dev/null || true
  rm -rf "/etc/netns/$S" "/etc/netns/$C" "$WORK"
}
trap cleanup EXIT INT TERM
for n in "$S" "$C"; do
  ip netns add "$n"
  mkdir -p "/etc/netns/$n"
  echo "nameserver 198.18.40.1" > "/etc/netns/$n/resolv.conf"
  ip -n "$n" link set lo up
done
ip link add lbd4s$$ netns "$S" type veth peer name lbd4c$$ netns "$C"
ip -n "$S" addr add 198.18.40.1/24 dev lbd4s$$
ip -n "$S" link set lbd4s$$ up
ip -n "$C" link set lbd4c$$ address 02:00:00:00:40:02
ip -n "$C" link set lbd4c$$ up

ip netns exec "$S" dnsmasq --no-daemon --port=0 --no-ping --bind-interfaces \
  --interface=lbd4s$$ --dhcp-range=198.18.40.100,198.18.40.150,600 \
  --dhcp-leasefile="$WORK/leases" --dhcp-boot=tag:!http,pxeboot,,198.18.40.1 \
  --dhcp-vendorclass=set:http,HTTPClient --dhcp-boot=tag:http,http://198.18.40.1/boot/loader.efi \
  --dhcp-option-force=tag:http,60,HTTPClient \
  --dhcp-option=option:root-path,"198.18.40.1:/srv/roots/c1" \
  --dhcp-option=option:domain-name,example.test --pid-file="$WORK/dnsmasq.pid" \
  >"$WORK/dnsmasq.log" 2>&1 &
PIDS="$PIDS $!"

capture() { # NAME CMD...
  name=$1; shift
  want "$name" || return 0
  ip netns exec "$S" tcpdump -i lbd4s$$ -U -n -w "$OUT/$name.pcap" 'udp port 67 or udp port 68 or udp port 4011' >/dev/null 2>&1 &
  tp=$!
  sleep 1
  "$@" || true
  sleep 1
  kill "$tp"; wait "$tp" 2>/dev/null || true
  rm -f "$WORK/leases"; touch "$WORK/leases"
}

printf '#!/bin/sh\nexit 0\n' > "$WORK/script.sh"; chmod +x "$WORK/script.sh"
capture udhcpc timeout 20 ip netns exec "$C" busybox udhcpc -i lbd4c$$ -f -q -n -t 3 -T 1 -s "$WORK/script.sh" -x hostname:c1 -V udhcp-test
capture dhclient timeout 30 ip netns exec "$C" dhclient -4 -1 -d -sf "$WORK/script.sh" -lf "$WORK/dhc.leases" -pf "$WORK/dhc.pid" lbd4c$$

# QEMU: a tap in the client namespace bridged with the client veth.
ip -n "$C" link add lbd4br type bridge
ip -n "$C" link set lbd4c$$ master lbd4br
ip -n "$C" tuntap add dev lbd4tap mode tap
ip -n "$C" link set lbd4tap master lbd4br
ip -n "$C" link set lbd4tap up
ip -n "$C" link set lbd4br up
qemu() { # NAME EXTRA...
  name=$1; shift
  capture "$name" timeout "${QEMU_TIMEOUT:-60}" ip netns exec "$C" qemu-system-x86_64 -machine "${QEMU_MACHINE:-pc},accel=tcg" -m 256 -no-reboot \
    -netdev tap,id=n0,ifname=lbd4tap,script=no,downscript=no "$@" -boot n -nographic -monitor none -serial null -display none
}
qemu ipxe-bios -device virtio-net-pci,disable-legacy=on,netdev=n0,mac=02:00:00:00:40:03,romfile=/usr/lib/ipxe/qemu/pxe-virtio.rom
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
QEMU_MACHINE=q35 qemu ovmf-pxe -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive if=pflash,format=raw,file="$WORK/vars.fd" \
  -device virtio-net-pci,netdev=n0,mac=02:00:00:00:40:04,romfile=
# The same firmware with QEMU's default option ROM: iPXE's EFI build.
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
QEMU_MACHINE=q35 qemu ipxe-efi -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive if=pflash,format=raw,file="$WORK/vars.fd" \
  -device virtio-net-pci,netdev=n0,mac=02:00:00:00:40:05
# OVMF's own UEFI HTTP Boot: its PXE over IPv4 finds no TFTP server and gives
# up, its PXE over IPv6 times out (about 70 s under TCG), then HTTP Boot sends
# the HTTPClient DISCOVER and, answered with HTTPClient and a URL, its REQUEST.
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$WORK/vars.fd"
QEMU_MACHINE=q35 QEMU_TIMEOUT=150 qemu ovmf-http -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive if=pflash,format=raw,file="$WORK/vars.fd" \
  -device virtio-net-pci,netdev=n0,mac=02:00:00:00:40:06,romfile=
ls -l "$OUT"
