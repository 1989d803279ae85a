/**
 * wifi.firmware and the driver table: check warns where the firmware the
 * loader should preload depends on the chip or is unknown, and not where the
 * table knows it or the site named it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import type { Finding } from "../../src/config/findings.js";
import { firmwareModules, wifiDriver } from "../../src/config/wifi-drivers.js";
import { siteProbe } from "../support/probe.js";

function check(wifi: string): Finding[] {
  const yaml = [
    "server: { address: 198.18.0.1, networks: [{ prefix: 198.18.0.0/24 }] }",
    "clients:",
    "  - name: a",
    "    kind: freebsd-lagg",
    "    ip: 198.18.0.10",
    "    macs: [00:1e:68:aa:bb:cc]",
    "    wired: re0",
    `    wifi: { ${wifi}, ssid: home, passphrase: "12345678" }`,
    "",
  ].join("\n");
  return [...loadInventoryText(yaml, "t.yaml", siteProbe).findings].filter((f) => f.code !== "LB_WARN_BOOT_FILE_MISSING");
}

for (const wifi of ["parent: ath0", "parent: run0", "parent: zyd0", "parent: iwn0, firmware: [iwn6000g2afw]", "parent: foo0, firmware: []"]) {
  test(`no firmware warning: ${wifi}`, () => {
    assert.deepEqual(check(wifi), []);
  });
}

test("iwn without wifi.firmware: a warning at wifi.parent naming the candidates", () => {
  const [f, ...rest] = check("parent: iwn0");
  assert.deepEqual(rest, []);
  assert.equal(f?.code, "LB_WARN_WIFI_FIRMWARE");
  assert.equal(f?.severity, "warning");
  assert.equal(`${f?.line}:${f?.col} ${f?.path}`, "8:21 clients[0].wifi.parent");
  assert.match(f!.message, /iwn firmware depends on the chip: set wifi\.firmware to this card's \(one of iwn1000fw, .*iwn6050fw\)/);
});

test("an unknown driver: a warning that says why", () => {
  const [f] = check("parent: bwn0");
  assert.equal(f?.code, "LB_WARN_WIFI_FIRMWARE");
  assert.match(f!.message, /firmware of bwn0: firmware comes from the ports \(net\/bwn-firmware-kmod\); set wifi\.firmware/);
});

test("a firmware name the loader could not take is a schema error", () => {
  const f = check('parent: iwn0, firmware: ["iwn fw"]').find((x) => x.severity === "error");
  assert.equal(f?.code, "LB_ERR_SCHEMA");
  assert.equal(f?.path, "clients[0].wifi.firmware[0]");
});

test("the table: modules and firmware by driver; the site's choice wins", () => {
  assert.equal(wifiDriver("iwn0").module, "if_iwn");
  assert.equal(wifiDriver("rtwn0").module, "if_rtwn_pci");
  assert.equal(wifiDriver("foo12").module, "if_foo");
  assert.deepEqual(firmwareModules("run0", undefined), ["runfw"]);
  assert.deepEqual(firmwareModules("run0", []), []);
  assert.deepEqual(firmwareModules("iwn0", undefined), []);
  assert.deepEqual(firmwareModules("iwn0", ["iwn5000fw"]), ["iwn5000fw"]);
  assert.deepEqual(firmwareModules("constructor0", undefined), [], "no prototype keys as drivers");
});
