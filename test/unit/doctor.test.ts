/** doctor's rules on a fake machine: each check passes, and fails with advice. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runDoctor, type DoctorProbe } from "../../src/app/doctor.js";
import { loadInventoryText } from "../../src/config/load.js";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import type { NfsExportCheck } from "../../src/servers/nfs-mount/check.js";
import { bindProblem, type Listener } from "../../src/servers/bind-error.js";
import type { PortHolder } from "../../src/servers/port-owner.js";
import { siteProbe } from "../support/probe.js";

const inv = loadInventoryText(EXAMPLE_INVENTORY, "laggboot.yaml", siteProbe).inventory!;

function machine(over: Partial<DoctorProbe> & { files?: Record<string, "file" | "dir" | "missing" | "unreadable" | "other"> } = {}): DoctorProbe {
  const files: Record<string, string> = {
    "/srv/tftp": "dir", "/srv/tftp/pxeboot": "file", "/srv/tftp/loader.efi": "file", "/srv/tftp/boot.ipxe": "file", "/srv/tftp/kiosk.ipxe": "file",
    "/srv/diskless/shared": "dir", "/srv/diskless/shared/conf/base/etc": "dir", "/srv/diskless/shared/conf/base/etc/diskless_remount": "file",
    ...over.files,
  };
  return {
    localAddresses: () => ["127.0.0.1", "198.18.0.1"],
    portBusy: async () => undefined,
    fileState: (p) => (files[p] as ReturnType<DoctorProbe["fileState"]>) ?? "missing",
    nfsExport: async (i): Promise<NfsExportCheck> => ({ ok: true, status: "allowed", proves: `${i.path} exported to ${i.client.address}`, advice: undefined }),
    identity: () => "server.runAs.user: no such user (the example sets no runAs)",
    readRefusal: () => undefined,
    plannedChanges: (set) => set.files.map((f) => ({ path: `${set.baseDir}/${f.path}`, kind: "unchanged", diff: "", modeChanged: false })),
    ...over,
  };
}

/** The bind problem the real probe would give for this errno, with `holder` holding the port. */
const busy = (l: Listener, code: string, holder?: PortHolder) => bindProblem(l, Object.assign(new Error(`bind ${code}`), { code }), () => holder);

const byCheck = (fs: Awaited<ReturnType<typeof runDoctor>>, name: string) => {
  const f = fs.find((x) => x.check === name);
  assert.ok(f, `no check named ${name}: ${fs.map((x) => x.check).join(", ")}`);
  return f;
};

const ASSETS = { freebsdFlipScript: "#!/bin/sh\n", linux: { nfsTopScript: "#!/bin/sh\n", initramfsHook: "#!/bin/sh\n", flipScript: "#!/bin/sh\n", nfsBootScript: "#!/bin/sh\n", nfsHook: "#!/bin/sh\n", wifiScript: "#!/bin/sh\n" } };

test("a healthy site passes every check, and each says what it proves", async () => {
  const fs = await runDoctor(inv, machine(), { nfs: true, nfsTimeoutMs: 1000 });
  assert.deepEqual(fs.filter((f) => f.status !== "ok"), []);
  assert.ok(fs.every((f) => f.proves.length > 20));
  // one NFS check per freebsd-lagg client, asked as the client's address
  assert.deepEqual(fs.filter((f) => f.check.startsWith("nfs export")).map((f) => f.proves), [
    "/srv/diskless/client exported to 198.18.0.10", "/srv/diskless/shared exported to 198.18.0.21", "/srv/diskless/shared exported to 198.18.0.22",
  ]);
  assert.deepEqual(fs.filter((f) => f.check.startsWith("port")).map((f) => f.check), ["port udp/67", "port udp/69", "port tcp/8067"]);
});

test("a server address not on any interface fails with advice", async () => {
  const f = byCheck(await runDoctor(inv, machine({ localAddresses: () => ["127.0.0.1"] }), { nfs: false, nfsTimeoutMs: 1 }), "address 198.18.0.1");
  assert.equal(f.status, "fail");
  assert.match(f.advice!, /ip addr add 198\.18\.0\.1/);
});

test("a port held by another server fails; held by laggboot passes", async () => {
  const dhcpd = { pid: 42, command: "/usr/sbin/dhcpd -4", laggboot: false };
  const other = await runDoctor(inv, machine({ portBusy: async (l) => (l.port === 67 ? busy(l, "EADDRINUSE", dhcpd) : undefined) }), { nfs: false, nfsTimeoutMs: 1 });
  assert.equal(byCheck(other, "port udp/67").status, "fail");
  assert.equal(byCheck(other, "port udp/67").proves, "DHCP cannot bind UDP 0.0.0.0:67: the port is in use by pid 42 (/usr/sbin/dhcpd -4).");
  assert.match(byCheck(other, "port udp/67").advice!, /Stop the other DHCP server \(for example ISC dhcpd, Kea or dnsmasq\)/);
  const ours = await runDoctor(inv, machine({ portBusy: async (l) => busy(l, "EADDRINUSE", { pid: 7, command: "node /usr/bin/laggboot serve", laggboot: true }) }), { nfs: false, nfsTimeoutMs: 1 });
  assert.ok(ours.filter((f) => f.check.startsWith("port")).every((f) => f.status === "ok"));
});

test("doctor: an address not on this machine says so, with no advice to stop another server", async () => {
  const fs = await runDoctor(inv, machine({ portBusy: async (l) => (l.proto === "udp" && l.port === 69 ? busy(l, "EADDRNOTAVAIL") : undefined) }), { nfs: false, nfsTimeoutMs: 1 });
  const f = byCheck(fs, "port udp/69");
  assert.equal(f.status, "fail");
  assert.equal(f.proves, "TFTP cannot bind UDP 198.18.0.1:69: the address is not on this machine.");
  assert.doesNotMatch(f.advice!, /Stop the other/);
  assert.match(f.advice!, /ip addr add 198\.18\.0\.1\/PREFIX/);
});

test("proxy mode also checks port 4011", async () => {
  const proxy = loadInventoryText(EXAMPLE_INVENTORY.replace("mode: full ", "mode: proxy"), "x.yaml", siteProbe).inventory!;
  const fs = await runDoctor(proxy, machine(), { nfs: false, nfsTimeoutMs: 1 });
  assert.ok(fs.some((f) => f.check === "port udp/4011"));
});

test("missing or unreadable boot files fail, naming the architecture", async () => {
  const fs = await runDoctor(inv, machine({ files: { "/srv/tftp/loader.efi": "missing", "/srv/tftp/boot.ipxe": "unreadable" } }), { nfs: false, nfsTimeoutMs: 1 });
  assert.equal(byCheck(fs, "boot file loader.efi").status, "fail");
  assert.match(byCheck(fs, "boot file loader.efi").proves, /\(option 93 = 7, option 93 = 9\) is missing/);
  assert.match(byCheck(fs, "boot file boot.ipxe").proves, /not readable/);
  assert.equal(byCheck(fs, "boot file pxeboot").status, "ok");
});

test("a shared root without conf/base/etc fails with the apply advice", async () => {
  const fs = await runDoctor(inv, machine({ files: { "/srv/diskless/shared/conf/base/etc": "missing", "/srv/diskless/shared/conf/base/etc/diskless_remount": "missing" } }), { nfs: false, nfsTimeoutMs: 1 });
  const f = byCheck(fs, "shared root /srv/diskless/shared");
  assert.equal(f.status, "fail");
  assert.match(f.advice!, /laggboot apply --root \//);
});

test("doctor --root DIR looks for the roots, and the client files, under DIR", async () => {
  const files = {
    "/stage/srv/diskless/shared": "dir", "/stage/srv/diskless/shared/conf/base/etc": "dir", "/stage/srv/diskless/shared/conf/base/etc/diskless_remount": "file",
    "/stage/srv/diskless/client": "dir",
  } as const;
  const asked: string[] = [];
  const fs = await runDoctor(inv, machine({
    files: { ...files, "/srv/diskless/shared": "missing" },
    plannedChanges: (set, root) => {
      asked.push(`${root}|${set.baseDir}`);
      return set.files.map((f) => ({ path: `${root}${set.baseDir}/${f.path}`, kind: set.baseDir.endsWith("client") && f.path === "etc/rc.d/lagg" ? "update" : "unchanged", diff: "", modeChanged: false }));
    },
  }), { nfs: false, nfsTimeoutMs: 1, rootDir: "/stage", clientAssets: ASSETS });
  assert.equal(byCheck(fs, "shared root /srv/diskless/shared").status, "ok");
  assert.deepEqual(asked, ["/stage|/srv/diskless/client", "/stage|/srv/diskless/shared", "/stage|/srv/diskless/shared"]);
  const stale = byCheck(fs, "client files for client");
  assert.equal(stale.status, "fail");
  assert.match(stale.proves, /out of date: \/stage\/srv\/diskless\/client\/etc\/rc\.d\/lagg/);
  assert.match(stale.advice!, /laggboot apply --root \/stage --client client/);
  assert.equal(byCheck(fs, "client files for desk1").status, "ok");
  // Without --root the same roots are looked for at /, where this machine has none of them.
  const atSlash = await runDoctor(inv, machine({ files: { "/srv/diskless/shared": "missing" } }), { nfs: false, nfsTimeoutMs: 1, clientAssets: ASSETS });
  assert.equal(byCheck(atSlash, "client files for client").status, "warn");
});

test("an NFS export refused to a client fails with the MOUNT check's advice", async () => {
  const fs = await runDoctor(inv, machine({
    nfsExport: async (i) => (i.client.address === "198.18.0.22"
      ? { ok: false, status: "denied", proves: "not exported to 198.18.0.22", advice: "add 198.18.0.22 to the export" }
      : { ok: true, status: "allowed", proves: "ok", advice: undefined }),
  }), { nfs: true, nfsTimeoutMs: 1 });
  const f = byCheck(fs, "nfs export for desk2");
  assert.equal(f.status, "fail");
  assert.equal(f.advice, "add 198.18.0.22 to the export");
});

test("server.runAs: boot files and the TFTP root are checked as that user, not as root", async () => {
  const asUser = loadInventoryText(EXAMPLE_INVENTORY.replace("server:\n", "server:\n  runAs: { user: laggboot }\n"), "x.yaml", siteProbe).inventory!;
  assert.equal(asUser.server.runAs?.user, "laggboot");
  const who = { uid: 1001, gid: 1001, groups: [1001] };
  const asked: string[] = [];
  const ok = await runDoctor(asUser, machine({ identity: () => who, readRefusal: (p, w) => { asked.push(`${p} as ${w.uid}`); return undefined; } }), { nfs: false, nfsTimeoutMs: 1 });
  assert.equal(byCheck(ok, "server.runAs").status, "ok");
  assert.match(byCheck(ok, "boot file pxeboot").proves, /can serve as laggboot/);
  assert.ok(asked.includes("/srv/tftp as 1001") && asked.includes("/srv/tftp/loader.efi as 1001"), asked.join(", "));

  const file = await runDoctor(asUser, machine({ identity: () => who, readRefusal: (p) => (p === "/srv/tftp/loader.efi" ? "cannot read /srv/tftp/loader.efi (mode 0600, owner 0:0)" : undefined) }), { nfs: false, nfsTimeoutMs: 1 });
  const f = byCheck(file, "boot file loader.efi");
  assert.equal(f.status, "fail");
  assert.match(f.proves, /readable by root, but laggboot serves as laggboot, who cannot read .*0600/);
  assert.match(f.advice!, /chmod -R g\+rX \/srv\/tftp\/loader\.efi/);
  assert.equal(byCheck(file, "boot file pxeboot").status, "ok");

  const dir = await runDoctor(asUser, machine({ identity: () => who, readRefusal: (p) => (p === "/srv/tftp" ? "cannot enter /srv/tftp (mode 0700, owner 0:0)" : undefined) }), { nfs: false, nfsTimeoutMs: 1 });
  assert.equal(byCheck(dir, "tftp root").status, "fail");
  assert.match(byCheck(dir, "tftp root").proves, /access violation/);
});

test("server.runAs: doctor says whether a plain SIGHUP can reload, or only laggboot reload (a root-only inventory or passphrase file)", async () => {
  const asUser = loadInventoryText(EXAMPLE_INVENTORY.replace("server:\n", "server:\n  runAs: { user: laggboot }\n"), "x.yaml", siteProbe).inventory!;
  const who = { uid: 1001, gid: 1001, groups: [1001] };
  const opts = { nfs: false, nfsTimeoutMs: 1, inventoryPath: "/etc/laggboot/laggboot.yaml", secretFiles: ["/usr/local/etc/laggboot/wifi.psk"] };
  const open = await runDoctor(asUser, machine({ identity: () => who }), opts);
  assert.match(byCheck(open, "inventory reload").proves, /can read \/etc\/laggboot\/laggboot\.yaml and \/usr\/local\/etc\/laggboot\/wifi\.psk: 'laggboot reload' and a plain SIGHUP/);
  const closed = await runDoctor(asUser, machine({ identity: () => who, readRefusal: (p) => (p.endsWith("wifi.psk") ? "cannot read /usr/local/etc/laggboot/wifi.psk (mode 0600, owner 0:0)" : undefined) }), opts);
  const f = byCheck(closed, "inventory reload");
  assert.equal(f.status, "ok", "a root-only secret is the right setup, not a fault");
  assert.match(f.proves, /cannot read \/usr\/local\/etc\/laggboot\/wifi\.psk .*reloads go through 'laggboot reload' run as root/);
});

test("server.runAs naming no user fails before any file is judged as it", async () => {
  const asUser = loadInventoryText(EXAMPLE_INVENTORY.replace("server:\n", "server:\n  runAs: { user: nosuchuser }\n"), "x.yaml", siteProbe).inventory!;
  const fs = await runDoctor(asUser, machine({ identity: (u) => `server.runAs.user: no such user "${u}"`, readRefusal: () => assert.fail("no identity, nothing to check as") }), { nfs: false, nfsTimeoutMs: 1 });
  const f = byCheck(fs, "server.runAs");
  assert.equal(f.status, "fail");
  assert.match(f.proves, /no such user "nosuchuser": laggboot serve refuses to start/);
  assert.equal(byCheck(fs, "boot file pxeboot").status, "ok");
});

test("with server.httpBoot: its address and TCP port are checked like the others", async () => {
  const text = EXAMPLE_INVENTORY.replace("  http:\n", "  httpBoot:\n    address: 198.18.0.1\n    port: 80\n  http:\n");
  const withHttp = loadInventoryText(text, "x.yaml", siteProbe).inventory!;
  const fs = await runDoctor(withHttp, machine(), { nfs: false, nfsTimeoutMs: 1 });
  assert.deepEqual(fs.filter((f) => f.check.startsWith("port")).map((f) => f.check), ["port udp/67", "port udp/69", "port tcp/8067", "port tcp/80"]);
  assert.match(byCheck(fs, "port tcp/80").proves, /198\.18\.0\.1:80 \(HTTP boot: boot files over HTTP\) is free/);
  const taken = await runDoctor(withHttp, machine({ portBusy: async (l) => (l.proto === "tcp" && l.port === 80 ? busy(l, "EADDRINUSE", { pid: 9, command: "nginx: master process", laggboot: false }) : undefined) }), { nfs: false, nfsTimeoutMs: 1 });
  assert.equal(byCheck(taken, "port tcp/80").status, "fail");
  const elsewhere = loadInventoryText(text.replace("address: 198.18.0.1\n    port: 80", "address: 198.18.0.7\n    port: 80"), "x.yaml", siteProbe).inventory!;
  const away = await runDoctor(elsewhere, machine(), { nfs: false, nfsTimeoutMs: 1 });
  assert.equal(byCheck(away, "address 198.18.0.7").status, "fail");
});
