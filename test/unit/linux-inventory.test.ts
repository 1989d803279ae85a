/**
 * Linux lagg clients in the inventory: `kind: lagg` with `os` (freebsd by
 * default, the same client as `kind: freebsd-lagg`), the Linux keys and
 * their checks, and `defaults.lagg` applying only the keys of a client's os.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import type { Finding } from "../../src/config/findings.js";
import type { Client, LinuxLaggClient } from "../../src/config/types.js";
import { fakeProbe } from "../support/probe.js";

const probe = fakeProbe({ "/srv/tftp/linux/vmlinuz": "k", "/srv/tftp/linux/initrd.img": "i" }, ["/srv/tftp"]);

const HEAD = [
  "server:",
  "  address: 198.18.0.1",
  "  networks:",
  "    - { name: lan, prefix: 198.18.0.0/24, domain: lab.example }",
];

/** One Linux client, lines 6..; `extra` lines are appended to it. */
function linux(extra: string[] = [], more: string[] = []): string {
  return [
    ...HEAD,
    "clients:", //                                                   5
    "  - name: tux", //                                              6
    "    kind: lagg", //                                             7
    "    os: linux", //                                              8
    "    ip: 198.18.0.30", //                                        9
    "    macs: [52:54:00:00:00:30]", //                              10
    "    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img }", // 11
    ...extra,
    ...more,
    "",
  ].join("\n");
}

function load(text: string) {
  return loadInventoryText(text, "t.yaml", probe);
}
const errors = (fs: readonly Finding[]) => fs.filter((f) => f.severity === "error").map((f) => `${f.line}:${f.col} ${f.code} ${f.path}: ${f.message}`);

test("kind lagg with os linux resolves to a linux-lagg client with the defaults", () => {
  const r = load(linux(["    backup: { mac: 52:54:00:00:01:30 }"]));
  assert.deepEqual(errors(r.findings), []);
  const c = r.inventory!.clients[0] as LinuxLaggClient;
  assert.equal(c.kind, "linux-lagg");
  assert.equal(c.backupMac, "52:54:00:00:01:30");
  assert.deepEqual(c.root, { path: "/srv/diskless/tux", readOnly: false, nfsVersion: 3 });
  assert.equal(c.rootPath, undefined, "Linux clients take the root from the kernel command line, not option 17");
  assert.deepEqual(c.bond, { name: "bond0", at: "initramfs", miimonMs: 100, upDelayMs: 0, downDelayMs: 0, gratuitousArps: 3 });
  assert.equal(c.boot.ipxeScript, "laggboot/tux.ipxe");
  assert.equal(c.boot.kernelArgs, "");
});

test("kind lagg without os is the FreeBSD client, the same as kind freebsd-lagg", () => {
  const fb = (kind: string, os = "") => load([...HEAD, "clients:", "  - name: bsd", `    kind: ${kind}`, ...(os ? [`    os: ${os}`] : []), "    ip: 198.18.0.31", "    macs: [52:54:00:00:00:31]", "    wired: re0", ""].join("\n"));
  const a = fb("freebsd-lagg"), b = fb("lagg"), c = fb("lagg", "freebsd"), d = fb("freebsd-lagg", "freebsd");
  for (const r of [a, b, c, d]) assert.deepEqual(errors(r.findings), []);
  assert.equal(a.inventory!.clients[0]!.kind, "freebsd-lagg");
  assert.deepEqual(b.inventory!.clients[0], a.inventory!.clients[0]);
  assert.deepEqual(c.inventory!.clients[0], a.inventory!.clients[0]);
  const bad = fb("freebsd-lagg", "linux");
  assert.match(errors(bad.findings).join("\n"), /LB_ERR_SCHEMA clients\[0\]\.os/);
});

test("a Linux client: missing boot keys, FreeBSD keys, an unknown os are errors at their lines", () => {
  const noBoot = load(linux().replace("    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img }\n", ""));
  assert.match(errors(noBoot.findings).join("\n"), /LB_ERR_SCHEMA clients\[0\]\.boot: required key "boot" is missing/);
  const wired = load(linux(["    wired: re0"]));
  assert.deepEqual(errors(wired.findings), ['12:5 LB_ERR_SCHEMA clients[0].wired: unknown key "wired" (known here: kind, os, name, fqdn, ip, macs, bootProtocol, uefiPxe, backup, root, boot, bond)']);
  const win = load(linux().replace("os: linux", "os: windows"));
  assert.equal(errors(win.findings).length, 1);
  assert.match(errors(win.findings)[0]!, /^8:\d+ LB_ERR_SCHEMA clients\[0\]\.os: /);
});

test("Linux client values that cannot be carried or would not work are refused", () => {
  const same = load(linux(["    backup: { mac: 52:54:00:00:00:30 }"]));
  assert.match(errors(same.findings).join("\n"), /LB_ERR_DUPLICATE clients\[0\]\.backup\.mac: .*needs two NICs/);
  const taken = load(linux(["    backup: { mac: 52:54:00:00:00:31 }"], ["  - { name: b, kind: pxe, ip: 198.18.0.31, macs: [52:54:00:00:00:31] }"]));
  assert.match(errors(taken.findings).join("\n"), /LB_ERR_DUPLICATE clients\[1\]\.macs\[0\]: MAC 52:54:00:00:00:31 is also used by clients\[0\] \(tux\)/);
  const own = load(linux(["    backup: { mac: 52:54:00:00:01:30 }"]).replace("macs: [52:54:00:00:00:30]", "macs: [52:54:00:00:00:30, 52:54:00:00:01:30]"));
  assert.deepEqual(errors(own.findings), [], "the backup NIC may also be one of the client's own MACs");
  const delay = load(linux(["    bond: { upDelayMs: 150 }"]));
  assert.deepEqual(errors(delay.findings), ["12:24 LB_ERR_SCHEMA clients[0].bond.upDelayMs: 150 is not a multiple of bond.miimonMs (100); bonding would round it down"]);
  const args = load(linux().replace("initrd: linux/initrd.img }", 'initrd: linux/initrd.img, kernelArgs: "quiet init=${x}" }'));
  assert.match(errors(args.findings).join("\n"), /LB_ERR_UNSAFE_VALUE clients\[0\]\.boot\.kernelArgs/);
  const kernel = load(linux().replace("kernel: linux/vmlinuz", 'kernel: "linux/vm linuz"'));
  assert.match(errors(kernel.findings).join("\n"), /LB_ERR_UNSAFE_VALUE clients\[0\]\.boot\.kernel/);
  const twice = load(linux([], ["  - { name: tux2, kind: lagg, os: linux, ip: 198.18.0.32, macs: [52:54:00:00:00:32], boot: { kernel: k, initrd: i }, root: { path: /srv/diskless/tux } }"]));
  assert.match(errors(twice.findings).join("\n"), /LB_ERR_DUPLICATE clients\[1\]\.root\.path: root \/srv\/diskless\/tux is also used by clients\[0\]/);
});

test("a missing kernel or initrd in the TFTP root is a warning", () => {
  const r = load(linux().replace("initrd: linux/initrd.img", "initrd: linux/initrd-old.img"));
  assert.deepEqual(errors(r.findings), []);
  assert.ok(r.findings.some((f) => f.code === "LB_WARN_BOOT_FILE_MISSING" && f.path === "clients[0].boot.initrd"));
});

test("defaults.lagg gives each lagg client the keys of its os only; a key of neither os is an error", () => {
  const text = [
    ...HEAD,
    "defaults:",
    "  lagg:",
    "    freebsdRelease: 13",
    "    wired: em0",
    "    boot: { kernel: linux/vmlinuz, initrd: linux/initrd.img }",
    "    bond: { miimonMs: 200 }",
    "clients:",
    "  - { name: bsd, kind: lagg, ip: 198.18.0.31, macs: [52:54:00:00:00:31] }",
    "  - { name: tux, kind: lagg, os: linux, ip: 198.18.0.30, macs: [52:54:00:00:00:30] }",
    "",
  ].join("\n");
  const r = load(text);
  assert.deepEqual(errors(r.findings), []);
  const [bsd, tux] = r.inventory!.clients as [Client, Client];
  assert.equal(bsd.kind === "freebsd-lagg" && bsd.freebsdRelease, 13);
  assert.equal(bsd.kind === "freebsd-lagg" && bsd.wired, "em0");
  assert.equal(tux.kind === "linux-lagg" && tux.bond.miimonMs, 200);
  const typo = load(text.replace("    bond: { miimonMs: 200 }", "    bondd: { miimonMs: 200 }"));
  assert.deepEqual(errors(typo.findings), ['10:5 LB_ERR_SCHEMA defaults.lagg.bondd: unknown key "bondd" for lagg clients']);
  const allLinux = load(text.replace("  lagg:\n", "  lagg:\n    os: linux\n").replace("  - { name: bsd, kind: lagg, ip: 198.18.0.31, macs: [52:54:00:00:00:31] }\n", ""));
  assert.deepEqual(errors(allLinux.findings), []);
  assert.equal(allLinux.inventory!.clients[0]!.kind, "linux-lagg", "os from defaults.lagg");
});
