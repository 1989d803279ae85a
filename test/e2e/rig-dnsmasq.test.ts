/**
 * The real-PXE-firmware rig works, with dnsmasq as the boot server: QEMU (TCG)
 * with real firmware gets its reserved address, fetches the iPXE script over
 * TFTP, boots Debian's cloud kernel with a busybox initramfs, and the
 * initramfs prints the marker this run put on the kernel command line. This
 * proves the rig (namespaces, assets, QEMU arguments, serial watch, cleanup)
 * before laggboot serve is plugged into the same `withLab`.
 * Needs root, qemu-system-x86, ipxe-qemu, ipxe, ovmf, dnsmasq-base, busybox-static,
 * and apt access for the first asset build (cached afterwards).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureLabAssets, type LabAssets } from "../../src/lab/assets.js";
import { startDnsmasq } from "./support/dnsmasq.js";
import { bootToMarker, withLab, type BootResult } from "../../src/lab/lab.js";
import { LAB_PREFIX } from "../../src/lab/net.js";

let assets: LabAssets | undefined;
async function labAssets(): Promise<LabAssets> {
  assets ??= await ensureLabAssets();
  return assets;
}

function ourNamespaces(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(LAB_PREFIX));
}

function describe(r: BootResult): string {
  const ms = Object.entries(r.milestonesMs).map(([k, v]) => `${k}=${((v ?? 0) / 1000).toFixed(1)}s`);
  return `${r.firmware}: marker after ${(r.bootMs / 1000).toFixed(1)} s (${ms.join(" ")})`;
}

test("rig works with dnsmasq as the server: BIOS iPXE boots kernel+initrd over TFTP", { timeout: 180_000 }, async (t) => {
  const a = await labAssets();
  let netNames: string[] = [];
  const result = await withLab({ firmware: "bios", server: startDnsmasq, assets: a }, async (lab) => {
    netNames = [lab.net.server.name, lab.net.client.name];
    const r = await bootToMarker(lab, 120_000);
    assert.equal(r.markerSeen, lab.marker, "the initramfs must print this run's marker");
    const log = lab.server.logText();
    assert.match(log, new RegExp(`DHCPACK\\(${lab.net.serverIf}\\) ${lab.ctx.client.ip.replace(/\./g, "\\.")} ${lab.ctx.client.mac}`));
    assert.match(log, /vendor class: PXEClient:Arch:00000:UNDI:002001/);
    assert.match(log, /user class: iPXE/);
    assert.match(log, /sent \S+\/boot\.ipxe to /);
    assert.match(log, /sent \S+\/kernel to /);
    assert.doesNotMatch(log, /sent \S+\/undionly\.kpxe/, "the iPXE ROM must get the script, not a boot program");
    assert.deepEqual(r.qemuExit, { code: 0, signal: null }, "the initramfs powers off, QEMU exits 0");
    // Order of what the console showed: script before kernel before marker.
    const m = r.milestonesMs;
    assert.ok(m.scriptLoaded! < m.kernelLoaded! && m.kernelLoaded! < m.booted!, describe(r));
    return r;
  });
  t.diagnostic(describe(result));
  for (const n of netNames) assert.ok(!ourNamespaces().includes(n), `namespace ${n} was not removed`);
  assert.ok(!existsSync(`/etc/netns/${netNames[0]}`), "resolv.conf dir left behind");
});

test("rig works with dnsmasq as the server: OVMF's own UEFI PXE chainloads ipxe.efi, which boots", { timeout: 210_000 }, async (t) => {
  const a = await labAssets();
  const result = await withLab({ firmware: "uefi", server: startDnsmasq, assets: a }, async (lab) => {
    // OVMF is the slow part under TCG (~9 s idle, 35 s+ on a busy machine).
    const r = await bootToMarker(lab, 150_000);
    assert.equal(r.markerSeen, lab.marker);
    const log = lab.server.logText();
    // First the firmware's own PXE (arch 7, no iPXE user class) gets ipxe.efi...
    assert.match(log, /vendor class: PXEClient:Arch:00007:UNDI:003000/);
    assert.match(log, /sent \S+\/ipxe\.efi to /);
    // ...then ipxe.efi asks again as iPXE and gets the script.
    assert.match(log, /vendor class: PXEClient:Arch:00007:UNDI:003010/);
    assert.match(log, /sent \S+\/boot\.ipxe to /);
    assert.match(log, new RegExp(`DHCPACK\\(${lab.net.serverIf}\\) ${lab.ctx.client.ip.replace(/\./g, "\\.")} ${lab.ctx.client.mac}`));
    assert.ok(r.milestonesMs.bootProgramLoaded! < r.milestonesMs.scriptLoaded!, describe(r));
    assert.deepEqual(r.qemuExit, { code: 0, signal: null });
    return r;
  });
  t.diagnostic(describe(result));
});

test("a server that never answers: the wait fails with the serial tail, and the lab still cleans up", { timeout: 60_000 }, async () => {
  const a = await labAssets();
  let names: string[] = [];
  const silent = async () => ({ name: "silent", logText: () => "(no log)", stop: async () => undefined });
  await assert.rejects(
    withLab({ firmware: "bios", server: silent, assets: a, routerAdvertisements: false }, async (lab) => {
      names = [lab.net.server.name, lab.net.client.name];
      await bootToMarker(lab, 8_000);
    }),
    (e: Error) => /timed out after 8000 ms/.test(e.message) && /--- silent log/.test(e.message),
  );
  for (const n of names) assert.ok(!ourNamespaces().includes(n), `namespace ${n} was not removed`);
});
