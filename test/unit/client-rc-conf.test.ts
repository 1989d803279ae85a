/**
 * check --root: rc.conf lines in a client's root that ask for DHCP where
 * devd's replayed boot events would start dhclient and undo the flip, read
 * without following a link out of the root.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientRcConfFindings, dhcpLines } from "../../src/config/client-rc-conf.js";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import { loadInventoryText } from "../../src/config/load.js";
import { readClientFile } from "../../src/config/probe.js";
import { siteProbe } from "../support/probe.js";

const IFS = ["re0", "lagg0", "wlan0"];

for (const [line, hit] of [
  ['ifconfig_DEFAULT="DHCP"', true],
  ["ifconfig_DEFAULT=SYNCDHCP", true],
  ['ifconfig_re0="inet 198.18.0.10/24"', false],
  ['ifconfig_re0="up dhcp"', true],
  ["  ifconfig_re0_ipv4='NOSYNCDHCP'   # comment", true],
  ['ifconfig_lagg0="laggproto failover laggport wlan0 DHCP"', true],
  ['ifconfig_wlan0="WPA DHCP"', true],
  ['ifconfig_wlan0="WPA"', false],
  ['ifconfig_em1="DHCP"', false],
  ['#ifconfig_re0="DHCP"', false],
  ['ifconfig_re0="DHCPX"', false],
  ['ifconfig_re0_alias0="inet 198.18.0.11/32"', false],
] as const) {
  test(`dhcpLines: ${line} -> ${hit ? "warn" : "fine"}`, () => {
    const found = dhcpLines(`# rc.conf\nhostname="c1"\n${line}\n`, IFS);
    assert.equal(found.length, hit ? 1 : 0, JSON.stringify(found));
    if (hit) assert.equal(found[0]!.line, 3);
  });
}

test("dhcpLines: an interface name with punctuation is read as get_if_var spells it", () => {
  assert.equal(dhcpLines('ifconfig_re0_100="DHCP"\n', ["re0.100"]).length, 1);
});

function withTree(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "lb-rcconf-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const inv = loadInventoryText(EXAMPLE_INVENTORY, "laggboot.yaml", siteProbe).inventory!;

test("check --root: own and shared roots, each line once, file:line:col of the setting", () => {
  withTree((dir) => {
    const own = join(dir, "srv/diskless/client/etc");
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, "rc.conf"), 'hostname="client"\nifconfig_DEFAULT="DHCP"\n');
    const shared = join(dir, "srv/diskless/shared");
    mkdirSync(join(shared, "etc"), { recursive: true });
    mkdirSync(join(shared, "conf/198.18.0.22/etc"), { recursive: true });
    writeFileSync(join(shared, "etc/rc.conf"), '  ifconfig_em0="SYNCDHCP"\n');
    writeFileSync(join(shared, "conf/198.18.0.22/etc/rc.conf"), 'ifconfig_lagg0="DHCP"\n');
    const f = clientRcConfFindings(inv, dir, readClientFile);
    assert.deepEqual(f.map((x) => [x.code, x.severity, x.file.slice(dir.length), x.line, x.col, x.path]), [
      ["LB_WARN_CLIENT_RC_DHCP", "warning", "/srv/diskless/client/etc/rc.conf", 2, 1, "clients[0]"],
      ["LB_WARN_CLIENT_RC_DHCP", "warning", "/srv/diskless/shared/etc/rc.conf", 1, 3, "clients[1]"],
      ["LB_WARN_CLIENT_RC_DHCP", "warning", "/srv/diskless/shared/conf/198.18.0.22/etc/rc.conf", 1, 1, "clients[2]"],
    ]);
    assert.match(f[0]!.message, /ifconfig_DEFAULT="DHCP" asks for DHCP on every interface without its own line, the boot NIC re0 included/);
    assert.match(f[1]!.message, /ifconfig_em0="SYNCDHCP" asks for DHCP: dhclient \(started by devd's replayed link events\)/);
  });
});

test("check --root: a symbolic link below the root is not followed", () => {
  withTree((dir) => {
    const outside = join(dir, "server-etc");
    mkdirSync(outside);
    writeFileSync(join(outside, "rc.conf"), 'ifconfig_DEFAULT="DHCP"\n');
    const root = join(dir, "srv/diskless/client");
    mkdirSync(root, { recursive: true });
    symlinkSync(outside, join(root, "etc"));
    assert.equal(readClientFile(root, "etc/rc.conf"), undefined);
    mkdirSync(join(dir, "srv/diskless/shared/etc"), { recursive: true });
    symlinkSync(join(outside, "rc.conf"), join(dir, "srv/diskless/shared/etc/rc.conf"));
    assert.deepEqual(clientRcConfFindings(inv, dir, readClientFile), []);
    // The same file, really inside the root, is read.
    rmSync(join(root, "etc"));
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/rc.conf"), 'ifconfig_DEFAULT="DHCP"\n');
    assert.equal(clientRcConfFindings(inv, dir, readClientFile).length, 1);
  });
});

test("check --root: a root reached through a symbolic link of its own is read", () => {
  withTree((dir) => {
    mkdirSync(join(dir, "data/client/etc"), { recursive: true });
    writeFileSync(join(dir, "data/client/etc/rc.conf"), 'ifconfig_re0="DHCP"\n');
    mkdirSync(join(dir, "srv/diskless"), { recursive: true });
    symlinkSync(join(dir, "data/client"), join(dir, "srv/diskless/client"));
    assert.equal(clientRcConfFindings(inv, dir, readClientFile).length, 1);
  });
});
