/**
 * A Linux client's own boot programs by architecture (boot.bootFiles, as
 * server.tftp.bootFiles names them): the inventory, laggboot's own DHCP
 * choice, and the checks of the files in the TFTP root (check, doctor). The ISC dhcpd, Kea
 * and dnsmasq generators are run with the same choices by
 * test/interop/render-servers.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import { formatFinding } from "../../src/config/findings.js";
import type { Inventory, LinuxLaggClient } from "../../src/config/types.js";
import { dhcpPolicyFromInventory } from "../../src/app/dhcp-policy.js";
import { runDoctor, type DoctorProbe } from "../../src/app/doctor.js";
import { chooseBoot } from "../../src/protocol/dhcp/boot.js";
import { clientFacts } from "../../src/protocol/dhcp/client.js";
import type { DhcpPacket } from "../../src/wire/dhcp4/types.js";
import { httpBootRequest, loaderDiscover, pxeRequest } from "../support/dhcp-builders.js";
import { fakeProbe } from "../support/probe.js";

const SITE = `
server:
  address: 198.18.0.1
  networks: [{ name: lan, prefix: 198.18.0.0/24 }]
  tftp:
    root: /tftp
    bootFiles: { bios: pxeboot, x64Uefi: loader.efi, arm64Uefi: loader-arm64.efi }
  httpBoot: { port: 8080 }
clients:
  - name: tux
    kind: lagg
    os: linux
    ip: 198.18.0.30
    macs: [52:54:00:00:00:30]
    boot:
      kernel: vmlinuz
      initrd: initrd.img
      bootFiles: { bios: undionly.kpxe, x64Uefi: snponly.efi, byArch: { "10": ipxe-arm32.efi } }
  - name: both
    kind: lagg
    os: linux
    ip: 198.18.0.31
    macs: [52:54:00:00:00:31]
    boot: { kernel: vmlinuz, initrd: initrd.img, bootFile: ipxe.efi, bootFiles: { bios: undionly.kpxe } }
`;

const TFTP_FILES = ["boot.ipxe", "pxeboot", "loader.efi", "loader-arm64.efi", "vmlinuz", "initrd.img", "undionly.kpxe", "snponly.efi", "ipxe-arm32.efi", "ipxe.efi"];

function site(text = SITE, files = TFTP_FILES): ReturnType<typeof loadInventoryText> {
  return loadInventoryText(text, "t.yaml", fakeProbe(Object.fromEntries(files.map((f) => [`/tftp/${f}`, "x"])), ["/tftp"]));
}
function ok(text = SITE): Inventory {
  const r = site(text);
  assert.deepEqual(r.findings.map(formatFinding), []);
  return r.inventory!;
}

test("boot.bootFiles folds as server.tftp.bootFiles does: bios 0, x64Uefi 7 and 9, byArch by number", () => {
  const c = ok().clients[0] as LinuxLaggClient;
  assert.deepEqual([...c.boot.bootFiles].sort((a, b) => a[0] - b[0]), [[0, "undionly.kpxe"], [7, "snponly.efi"], [9, "snponly.efi"], [10, "ipxe-arm32.efi"]]);
  assert.equal(c.boot.bootFile, undefined);
  const policy = dhcpPolicyFromInventory(ok());
  assert.deepEqual(policy.reservations[0]!.bootFiles, c.boot.bootFiles, "laggboot's DHCP gets the table");
  assert.equal(policy.reservations[1]!.bootFile, "ipxe.efi");
});

test("laggboot's DHCP: the client's program for the architecture, else its program for all, else the site's; iPXE gets the script", () => {
  const inv = ok();
  const policy = dhcpPolicyFromInventory(inv);
  const [tux, both] = policy.reservations;
  const file = (r: typeof tux, p: DhcpPacket): string | undefined => chooseBoot(policy, r, clientFacts(p), "198.18.0.1")?.file;
  const pxe = (mac: string, arch: number): DhcpPacket => pxeRequest({ mac, arch });
  assert.equal(file(tux, pxe("52:54:00:00:00:30", 0)), "undionly.kpxe");
  assert.equal(file(tux, loaderDiscover({ mac: "52:54:00:00:00:30", form: "2011" })), "undionly.kpxe", "no option 93: BIOS");
  assert.equal(file(tux, pxe("52:54:00:00:00:30", 7)), "snponly.efi");
  assert.equal(file(tux, pxe("52:54:00:00:00:30", 9)), "snponly.efi");
  assert.equal(file(tux, pxe("52:54:00:00:00:30", 10)), "ipxe-arm32.efi");
  assert.equal(file(tux, pxe("52:54:00:00:00:30", 11)), "loader-arm64.efi", "no program of its own for arm64: the site's");
  assert.equal(file(tux, pxeRequest({ mac: "52:54:00:00:00:30", arch: 7, ipxe: true })), "http://198.18.0.1:8080/laggboot/tux.ipxe");
  assert.equal(file(both, pxe("52:54:00:00:00:31", 0)), "undionly.kpxe");
  assert.equal(file(both, pxe("52:54:00:00:00:31", 7)), "ipxe.efi", "bootFile for every architecture bootFiles does not name");
  assert.equal(file(both, pxe("52:54:00:00:00:31", 11)), "ipxe.efi");
  // UEFI HTTP Boot: the client's program for the firmware's PXE architecture, as a URL, before the site's.
  assert.equal(file(tux, httpBootRequest({ mac: "52:54:00:00:00:30", arch: 16 })), "http://198.18.0.1:8080/snponly.efi");
  assert.equal(file(tux, httpBootRequest({ mac: "52:54:00:00:00:30", arch: 19 })), "http://198.18.0.1:8080/loader-arm64.efi");
  assert.equal(file(both, httpBootRequest({ mac: "52:54:00:00:00:31", arch: 19 })), "http://198.18.0.1:8080/ipxe.efi");
});

test("check: each boot program must be a safe name and is looked for in the TFTP root, at its own key", () => {
  const missing = site(SITE, TFTP_FILES.filter((f) => f !== "snponly.efi" && f !== "ipxe-arm32.efi"));
  const warnings = missing.findings.filter((f) => f.code === "LB_WARN_BOOT_FILE_MISSING").map((f) => [f.path, f.line]);
  assert.deepEqual(warnings, [["clients[0].boot.bootFiles.x64Uefi", 18], ["clients[0].boot.bootFiles.byArch[\"10\"]", 18]]);
  const bad = site(SITE.replace("x64Uefi: snponly.efi", "x64Uefi: \"snp only.efi\""));
  assert.deepEqual(bad.findings.filter((f) => f.severity === "error").map((f) => [f.code, f.path]), [["LB_ERR_UNSAFE_VALUE", "clients[0].boot.bootFiles.x64Uefi"]]);
  const unknown = site(SITE.replace("x64Uefi: snponly.efi", "x86Uefi: snponly.efi"));
  assert.deepEqual(unknown.findings.filter((f) => f.severity === "error").map((f) => f.path), ["clients[0].boot.bootFiles.x86Uefi"]);
  const badArch = site(SITE.replace('"10": ipxe-arm32.efi', "arm: ipxe-arm32.efi"));
  assert.equal(badArch.findings.filter((f) => f.severity === "error").length, 1, "byArch keys are architecture numbers");
});

test("doctor looks for each of the client's boot programs in the TFTP root", async () => {
  const present = new Set(TFTP_FILES.filter((f) => f !== "snponly.efi").map((f) => `/tftp/${f}`));
  const probe: DoctorProbe = {
    localAddresses: () => ["198.18.0.1"],
    portBusy: async () => undefined,
    fileState: (p) => (p === "/tftp" ? "dir" : present.has(p) ? "file" : "missing"),
    nfsExport: async () => ({ ok: true, status: "allowed", proves: "", advice: undefined }),
    identity: () => "no runAs",
    readRefusal: () => undefined,
    plannedChanges: () => [],
  };
  const fs = await runDoctor(ok(), probe, { nfs: false, nfsTimeoutMs: 1 });
  const snp = fs.find((f) => f.check === "boot file snponly.efi");
  assert.equal(snp?.status, "fail");
  assert.match(snp!.proves, /\/tftp\/snponly\.efi \(client tux's boot file for option 93 = 7, 9\) is missing/);
  assert.equal(fs.find((f) => f.check === "boot file ipxe-arm32.efi")?.status, "ok");
});
