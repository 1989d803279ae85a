/**
 * The per-client files: golden copies for both root layouts, and the files
 * read back by their real consumers' rules (sh for rc.conf.local, hostap's
 * parser rules for wpa_supplicant.conf) with hostile SSIDs and passphrases.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventoryText } from "../../src/config/load.js";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import type { FreebsdLaggClient, Inventory } from "../../src/config/types.js";
import { FLIP_SCRIPT_PATH, renderAllClientFiles, renderClientFiles } from "../../src/render/client-files.js";
import { renderRcConfLocal } from "../../src/render/rc-conf-local.js";
import { renderWpaSupplicantConf } from "../../src/render/wpa-supplicant.js";
import { shQuote } from "../../src/render/quote-sh.js";
import { assertGolden } from "../support/golden.js";
import { siteProbe } from "../support/probe.js";
import { parseWpaNetwork } from "../support/wpa-parse.js";

const FLIP = "#!/bin/sh\n# (flip script placeholder for golden tests)\n";

function example(): Inventory {
  const r = loadInventoryText(EXAMPLE_INVENTORY, "laggboot.yaml", siteProbe);
  assert.ok(r.inventory, JSON.stringify(r.findings));
  return r.inventory;
}

test("client files: golden copies for the own-root and shared-root clients", () => {
  const inv = example();
  for (const set of renderAllClientFiles(inv, FLIP)) {
    for (const f of set.files) {
      if (f.path === FLIP_SCRIPT_PATH) continue; // the script itself is tested in test/model
      assertGolden(`client${set.baseDir}/${f.path}`, f.content);
    }
  }
});

test("own root: files, paths and modes", () => {
  const inv = example();
  const c = inv.clients.find((x) => x.name === "client") as FreebsdLaggClient;
  const set = renderClientFiles(inv, c, FLIP);
  assert.equal(set.baseDir, "/srv/diskless/client");
  assert.deepEqual(set.files.map((f) => [f.path, f.mode.toString(8)]), [
    ["etc/rc.conf.local", "644"],
    ["etc/sysctl.conf.local", "644"],
    ["etc/wpa_supplicant.conf", "600"],
    ["boot/loader.conf.local", "644"],
    ["etc/rc.d/lagg", "555"],
  ]);
});

test("shared root: the rc.initdiskless layout", () => {
  const inv = example();
  const c = inv.clients.find((x) => x.name === "desk2") as FreebsdLaggClient;
  const set = renderClientFiles(inv, c, FLIP);
  assert.equal(set.baseDir, "/srv/diskless/shared");
  const byPath = new Map(set.files.map((f) => [f.path, f]));
  assert.deepEqual([...byPath.keys()].sort(), [
    "boot/loader.conf.local", "conf/198.18.0.22/etc/rc.conf.local", "conf/198.18.0.22/etc/sysctl.conf.local", "conf/198.18.0.22/etc/wpa_supplicant.conf",
    "conf/base/etc/diskless_remount", "conf/base/etc/md_size", "etc/rc.d/lagg",
  ]);
  // rc.initdiskless reads these with cat: exactly the value, no comment.
  assert.equal(byPath.get("conf/base/etc/diskless_remount")!.content, "/etc\n");
  assert.equal(byPath.get("conf/base/etc/md_size")!.content, "65536\n");
  assert.equal(byPath.get("conf/198.18.0.22/etc/wpa_supplicant.conf")!.mode, 0o600);
  // The shared loader.conf.local serves every client of that root.
  assert.match(byPath.get("boot/loader.conf.local")!.content, /desk1, desk2/);
});

/** Source the file in dash and print the variables NUL-separated. */
function sourceVars(text: string, names: readonly string[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "lb-rc-"));
  try {
    const file = join(dir, "rc.conf.local");
    writeFileSync(file, text);
    execFileSync("dash", ["-n", file]);
    const script = `. "$1"; shift; for v in "$@"; do eval "printf '%s\\\\0' \\"\\\${$v-<unset>}\\""; done`;
    const out = execFileSync("dash", ["-c", script, "sh", file, ...names], { encoding: "utf8" });
    const values = out.split("\0").slice(0, names.length);
    return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HOSTILE = [
  "Home Network",
  "it's $HOME `id` \\n \"quoted\"",
  "#hash at start",
  "trailing space ",
  "a\"b\"c#d",
  "'single'",
  "Café ☕",
  // hostap 2.10 pairs quotes before it cuts comments: each of these escaped its quoting.
  "home\"#x",
  "12345678\"#\"",
  "a\"b#c",
  "pass#word",
];

function clientWith(ssid: string, passphrase: string, release = 14, wiredPrimary = true): FreebsdLaggClient {
  const yaml = [
    "server: { address: 198.18.0.1, networks: [{ prefix: 198.18.0.0/24, domain: lab.example }] }",
    "clients:",
    "  - name: c1",
    "    kind: freebsd-lagg",
    "    ip: 198.18.0.10",
    "    macs: [00:1e:68:aa:bb:cc]",
    "    wired: re0",
    `    freebsdRelease: ${release}`,
    `    lagg: { wiredPrimary: ${wiredPrimary} }`,
    `    wifi: { parent: iwn0, country: DE, ssid: ${JSON.stringify(ssid)}, passphrase: ${JSON.stringify(passphrase)} }`,
  ].join("\n");
  const r = loadInventoryText(yaml, "t.yaml", siteProbe);
  assert.ok(r.inventory, JSON.stringify(r.findings));
  return r.inventory.clients[0] as FreebsdLaggClient;
}

const RC_VARS = ["wlans_iwn0", "create_args_wlan0", "ifconfig_iwn0", "ifconfig_wlan0", "cloned_interfaces", "ifconfig_lagg0", "lagg_enable", "lagg_interface", "lagg_bootif", "lagg_wired_primary", "ifconfig_re0", "ifconfig_DEFAULT"];

for (const ssid of HOSTILE) {
  test(`rc.conf.local sourced by sh has exact values (SSID ${JSON.stringify(ssid)})`, () => {
    const c = clientWith(ssid, `pass ${ssid.replace(/[^\x20-\x7e]/g, "x")} $x`.slice(0, 63).padEnd(8, "z"));
    const v = sourceVars(renderRcConfLocal(c), RC_VARS);
    assert.deepEqual(v, {
      wlans_iwn0: "wlan0",
      create_args_wlan0: "wlanaddr 00:1e:68:aa:bb:cc country DE",
      ifconfig_iwn0: "<unset>",
      ifconfig_wlan0: "WPA",
      cloned_interfaces: "lagg0",
      ifconfig_lagg0: "laggproto failover laggport wlan0",
      lagg_enable: "YES",
      lagg_interface: "lagg0",
      lagg_bootif: "",
      lagg_wired_primary: "YES",
      // Never any setting for the boot NIC.
      ifconfig_re0: "<unset>",
      ifconfig_DEFAULT: "<unset>",
    });
  });
}

test("rc.conf.local for FreeBSD 10 uses the parent's ether form; wired_primary NO is written", () => {
  const v = sourceVars(renderRcConfLocal(clientWith("x", "12345678", 10, false)), RC_VARS);
  assert.equal(v["ifconfig_iwn0"], "ether 00:1e:68:aa:bb:cc");
  assert.equal(v["create_args_wlan0"], "country DE");
  assert.equal(v["lagg_wired_primary"], "NO");
});

for (const ssid of HOSTILE) {
  test(`wpa_supplicant.conf read by hostap's rules gives the exact SSID and key (${JSON.stringify(ssid)})`, () => {
    const pass = `p ${ssid}`.replace(/[^\x20-\x7e]/g, "#").padEnd(8, "\"");
    const text = renderWpaSupplicantConf(clientWith(ssid, pass))!;
    const net = parseWpaNetwork(text);
    assert.equal(net["ssid"]!.toString("utf8"), ssid);
    // A quoted passphrase is the passphrase; 32 bytes are the key derived from it.
    const psk = net["psk"]!;
    if (psk.length === 32) assert.equal(psk.toString("hex"), pbkdf2Sync(pass, ssid, 4096, 32, "sha1").toString("hex"));
    else assert.equal(psk.toString("utf8"), pass);
    assert.equal(net["key_mgmt"]!.toString(), "WPA-PSK");
  });
}

test("an SSID and a passphrase with both '\"' and '#' are written without quotes (hex; derived key)", () => {
  const text = renderWpaSupplicantConf(clientWith("home\"#x", "12345678\"#\""))!;
  assert.match(text, /^\tssid=686f6d65222378$/m);
  assert.match(text, new RegExp(`^\\tpsk=${pbkdf2Sync("12345678\"#\"", "home\"#x", 4096, 32, "sha1").toString("hex")}$`, "m"));
  // Either alone stays readable.
  const plain = renderWpaSupplicantConf(clientWith("a\"b", "pass#word"))!;
  assert.match(plain, /^\tssid="a"b"$/m);
  assert.match(plain, /^\tpsk="pass#word"$/m);
});

test("a 64-hex-digit key is written unquoted (the raw PSK)", () => {
  const hex = "0123456789abcdef".repeat(4);
  const net = parseWpaNetwork(renderWpaSupplicantConf(clientWith("x", hex))!);
  assert.equal(net["psk"]!.toString("hex"), hex);
});

test("shQuote refuses control characters and round-trips everything else through sh", () => {
  assert.throws(() => shQuote("a\nb"), /control character/);
  assert.throws(() => shQuote("a\0b"), /control character/);
  for (const s of HOSTILE) {
    const out = execFileSync("dash", ["-c", `x=${shQuote(s)}; printf %s "$x"`], { encoding: "utf8" });
    assert.equal(out, s);
  }
});
