/**
 * The generated wpa_supplicant.conf, a FreeBSD client's and a Linux client's
 * Wi-Fi backup port's, means exactly what the inventory says, asked of
 * wpa_supplicant itself (Debian's wpasupplicant 2.10, the hostap
 * release FreeBSD 14 ships): it reads the file, prints what it parsed with
 * -dd -K (the SSID's bytes and the PMK it will use), then fails to start its
 * driver on an interface that does not exist, inside a namespace of the
 * test's own. The PMK expected for a passphrase comes from wpa_passphrase,
 * hostap's own PBKDF2, not from our code.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventoryText } from "../../src/config/load.js";
import type { FreebsdLaggClient, LinuxLaggClient } from "../../src/config/types.js";
import { renderLinuxWpaConf, renderWpaSupplicantConf } from "../../src/render/wpa-supplicant.js";
import { CommandError, Lab, type Namespace } from "../support/netns.js";
import { siteProbe } from "../support/probe.js";

const RAW_KEY = "0123456789abcdef".repeat(4);

/** [SSID, passphrase] as the inventory writes them. */
const CASES: readonly (readonly [string, string])[] = [
  ["Home Network", "correct horse battery staple"],
  ['home"#x', "12345678"], // was read as the network "home"
  ["plain", '12345678"#"'], // was read as the passphrase "12345678"
  ['a"b#c', 'a"b#cdefgh'], // made wpa_supplicant reject the whole file
  ["pass#word net", "pass#word"],
  ['quote"only', 'quo"te only'],
  ["Café ☕", " spaces at both ends "],
  ["#lead", RAW_KEY],
  ['"#'.repeat(16), `${'#"'.repeat(31)}x`], // 32 bytes, 63 characters
];

function clientFor(ssid: string, passphrase: string): FreebsdLaggClient {
  const yaml = [
    "server: { address: 198.18.0.1, networks: [{ prefix: 198.18.0.0/24 }] }",
    "clients:",
    "  - { name: c1, kind: freebsd-lagg, ip: 198.18.0.10, macs: ['00:1e:68:aa:bb:cc'], wired: re0,",
    `      wifi: { parent: iwn0, ssid: ${JSON.stringify(ssid)}, passphrase: ${JSON.stringify(passphrase)} } }`,
  ].join("\n");
  const r = loadInventoryText(yaml, "t.yaml", siteProbe);
  assert.ok(r.inventory, JSON.stringify(r.findings));
  return r.inventory.clients[0] as FreebsdLaggClient;
}

/** The same network as a Linux client's Wi-Fi backup port (backup.wifi), with a country. */
function linuxClientFor(ssid: string, passphrase: string): LinuxLaggClient {
  const yaml = [
    "server: { address: 198.18.0.1, networks: [{ prefix: 198.18.0.0/24 }] }",
    "clients:",
    "  - { name: tux, kind: lagg, os: linux, ip: 198.18.0.30, macs: ['52:54:00:00:00:30'], boot: { kernel: k, initrd: i },",
    `      backup: { mac: '52:54:00:00:01:30', wifi: { ssid: ${JSON.stringify(ssid)}, passphrase: ${JSON.stringify(passphrase)}, country: DE } } }`,
  ].join("\n");
  const r = loadInventoryText(yaml, "t.yaml", siteProbe);
  assert.ok(r.inventory, JSON.stringify(r.findings));
  return r.inventory.clients[0] as LinuxLaggClient;
}

/** The PMK hostap derives for a passphrase (wpa_passphrase), or the raw key. */
function expectedPmk(ssid: string, passphrase: string): string {
  if (passphrase === RAW_KEY) return RAW_KEY;
  const r = spawnSync("wpa_passphrase", [ssid, passphrase], { encoding: "utf8" });
  if (r.error) assert.fail(`wpa_passphrase could not run (${r.error.message}): install Debian's wpasupplicant`);
  const m = /^\s*psk=([0-9a-f]{64})$/m.exec(r.stdout);
  assert.ok(m, `wpa_passphrase said: ${r.stdout}${r.stderr}`);
  return m[1]!;
}

/** What wpa_supplicant's -dd -K output says it read: the SSID's bytes and the PMK. */
function whatItRead(debug: string): { ssid: Buffer; pmk: string } {
  const lines = debug.split("\n");
  const at = lines.findIndex((l) => /^ssid - hexdump_ascii\(len=\d+\):$/.test(l));
  assert.ok(at >= 0, `wpa_supplicant parsed no ssid:\n${debug}`);
  const len = Number(/len=(\d+)/.exec(lines[at]!)![1]);
  const hex: string[] = [];
  for (let i = at + 1; hex.length < len && i < lines.length; i++) hex.push(...(lines[i]!.slice(4, 4 + 16 * 3).match(/[0-9a-f]{2}/g) ?? []));
  const psk = [...debug.matchAll(/^PSK(?: \(from passphrase\))? - hexdump\(len=32\): ([0-9a-f ]+)$/gm)].pop();
  assert.ok(psk, `wpa_supplicant derived no PMK:\n${debug}`);
  return { ssid: Buffer.from(hex.slice(0, len).join(""), "hex"), pmk: psk[1]!.replace(/ /g, "") };
}

describe("wpa_supplicant reads the generated wpa_supplicant.conf as the inventory says", { timeout: 60_000 }, () => {
  let lab: Lab;
  let ns: Namespace;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "lb-wpa-"));
    lab = new Lab("wpa");
    ns = await lab.namespace("w");
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs wpa_supplicant on the file; it parses it, then fails on the missing interface. */
  async function parse(file: string): Promise<string> {
    try {
      const r = await ns.exec(["wpa_supplicant", "-dd", "-K", "-D", "nl80211", "-i", "lbwpa0", "-c", file], 20_000);
      return r.stdout + r.stderr;
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      if (/ENOENT/.test(String(e.cause))) assert.fail("wpa_supplicant could not run: install Debian's wpasupplicant");
      return e.stdout + e.stderr;
    }
  }

  CASES.forEach(([ssid, passphrase], i) => {
    test(`SSID ${JSON.stringify(ssid)} with passphrase ${JSON.stringify(passphrase)}`, async () => {
      const file = join(dir, `case${i}.conf`);
      writeFileSync(file, renderWpaSupplicantConf(clientFor(ssid, passphrase))!);
      const debug = await parse(file);
      assert.doesNotMatch(debug, /Failed to read or parse configuration/, debug);
      const read = whatItRead(debug);
      assert.equal(read.ssid.toString("hex"), Buffer.from(ssid, "utf8").toString("hex"), `SSID as read: ${JSON.stringify(read.ssid.toString("utf8"))}`);
      assert.equal(read.pmk, expectedPmk(ssid, passphrase));
    });

    test(`Linux Wi-Fi backup: SSID ${JSON.stringify(ssid)} with passphrase ${JSON.stringify(passphrase)}`, async () => {
      const file = join(dir, `linux${i}.conf`);
      writeFileSync(file, renderLinuxWpaConf(linuxClientFor(ssid, passphrase))!);
      const debug = await parse(file);
      assert.doesNotMatch(debug, /Failed to read or parse configuration/, debug);
      assert.match(debug, /^ctrl_interface='\/run\/wpa_supplicant'$/m);
      assert.match(debug, /^country='DE'$/m);
      const read = whatItRead(debug);
      assert.equal(read.ssid.toString("hex"), Buffer.from(ssid, "utf8").toString("hex"), `SSID as read: ${JSON.stringify(read.ssid.toString("utf8"))}`);
      assert.equal(read.pmk, expectedPmk(ssid, passphrase));
    });
  });
});
