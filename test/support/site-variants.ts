/**
 * The inventories the site generators are golden-tested and tool-checked
 * with: the example (mode full), the example in proxy mode, and a
 * shared-root site that exercises the rest (pools, several shared roots one
 * of them read-write, PXE clients with their own files, Linux lagg clients
 * with their per-client iPXE scripts and boot programs by architecture, an
 * NFSv4 root and a Wi-Fi backup, more architectures, a TFTP server
 * listening on every address).
 */
import assert from "node:assert/strict";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import { loadInventoryText } from "../../src/config/load.js";
import type { Inventory } from "../../src/config/types.js";
import { formatFinding } from "../../src/config/findings.js";
import { fakeProbe } from "./probe.js";

/** The example reads its Wi-Fi passphrase from this file. */
const exampleProbe = fakeProbe({ "/usr/local/etc/laggboot/wifi.psk": "example passphrase" });

export const SHARED_ROOT_SITE = `version: 1
server:
  address: 198.18.10.1
  networks:
    - name: office
      prefix: 198.18.10.0/24
      serverAddress: 198.18.10.1
      gateway: 198.18.10.254
      dns: [198.18.10.1, 198.18.10.2]
      domain: office.example
      pool: { first: 198.18.10.200, last: 198.18.10.220 }
      leaseSeconds: 900
    - name: annex
      prefix: 198.18.20.0/24
      serverAddress: 198.18.20.1
    - name: branch
      prefix: 198.19.30.0/24
      relayed: true
      gateway: 198.19.30.1
  dhcp:
    mode: full
    reservationLeaseSeconds: 43200
  tftp:
    address: 0.0.0.0
    bootFiles:
      bios: boot/pxeboot
      ia32Uefi: boot/loader-ia32.efi
      x64Uefi: boot/loader.efi
      arm64Uefi: boot/loader-arm64.efi
      byArch: { "16": boot/ipxe-http.efi }
    ipxeScript: boot/menu.ipxe
  nfs:
    server: 198.18.10.5
    rootsDir: /export/diskless
defaults:
  freebsd-lagg:
    wired: igb0
    wifi: { parent: iwm0, ssid: "Office", passphrase: "office passphrase" }
    root: { layout: shared, path: /export/diskless/ro14 }
clients:
  - { name: ws1, kind: freebsd-lagg, ip: 198.18.10.11, macs: [00:1e:68:10:00:11] }
  - { name: ws2, kind: freebsd-lagg, ip: 198.18.10.12, macs: [00:1e:68:10:00:12, 00:1e:68:10:01:12] }
  - { name: ws3, kind: freebsd-lagg, ip: 198.18.20.13, macs: [00:1e:68:20:00:13] }
  - name: lab1
    kind: freebsd-lagg
    ip: 198.18.20.21
    macs: [00:1e:68:20:00:21]
    freebsdRelease: 10
    root: { path: /export/diskless/lab, readOnly: false }
  - name: lab2
    kind: freebsd-lagg
    ip: 198.19.30.22
    macs: [00:1e:68:30:00:22]
    root: { path: /export/diskless/lab, readOnly: false }
  - name: build
    kind: freebsd-lagg
    ip: 198.18.10.30
    macs: [00:1e:68:10:00:30]
    root: { layout: own, path: /export/diskless/build }
  - { name: thin1, kind: pxe, ip: 198.18.10.41, macs: [52:54:00:10:00:41], bootFile: undionly.kpxe, ipxeScript: thin.ipxe, rootPath: "198.18.10.5:/export/linux/thin" }
  - { name: thin2, kind: pxe, ip: 198.19.30.42, macs: [52:54:00:30:00:42, 52:54:00:30:01:42], bootFile: undionly.kpxe, ipxeScript: thin.ipxe }
  - { name: lnx, kind: pxe, ip: 198.18.20.43, macs: [52:54:00:20:00:43], bootFile: linux/pxelinux.0 }
  - { name: plain, kind: pxe, ip: 198.18.10.44, macs: [52:54:00:10:00:44] }
  - name: tux1
    kind: lagg
    os: linux
    ip: 198.18.20.51
    macs: [52:54:00:20:00:51]
    backup: { mac: 52:54:00:20:01:51 }
    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img, kernelArgs: "console=ttyS0,115200n8 quiet" }
  - name: tux2
    kind: lagg
    os: linux
    ip: 198.18.20.52
    macs: [52:54:00:20:00:52, 52:54:00:20:01:52]
    backup: { mac: 52:54:00:20:01:52 }
    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img, bootFile: undionly.kpxe }
    bond: { at: runtime, upDelayMs: 2000 }
    root: { path: /export/linux/tux2, readOnly: true }
  - name: tux3
    kind: lagg
    os: linux
    ip: 198.18.10.53
    macs: [52:54:00:10:00:53]
    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img, bootFiles: { bios: undionly.kpxe, x64Uefi: snponly.efi } }
  - name: tux4
    kind: lagg
    os: linux
    ip: 198.18.10.54
    macs: [52:54:00:10:00:54]
    backup: { mac: 52:54:00:10:01:54, wifi: { ssid: "Office", passphrase: "office passphrase", country: DE } }
    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img, bootFile: ipxe.efi, bootFiles: { bios: undionly.kpxe } }
    root: { nfsVersion: 4 }
`;

/**
 * The example with boot files over HTTP: iPXE gets its script as a URL except
 * on x64 UEFI (protocolByArch 7: tftp... so UEFI HTTP Boot of x64 is not
 * answered), arm64 UEFI HTTP Boot gets its boot file as a URL, and a PXE
 * client's own boot program goes to HTTP Boot firmware as a URL too, as a
 * Linux client's own arm64 program does.
 */
export const HTTP_BOOT_SITE = EXAMPLE_INVENTORY
  .replace("    x64Uefi: loader.efi # option 93 = 7 and 9\n", "    x64Uefi: loader.efi # option 93 = 7 and 9\n      arm64Uefi: loader-arm64.efi\n")
  .replace("  http:\n", "  httpBoot:\n    address: 198.18.0.1\n    port: 8080\n    protocolByArch: { \"7\": tftp }\n  http:\n")
  .replace("    ipxeScript: kiosk.ipxe\n", "    bootFile: kiosk.efi\n")
  .concat(`  - name: tuxh
    kind: lagg
    os: linux
    ip: 198.18.0.41
    macs: [52:54:00:00:00:41]
    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img, bootFiles: { bios: undionly.kpxe, arm64Uefi: ipxe-arm64.efi } }
`);

/** Loads inventory text that must have no errors (warnings are fine). */
export function loadOk(text: string, probe = exampleProbe): Inventory {
  const r = loadInventoryText(text, "laggboot.yaml", probe);
  const errors = r.findings.filter((f) => f.severity === "error");
  assert.deepEqual(errors.map(formatFinding), [], "the inventory must load without errors");
  assert.ok(r.inventory);
  return r.inventory;
}

export const SITE_VARIANTS: Readonly<Record<string, () => Inventory>> = {
  example: () => loadOk(EXAMPLE_INVENTORY),
  proxy: () => {
    const inv = loadOk(EXAMPLE_INVENTORY.replace(/^(\s+mode:) full\b/m, "$1 proxy"));
    assert.equal(inv.server.dhcp.mode, "proxy", "the example's dhcp.mode line was not found");
    return inv;
  },
  "shared-root": () => loadOk(SHARED_ROOT_SITE),
  "http-boot": () => {
    const inv = loadOk(HTTP_BOOT_SITE);
    assert.ok(inv.server.httpBoot && inv.server.tftp.bootFiles.arm64Uefi && inv.clients.some((c) => c.kind === "pxe" && c.bootFile === "kiosk.efi"), "the example's lines to edit were not found");
    return inv;
  },
};
