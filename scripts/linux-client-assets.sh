#!/usr/bin/env bash
# Prepares the boot assets of the lab's diskless Linux client
# (`laggboot lab --client linux`, test/e2e/linux-client*.test.ts,
# docs/linux-clients.md), only from Debian packages and laggboot's own files:
#   vmlinuz          Debian's cloud kernel (package extracted, never installed)
#   initrd-base.img  an initramfs laid out as Debian's initramfs-tools makes
#                    one: its own /init and /scripts (initramfs-tools-core),
#                    klibc's ipconfig, nfsmount and run-init (klibc-utils),
#                    busybox-static, and the kernel modules a bonded NFS-root
#                    client needs (virtio, bonding, NFSv3 and v4, with modules.dep).
#                    It holds no laggboot file: each run appends, as a second
#                    archive, the initramfs-tools scripts `laggboot apply`
#                    wrote into the client's root, as mkinitramfs would copy
#                    them from its /etc/initramfs-tools.
#   root.tar         the client's NFS root: busybox-static, the same modules,
#                    and the lab's /sbin/init, heartbeat and stand-in for
#                    wpa_supplicant (scripts/linux-client/).
# into a cache OUTSIDE the repository, apart from the FreeBSD-shaped lab's
# cache (scripts/lab-assets.sh), so both can be used at the same time.
#
# Usage: scripts/linux-client-assets.sh [CACHE_DIR]
#   CACHE_DIR defaults to $LAGGBOOT_LINUX_CLIENT_CACHE, then
#   /var/cache/laggboot-linux-client. Prints the cache directory last.
# Needs: apt-get (with a package list), dpkg, gzip, tar, busybox-static.
set -euo pipefail

cache="${1:-${LAGGBOOT_LINUX_CLIENT_CACHE:-/var/cache/laggboot-linux-client}}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lab_root_files="$here/linux-client"
# Bump when the layout changes; the hash below covers the lab's own files.
layout_version=2

busybox_bin=/bin/busybox
die() { echo "linux-client-assets: $*" >&2; exit 1; }
[ -x "$busybox_bin" ] || die "$busybox_bin missing: apt-get install busybox-static"
for f in init heartbeat naive-flip wpa_supplicant; do
  [ -r "$lab_root_files/$f" ] || die "$lab_root_files/$f missing"
done

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
stamp="$cache/.complete"
want="$layout_version $(cat "$0" "$lab_root_files"/* | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -s "$cache/vmlinuz" ] && [ -s "$cache/initrd-base.img" ] && [ -s "$cache/root.tar" ]; then
  echo "$cache"
  exit 0
fi
rm -f "$stamp"

work="$(mktemp -d "${TMPDIR:-/tmp}/linux-client-assets.XXXXXX")"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt-get download runs as _apt

# --- packages ---------------------------------------------------------------
kpkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null \
  | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n1)"
[ -n "$kpkg" ] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update first)"
(cd "$work" && apt-get download -q -o APT::Sandbox::User=root \
  "$kpkg" initramfs-tools-core klibc-utils libklibc >&2)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/x"; done
x="$work/x"
kvers=("$x"/lib/modules/*)
kver="${kvers[0]##*/}"
[ -d "$x/lib/modules/$kver/kernel" ] || die "no modules in $kpkg"

# --- kernel modules: what a bonded NFSv3- or v4-root virtio client loads ------
"$busybox_bin" depmod -b "$x" "$kver"
mods="$work/mods"
mkdir -p "$mods/lib/modules/$kver"
want_mods="virtio_pci virtio_net bonding nfs nfsv3 nfsv4"
closure=""
for m in $want_mods; do
  line="$(grep -E "/$m\.ko(\.[a-z]+)?:" "$x/lib/modules/$kver/modules.dep")" \
    || die "module $m not in $kpkg"
  closure="$closure ${line%%:*} ${line#*:}"
done
for rel in $closure; do
  mkdir -p "$mods/lib/modules/$kver/$(dirname "$rel")"
  cp "$x/lib/modules/$kver/$rel" "$mods/lib/modules/$kver/$rel"
done
cp "$x/lib/modules/$kver/modules.builtin" "$x/lib/modules/$kver/modules.order" "$mods/lib/modules/$kver/"
"$busybox_bin" depmod -b "$mods" "$kver"

busybox_tree() {
  # $1: root; busybox and a link per applet in /bin, /sbin/modprobe too.
  mkdir -p "$1/bin" "$1/sbin"
  cp "$busybox_bin" "$1/bin/busybox"
  for a in $("$busybox_bin" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$1/bin/$a"
  done
  for a in modprobe insmod rmmod depmod; do ln -sf ../bin/busybox "$1/sbin/$a"; done
}

# --- initramfs ---------------------------------------------------------------
ird="$work/initramfs"
mkdir -p "$ird"/{conf/conf.d,scripts,run,tmp,root,proc,sys,dev,etc,lib,usr/lib}
busybox_tree "$ird"
cp -a "$mods/lib/modules" "$ird/lib/"
it="$x/usr/share/initramfs-tools"
cp "$it/init" "$ird/init"
cp "$it/scripts/functions" "$it/scripts/local" "$it/scripts/nfs" "$ird/scripts/"
# klibc: the DHCP client and NFS mounter initramfs-tools uses, and run-init.
cp "$x"/lib/klibc-*.so "$ird/lib/"
for b in ipconfig nfsmount run-init; do
  rm -f "$ird/bin/$b"   # a busybox applet link: cp would write through it
  cp "$x/usr/lib/klibc/bin/$b" "$ird/bin/$b"
done
# udev's init-bottom script moves /dev onto the root; the lab has no udev.
mkdir -p "$ird/scripts/init-bottom"
cat > "$ird/scripts/init-bottom/lab-dev" <<'SCRIPT'
#!/bin/sh
case $1 in prereqs) exit 0 ;; esac
mount -n -o move /dev "${rootmnt:?}/dev"
SCRIPT
chmod 755 "$ird/scripts/init-bottom/lab-dev"
printf '%s\n' '/scripts/init-bottom/lab-dev "$@"' '[ -e /conf/param.conf ] && . /conf/param.conf' \
  > "$ird/scripts/init-bottom/ORDER"
echo "DPKG_ARCH=amd64" > "$ird/conf/arch.conf"
cat > "$ird/conf/initramfs.conf" <<'CONF'
# initramfs.conf of the laggboot lab's Linux client (see initramfs.conf(5))
MODULES=list
BUSYBOX=y
DEVICE=
NFSROOT=auto
RUNSIZE=10%
CONF
printf '%s\n' virtio_pci virtio_net nfs nfsv3 > "$ird/conf/modules"
(cd "$ird" && find . | LC_ALL=C sort | "$busybox_bin" cpio -o -H newc 2>/dev/null) \
  | gzip -6 > "$cache/initrd-base.img.tmp"
mv "$cache/initrd-base.img.tmp" "$cache/initrd-base.img"

# --- NFS root ------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{proc,sys,dev,run,tmp,etc,var/lib/laggboot-lab,usr/lib/laggboot-lab,root}
busybox_tree "$root"
mkdir -p "$root/lib" && cp -a "$mods/lib/modules" "$root/lib/"
install -m 0755 "$lab_root_files/init" "$root/sbin/init"
install -m 0755 "$lab_root_files/heartbeat" "$root/usr/lib/laggboot-lab/heartbeat"
install -m 0755 "$lab_root_files/naive-flip" "$root/usr/lib/laggboot-lab/naive-flip"
# The stand-in for wpa_supplicant (the lab has no Wi-Fi): laggboot-wifi runs it.
mkdir -p "$root/usr/sbin"
install -m 0755 "$lab_root_files/wpa_supplicant" "$root/usr/sbin/wpa_supplicant"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
tar -C "$root" --numeric-owner -cf "$cache/root.tar.tmp" .
mv "$cache/root.tar.tmp" "$cache/root.tar"

kimg=("$x"/boot/vmlinuz-*)
cp "${kimg[0]}" "$cache/vmlinuz.tmp"
mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
echo "$kpkg" > "$cache/kernel.package"
echo "$kver" > "$cache/kernel.version"

echo "$want" > "$stamp"
echo "$cache"
