/**
 * What laggboot hands a Linux client: its iPXE script (a pure renderer, a
 * provider both boot-file servers call, with the base URL as a parameter),
 * the files `apply` writes into its root, and its boot stages in the status.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventoryText } from "../../src/config/load.js";
import type { Inventory, LinuxLaggClient } from "../../src/config/types.js";
import { bootScriptProvider, tftpBaseUrl } from "../../src/app/boot-scripts.js";
import { dhcpPolicyFromInventory } from "../../src/app/dhcp-policy.js";
import { StatusTracker } from "../../src/app/status-tracker.js";
import { readFlipScript, readLinuxClientAssets } from "../../src/assets.js";
import { renderClientFileSets } from "../../src/render/client-file-sets.js";
import { linuxKernelArgs, renderLinuxIpxeScript } from "../../src/render/ipxe-script.js";
import { LINUX_PATHS } from "../../src/render/linux-client-files.js";
import { writeFileSets } from "../../src/render/write-fileset.js";
import type { DhcpServerEvent } from "../../src/servers/dhcp/types.js";
import type { TransferEvent } from "../../src/servers/tftp/types.js";
import { fakeProbe } from "../support/probe.js";

const SITE = `
server:
  address: 198.18.0.1
  networks: [{ name: lan, prefix: 198.18.0.0/24, domain: lab.example }]
clients:
  - name: tux
    kind: lagg
    os: linux
    ip: 198.18.0.30
    macs: [52:54:00:00:00:30]
    backup: { mac: 52:54:00:00:01:30 }
    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img, kernelArgs: "console=ttyS0,115200n8 quiet" }
  - name: flip
    kind: lagg
    os: linux
    ip: 198.18.0.31
    macs: [52:54:00:00:00:31]
    root: { path: /srv/linux/flip, readOnly: true }
    boot: { kernel: vmlinuz, initrd: initrd.img, bootFile: undionly.kpxe }
    bond: { name: bond1, at: runtime, miimonMs: 50, upDelayMs: 1000 }
  - { name: bsd, kind: lagg, ip: 198.18.0.32, macs: [52:54:00:00:00:32], wired: re0 }
`;

function site(text = SITE): Inventory {
  const r = loadInventoryText(text, "t.yaml", fakeProbe());
  assert.deepEqual(r.findings.filter((f) => f.severity === "error"), []);
  return r.inventory!;
}
const linuxClient = (inv: Inventory, name: string): LinuxLaggClient => inv.clients.find((c) => c.name === name) as LinuxLaggClient;

test("the iPXE script: kernel and initrd from the base URL, the NFS root, BOOTIF and the bond on the command line", () => {
  const c = linuxClient(site(), "tux");
  assert.equal(renderLinuxIpxeScript(c, "tftp://198.18.0.1/"), [
    "#!ipxe",
    "# laggboot: Linux client tux (198.18.0.30), NFS root 198.18.0.1:/srv/diskless/tux",
    "# bond0: active-backup of 52:54:00:00:00:30 (wired, primary) + 52:54:00:00:01:30 (backup), built by the initramfs before the root is mounted",
    "kernel tftp://198.18.0.1/linux/vmlinuz initrd=initrd.img root=/dev/nfs nfsroot=198.18.0.1:/srv/diskless/tux ip=dhcp BOOTIF=01-52-54-00-00-00-30 rw laggboot.bond=bond0,wired=52:54:00:00:00:30,backup=52:54:00:00:01:30,miimon=100,updelay=0,downdelay=0,num_grat_arp=3 console=ttyS0,115200n8 quiet",
    "initrd tftp://198.18.0.1/linux/initrd.img",
    "boot",
    "",
  ].join("\n"));
  const http = renderLinuxIpxeScript(c, "http://198.18.0.1:8080/");
  assert.match(http, /^kernel http:\/\/198\.18\.0\.1:8080\/linux\/vmlinuz /m);
  assert.match(http, /^initrd http:\/\/198\.18\.0\.1:8080\/linux\/initrd\.img$/m);
  for (const bad of ["tftp://198.18.0.1", "ftp://x/", "http://${net0/ip}/", "tftp://a b/"]) {
    assert.throws(() => renderLinuxIpxeScript(c, bad), /LB_ERR_RENDER|base URL/, bad);
  }
});

test("run-time bond, read-only root, other bond name and timings go onto the command line", () => {
  const args = linuxKernelArgs(linuxClient(site(), "flip"));
  assert.ok(args.includes("ro"));
  assert.ok(args.includes("laggboot.flip=bond1,wired=52:54:00:00:00:31,miimon=50,updelay=1000,downdelay=0,num_grat_arp=3"), args.join(" "));
  assert.ok(!args.some((a) => a.startsWith("laggboot.bond=")), "the initramfs must not build the bond in run-time mode");
  assert.ok(args.includes("nfsroot=198.18.0.1:/srv/linux/flip"));
});

test("the provider serves laggboot/NAME.ipxe for Linux clients only, from the inventory of the moment", () => {
  let inv = site();
  let port = 69;
  const provide = bootScriptProvider(() => inv, tftpBaseUrl(() => port));
  assert.match(provide("laggboot/tux.ipxe")!, /^kernel tftp:\/\/198\.18\.0\.1\/linux\/vmlinuz /m);
  port = 1069;
  assert.match(provide("laggboot/tux.ipxe")!, /^kernel tftp:\/\/198\.18\.0\.1:1069\//m);
  for (const p of ["laggboot/bsd.ipxe", "laggboot/nobody.ipxe", "boot.ipxe", "laggboot/tux.ipxe/x", "tux.ipxe"]) assert.equal(provide(p), undefined, p);
  inv = site(SITE.replace("kernelArgs: \"console=ttyS0,115200n8 quiet\"", "kernelArgs: \"console=ttyS1\""));
  assert.match(provide("laggboot/tux.ipxe")!, / console=ttyS1\n/, "a reload changes the script at once");
});

test("DHCP: a Linux client gets its own script once it runs iPXE, its own boot program before", () => {
  const policy = dhcpPolicyFromInventory(site());
  const tux = policy.reservations.find((r) => r.clientName === "tux")!;
  const flip = policy.reservations.find((r) => r.clientName === "flip")!;
  assert.equal(tux.ipxeScript, "laggboot/tux.ipxe");
  assert.equal(tux.bootFile, undefined);
  assert.equal(tux.rootPath, undefined);
  assert.equal(flip.bootFile, "undionly.kpxe");
});

const reply = (mac: string, messageType: string, details: Record<string, unknown>, atMs: number): DhcpServerEvent =>
  ({ type: "reply", mac, messageType, to: "x", atMs, details }) as unknown as DhcpServerEvent;
const sent = (path: string): TransferEvent => ({
  clientAddress: "198.18.0.30", clientPort: 2000, direction: "read", requested: path, path, virtual: false, outcome: "ok",
  bytes: 10, sizeBytes: 10, durationMs: 1, blockSize: 512, windowSize: 1, blocksResent: 0, clientErrorCode: undefined, reason: undefined,
});

test("status: the initramfs's own DHCP continues the boot (os-dhcp-acked); the firmware's next DHCP starts a new one", () => {
  const t = new StatusTracker(site());
  const mac = "52:54:00:00:00:30";
  const ipxe = { ipxe: true, vendorClass: "PXEClient:Arch:00000:UNDI:002001", ip: "198.18.0.30" };
  t.onDhcp(reply(mac, "OFFER", ipxe, 1));
  t.onDhcp(reply(mac, "ACK", ipxe, 2));
  t.onTransferAt(sent("laggboot/tux.ipxe"), 3);
  t.onTransferAt(sent("linux/vmlinuz"), 4);
  t.onTransferAt(sent("linux/initrd.img"), 5);
  const kernel = { vendorClass: "Linux ipconfig", ip: "198.18.0.30" };
  t.onDhcp(reply(mac, "OFFER", kernel, 6));
  t.onDhcp(reply(mac, "ACK", kernel, 7));
  const tux = t.clients().find((c) => c.name === "tux")!;
  assert.equal(tux.kind, "linux-lagg");
  assert.deepEqual(tux.stages.map((s) => s.stage), ["dhcp-offered", "dhcp-acked", "ipxe-script-sent", "file-sent", "file-sent", "os-dhcp-acked"]);
  assert.equal(tux.stage, "os-dhcp-acked");
  t.onDhcp(reply(mac, "OFFER", ipxe, 8));
  assert.deepEqual(t.clients().find((c) => c.name === "tux")!.stages.map((s) => s.stage), ["dhcp-offered"], "a reboot starts over");
});

test("client files: the initramfs-tools hook and nfs-top script, or laggboot-flip and its unit; apply writes them", () => {
  const inv = site();
  const assets = { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() };
  const [tux] = renderClientFileSets(inv, assets, "tux");
  assert.equal(tux!.baseDir, "/srv/diskless/tux");
  assert.deepEqual(tux!.files.map((f) => [f.path, f.mode]), [
    [LINUX_PATHS.nfsTopScript, 0o755], [LINUX_PATHS.initramfsHook, 0o755], [LINUX_PATHS.networkManager, 0o644],
  ]);
  assert.equal(tux!.files[0]!.content, readFileSync("assets/linux/initramfs-tools/scripts/nfs-top/laggboot-bond", "utf8"));
  assert.match(tux!.files[2]!.content, /^unmanaged-devices=interface-name:bond0;mac:52:54:00:00:00:30;mac:52:54:00:00:01:30$/m);
  const [flip] = renderClientFileSets(inv, assets, "flip");
  assert.deepEqual(flip!.files.map((f) => f.path), [LINUX_PATHS.flipScript, LINUX_PATHS.flipUnit, LINUX_PATHS.flipWanted, LINUX_PATHS.networkManager]);
  assert.match(flip!.files[1]!.content, /^ExecStart=\/usr\/sbin\/laggboot-flip$/m);
  assert.match(flip!.files[1]!.content, /^ConditionKernelCommandLine=laggboot\.flip$/m);
  assert.doesNotMatch(flip!.files[1]!.content, /^ExecStop/m, "stopping must not move the address back");
  assert.equal(renderClientFileSets(inv, assets).length, 3, "all lagg clients: two Linux, one FreeBSD");
  assert.throws(() => renderClientFileSets(site(SITE + "  - { name: p, kind: pxe, ip: 198.18.0.40, macs: [52:54:00:00:00:40] }\n"), assets, "p"), /kind pxe/);

  const dir = mkdtempSync(join(tmpdir(), "lb-linux-apply-"));
  try {
    const changes = writeFileSets([tux!], { targetRoot: dir, dryRun: false, force: false, chownRoot: false });
    assert.deepEqual(changes.changes.map((c) => c.kind), ["create", "create", "create"]);
    assert.equal(statSync(join(dir, "srv/diskless/tux", LINUX_PATHS.nfsTopScript)).mode & 0o777, 0o755);
    const again = writeFileSets([tux!], { targetRoot: dir, dryRun: false, force: false, chownRoot: false });
    assert.deepEqual(again.changes.map((c) => c.kind), ["unchanged", "unchanged", "unchanged"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
