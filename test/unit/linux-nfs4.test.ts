/**
 * NFSv4 roots for Linux clients (root.nfsVersion 4, docs/linux-clients.md):
 * the inventory key, the kernel command line (boot=laggboot-nfs), the files
 * `apply` writes, the exports, the status, and the boot script's own logic
 * run by dash with initramfs-tools' functions replaced by stubs (the real
 * kernel mount is proven by test/e2e/linux-client.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventoryText } from "../../src/config/load.js";
import type { Inventory, LinuxLaggClient } from "../../src/config/types.js";
import { formatFinding } from "../../src/config/findings.js";
import { StatusTracker } from "../../src/app/status-tracker.js";
import { readFlipScript, readLinuxClientAssets } from "../../src/assets.js";
import { renderClientFileSets } from "../../src/render/client-file-sets.js";
import { renderExportsFreebsd, renderExportsLinux } from "../../src/render/exports.js";
import { linuxKernelArgs, renderLinuxIpxeScript } from "../../src/render/ipxe-script.js";
import { LINUX_PATHS } from "../../src/render/linux-client-files.js";
import { fakeProbe } from "../support/probe.js";

const SITE = `
server:
  address: 198.18.0.1
  networks: [{ name: lan, prefix: 198.18.0.0/24 }]
clients:
  - name: v3
    kind: lagg
    os: linux
    ip: 198.18.0.30
    macs: [52:54:00:00:00:30]
    boot: { kernel: vmlinuz, initrd: initrd.img }
  - name: v4
    kind: lagg
    os: linux
    ip: 198.18.0.31
    macs: [52:54:00:00:00:31]
    root: { nfsVersion: 4 }
    boot: { kernel: vmlinuz, initrd: initrd.img }
  - name: v4flip
    kind: lagg
    os: linux
    ip: 198.18.0.32
    macs: [52:54:00:00:00:32]
    root: { nfsVersion: 4, readOnly: true }
    boot: { kernel: vmlinuz, initrd: initrd.img }
    bond: { at: runtime }
  - { name: bsd, kind: lagg, ip: 198.18.0.33, macs: [52:54:00:00:00:33], wired: re0 }
`;

function site(text = SITE): Inventory {
  const r = loadInventoryText(text, "t.yaml", fakeProbe());
  assert.deepEqual(r.findings.filter((f) => f.severity === "error").map(formatFinding), []);
  return r.inventory!;
}
const linux = (inv: Inventory, name: string): LinuxLaggClient => inv.clients.find((c) => c.name === name) as LinuxLaggClient;

test("root.nfsVersion: 3 by default, 4 when asked; anything else is an error at its line", () => {
  const inv = site();
  assert.equal(linux(inv, "v3").root.nfsVersion, 3);
  assert.equal(linux(inv, "v4").root.nfsVersion, 4);
  for (const bad of ["2", "4.1", "\"4\"", "v4"]) {
    const r = loadInventoryText(SITE.replace("root: { nfsVersion: 4 }", `root: { nfsVersion: ${bad} }`), "t.yaml", fakeProbe());
    const errors = r.findings.filter((f) => f.severity === "error");
    assert.equal(errors.length, 1, `${bad}: ${errors.map(formatFinding).join("; ")}`);
    assert.equal(errors[0]!.path, "clients[1].root.nfsVersion");
    assert.equal(errors[0]!.line, 17, formatFinding(errors[0]!));
  }
});

test("an NFSv4 root boots with boot=laggboot-nfs (the script's name); an NFSv3 root with Debian's own nfs script", () => {
  const inv = site();
  const v3 = linuxKernelArgs(linux(inv, "v3"));
  const v4 = linuxKernelArgs(linux(inv, "v4"));
  assert.ok(!v3.some((a) => a.startsWith("boot=")), v3.join(" "));
  assert.deepEqual(v4.slice(1, 4), ["root=/dev/nfs", "boot=laggboot-nfs", "nfsroot=198.18.0.1:/srv/diskless/v4"]);
  assert.ok(LINUX_PATHS.nfsBootScript.endsWith("/scripts/laggboot-nfs"), "boot=NAME names /scripts/NAME in the initrd");
  assert.ok(linuxKernelArgs(linux(inv, "v4flip")).includes("boot=laggboot-nfs"), "the run-time flip's root is mounted by the initramfs too");
  assert.match(renderLinuxIpxeScript(linux(inv, "v4"), "tftp://198.18.0.1/"), /^# laggboot: Linux client v4 \(198\.18\.0\.31\), NFS root 198\.18\.0\.1:\/srv\/diskless\/v4 over NFSv4$/m);
});

test("apply writes the NFSv4 boot script and its hook for v4 roots in either bond mode, and not for v3", () => {
  const inv = site();
  const assets = { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() };
  const files = (name: string): [string, number][] => renderClientFileSets(inv, assets, name)[0]!.files.map((f) => [f.path, f.mode]);
  const nfs4: [string, number][] = [[LINUX_PATHS.nfsBootScript, 0o644], [LINUX_PATHS.nfsHook, 0o755]];
  for (const f of nfs4) assert.ok(!files("v3").some((x) => x[0] === f[0]), `v3 gets no ${f[0]}`);
  for (const name of ["v4", "v4flip"]) for (const f of nfs4) assert.ok(files(name).some((x) => x[0] === f[0] && x[1] === f[1]), `${name} gets ${f[0]}`);
  const v4 = renderClientFileSets(inv, assets, "v4")[0]!.files;
  assert.equal(v4.find((f) => f.path === LINUX_PATHS.nfsBootScript)!.content, readFileSync("assets/linux/initramfs-tools/scripts/laggboot-nfs", "utf8"));
  assert.match(v4.find((f) => f.path === LINUX_PATHS.nfsHook)!.content, /^manual_add_modules nfsv4$/m);
});

/** exports(5) logical lines: continuation backslashes joined, comments dropped. */
const logical = (text: string): string[] => text.replace(/\\\n\s*/g, " ").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));

test("FreeBSD exports: one V4: line rooted at / for the NFSv4 clients; none without them", () => {
  const lines = logical(renderExportsFreebsd(site()));
  const v4 = lines.filter((l) => l.startsWith("V4:"));
  assert.deepEqual(v4, ["V4: / -sec=sys 198.18.0.31 198.18.0.32"]);
  assert.ok(lines.includes("/srv/diskless/v4 -maproot=root 198.18.0.31"), "the root itself is exported as for v3: same path");
  const noV4 = renderExportsFreebsd(site(SITE.replace(/ nfsVersion: 4,?/g, "")));
  assert.doesNotMatch(noV4, /V4:/);
  const many = Array.from({ length: 40 }, (_, i) => `  - { name: m${i}, kind: lagg, os: linux, ip: 198.18.0.${100 + i}, macs: ["52:54:00:00:01:${(i + 16).toString(16)}"], root: { nfsVersion: 4 }, boot: { kernel: k, initrd: i } }`).join("\n");
  const wrapped = renderExportsFreebsd(site(`${SITE}${many}\n`));
  assert.equal(logical(wrapped).filter((l) => l.startsWith("V4:")).length, 1, "mountd reads one V4: line only");
  assert.match(wrapped, /^V4: \/ -sec=sys \\\n {4}198\.18\.0\.31 /m, "a long host list wraps");
});

test("Linux exports: the same lines for v3 and v4 roots, no fsid=0, and a note why", () => {
  const withV4 = renderExportsLinux(site());
  const withoutV4 = renderExportsLinux(site(SITE.replace(/ nfsVersion: 4,?/g, "")));
  assert.deepEqual(logical(withV4), logical(withoutV4));
  assert.doesNotMatch(logical(withV4).join("\n"), /fsid/);
  assert.match(withV4, /^# NFSv4 .*no fsid=0/m);
  assert.doesNotMatch(withoutV4, /NFSv4/);
});

test("status shows each lagg client's NFS root and its version", () => {
  const t = new StatusTracker(site());
  const root = (name: string): unknown => t.clients().find((c) => c.name === name)!.root;
  assert.deepEqual(root("v3"), { server: "198.18.0.1", path: "/srv/diskless/v3", nfsVersion: 3 });
  assert.deepEqual(root("v4"), { server: "198.18.0.1", path: "/srv/diskless/v4", nfsVersion: 4 });
  assert.deepEqual(root("bsd"), { server: "198.18.0.1", path: "/srv/diskless/bsd", nfsVersion: 3 });
});

/**
 * Runs the boot script's mountroot the way initramfs-tools' /init does
 * (sourced, after its functions), with those functions and the programs it
 * calls replaced by stubs that log to stdout. `mountFails` lists option
 * substrings for which the stub mount fails. Runs in a private mount
 * namespace with /dev/kmsg covered, so nothing reaches the host's kernel log.
 */
function mountroot(env: { nfsroot: string; readonly?: boolean; ipv4?: string; rootServer?: string; rootPath?: string; mountFails?: string[] }): { calls: string[]; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "lb-nfs4-"));
  try {
    const stubs = `
set -u
rootmnt=/root
quiet=n
readonly=${env.readonly ? "y" : "n"}
NFSROOT='${env.nfsroot}'
ROOTDELAY=2
log_begin_msg() { :; }
log_end_msg() { :; }
nfs_top() { echo "call nfs_top"; }
nfs_premount() { echo "call nfs_premount"; }
nfs_bottom() { :; }
wait_for_udev() { :; }
sleep() { :; }
modprobe() { echo "call modprobe $*"; }
configure_networking() { echo "call configure_networking"; IPV4ADDR='${env.ipv4 ?? "198.18.0.31"}'; ROOTSERVER='${env.rootServer ?? "198.18.0.1"}'; ROOTPATH='${env.rootPath ?? ""}'; }
mount() {
  echo "call mount $*"
  for bad in ${(env.mountFails ?? []).map((f) => `'${f}'`).join(" ")}; do
    case "$4" in *"$bad"*) return 1 ;; esac
  done
  return 0
}
. "${process.cwd()}/assets/linux/initramfs-tools/scripts/laggboot-nfs"
mountroot
echo "rc $?"
`;
    writeFileSync(join(dir, "run.sh"), stubs);
    const r = spawnSync("unshare", ["--mount", "sh", "-c", `mount --bind /dev/null /dev/kmsg && exec dash ${join(dir, "run.sh")}`], { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.error, undefined, `unshare/dash could not run: ${String(r.error)}`);
    assert.equal(r.status, 0, r.stderr);
    return { calls: r.stdout.split("\n").filter((l) => l.startsWith("call ") || l.startsWith("rc ")), log: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("boot script: the highest NFSv4 minor version the server takes, with the server's and the client's address", () => {
  const r = mountroot({ nfsroot: "198.18.0.1:/srv/diskless/v4", mountFails: ["vers=4.2"] });
  assert.deepEqual(r.calls.filter((c) => c.startsWith("call mount") || c.startsWith("rc")), [
    "call mount -t nfs4 -o rw,vers=4.2,hard,retrans=10,addr=198.18.0.1,clientaddr=198.18.0.31 198.18.0.1:/srv/diskless/v4 /root",
    "call mount -t nfs4 -o rw,vers=4.1,hard,retrans=10,addr=198.18.0.1,clientaddr=198.18.0.31 198.18.0.1:/srv/diskless/v4 /root",
    "rc 0",
  ]);
  const order = r.calls.map((c) => c.split(" ")[1]);
  assert.deepEqual(order.slice(0, 5), ["nfs_top", "modprobe", "configure_networking", "nfs_premount", "modprobe"], "nfs-top scripts (the bond) run before the network is configured");
  assert.match(r.log, /laggboot-nfs: mounting 198\.18\.0\.1:\/srv\/diskless\/v4 on \/root \(nfs4 rw,vers=4\.2,/);
});

test("boot script: read-only, the kernel's own options after the path, the root from DHCP", () => {
  const ro = mountroot({ nfsroot: "198.18.0.1:/srv/ro,vers=4.1,soft,timeo=50", readonly: true });
  assert.deepEqual(ro.calls.filter((c) => c.startsWith("call mount")), ["call mount -t nfs4 -o ro,vers=4.1,soft,timeo=50,addr=198.18.0.1,clientaddr=198.18.0.31 198.18.0.1:/srv/ro /root"], "given options are used as they are, once");
  const dhcp = mountroot({ nfsroot: "auto", rootServer: "198.18.0.9", rootPath: "/srv/from-dhcp", ipv4: "" });
  assert.deepEqual(dhcp.calls.filter((c) => c.startsWith("call mount")), ["call mount -t nfs4 -o rw,vers=4.2,hard,retrans=10,addr=198.18.0.9 198.18.0.9:/srv/from-dhcp /root"], "no client address: no clientaddr");
  const noServer = mountroot({ nfsroot: "/srv/path-only", rootServer: "198.18.0.7" });
  assert.match(noServer.calls.find((c) => c.startsWith("call mount"))!, / 198\.18\.0\.7:\/srv\/path-only \/root$/);
});

test("boot script: a server name, or a server that takes no NFSv4, fails with a reason and the retries initramfs-tools makes", () => {
  const named = mountroot({ nfsroot: "nfs.example:/srv/x" });
  assert.ok(!named.calls.some((c) => c.startsWith("call mount")), "no mount of a name the kernel cannot resolve");
  assert.match(named.log, /the NFS server 'nfs\.example' is not an IPv4 address/);
  assert.equal(named.calls.filter((c) => c === "call configure_networking").length, 3, "one try and ROOTDELAY (2) retries");
  const none = mountroot({ nfsroot: "198.18.0.1:/srv/x", mountFails: ["vers=4."] });
  assert.equal(none.calls.filter((c) => c.startsWith("call mount")).length, 9, "4.2, 4.1, 4.0 on each of three tries");
  assert.match(none.log, /could not mount the root over NFSv4/);
});
