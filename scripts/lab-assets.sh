#!/usr/bin/env bash
# Prepares the boot assets for the real-PXE-firmware lab (test/e2e, docs/lab.md):
#   kernel      Debian's cloud kernel, extracted from its package (never installed)
#   initrd.gz   a busybox-static initramfs whose /init prints a marker line on
#               the serial console and powers the machine off
#   ipxe.efi, undionly.kpxe, snponly.efi
#               iPXE boot programs from Debian's `ipxe` package
#   boot.ipxe   a default iPXE script that boots kernel + initrd.gz, named
#               relative to the script, so they come over whichever protocol
#               (TFTP or HTTP) the script itself came over
# into a cache directory OUTSIDE the repository, so repeated runs are fast.
#
# Usage: scripts/lab-assets.sh [CACHE_DIR]
#   CACHE_DIR defaults to $LAGGBOOT_LAB_CACHE, then /var/cache/laggboot-lab.
#   Prints the cache directory on stdout (last line) when done.
# Needs: apt-get (with a package list: `apt-get update` once), dpkg, gzip,
# busybox-static, ipxe. Runs as root or as a user who can write CACHE_DIR.
set -euo pipefail

cache="${1:-${LAGGBOOT_LAB_CACHE:-/var/cache/laggboot-lab}}"
# Bump when the layout or the /init below changes, so old caches are rebuilt.
layout_version=3

busybox_bin=/bin/busybox
ipxe_dir=/usr/lib/ipxe

die() { echo "lab-assets: $*" >&2; exit 1; }

[ -x "$busybox_bin" ] || die "$busybox_bin missing: apt-get install busybox-static"
[ -r "$ipxe_dir/ipxe.efi" ] || die "$ipxe_dir/ipxe.efi missing: apt-get install ipxe"
[ -r "$ipxe_dir/undionly.kpxe" ] || die "$ipxe_dir/undionly.kpxe missing: apt-get install ipxe"

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
stamp="$cache/.complete"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$layout_version" ] \
  && [ -s "$cache/kernel" ] && [ -s "$cache/initrd.gz" ]; then
  echo "$cache"
  exit 0
fi
rm -f "$stamp"

work="$(mktemp -d "${TMPDIR:-/tmp}/lab-assets.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# apt-get download drops privileges to _apt, which must be able to write here.
chmod 755 "$work"

# --- kernel ---------------------------------------------------------------
# The meta-package linux-image-cloud-amd64 depends on exactly one versioned
# image package (e.g. linux-image-6.1.0-56-cloud-amd64); ask apt which, so the
# script follows Debian's security updates without edits.
if [ ! -s "$cache/kernel" ]; then
  pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n1)"
  [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update first)"
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
  debs=("$work"/*.deb)
  deb="${debs[0]}"
  dpkg -x "$deb" "$work/kpkg"
  images=("$work"/kpkg/boot/vmlinuz-*)
  vmlinuz="${images[0]}"
  [ -s "$vmlinuz" ] || die "no vmlinuz in $deb"
  cp "$vmlinuz" "$cache/kernel.tmp"
  mv "$cache/kernel.tmp" "$cache/kernel"
  echo "$pkg" > "$cache/kernel.package"
fi

# --- initramfs ------------------------------------------------------------
# /init writes one line `LAGGBOOT-LAB-BOOTED marker=<lbmarker=...>` to ttyS0.
# The marker comes from the kernel command line, which the iPXE script sets,
# so a test proves its own script (not a stale one) booted this kernel.
root="$work/initramfs"
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/sys"
cp "$busybox_bin" "$root/bin/busybox"
cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
marker=none
for word in $(/bin/busybox cat /proc/cmdline); do
  case "$word" in lbmarker=*) marker="${word#lbmarker=}" ;; esac
done
out=/dev/ttyS0
[ -c "$out" ] || out=/dev/console
echo "LAGGBOOT-LAB-BOOTED marker=$marker" > "$out"
/bin/busybox sync
/bin/busybox poweroff -f
# poweroff -f should not return; if ACPI is missing, stop here quietly.
while :; do /bin/busybox sleep 60; done
EOF
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | "$busybox_bin" cpio -o -H newc 2>/dev/null) \
  | gzip -9 > "$cache/initrd.gz.tmp"
mv "$cache/initrd.gz.tmp" "$cache/initrd.gz"

# --- iPXE boot programs and a default script ---------------------------------
for f in ipxe.efi undionly.kpxe snponly.efi; do
  cp -L "$ipxe_dir/$f" "$cache/$f"
done
cat > "$cache/boot.ipxe" <<'EOF'
#!ipxe
# Relative names resolve against this script's own URI (tftp:// or http://).
kernel kernel initrd=initrd.gz console=ttyS0 panic=-1 quiet lbmarker=default
initrd initrd.gz
boot
EOF

echo "$layout_version" > "$stamp"
echo "$cache"
