/**
 * The client files that prepare the boot for the flip: loader.conf.local
 * (every module the Wi-Fi and the lagg need, firmware included, read by the
 * loader's rules), sysctl.conf.local (read as rc.d/sysctl reads it), and the
 * rendered rc.conf.local never asking for DHCP where devd would act on it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventoryText } from "../../src/config/load.js";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import type { FreebsdLaggClient } from "../../src/config/types.js";
import { dhcpLines } from "../../src/config/client-rc-conf.js";
import { renderAllClientFiles } from "../../src/render/client-files.js";
import { renderLoaderConfLocal } from "../../src/render/loader-conf.js";
import { renderRcConfLocal } from "../../src/render/rc-conf-local.js";
import { renderSysctlConfLocal } from "../../src/render/sysctl-conf.js";
import { siteProbe } from "../support/probe.js";

function client(wifi: string | undefined): FreebsdLaggClient {
  const yaml = [
    "server: { address: 198.18.0.1, networks: [{ prefix: 198.18.0.0/24 }] }",
    "clients:",
    "  - { name: c1, kind: freebsd-lagg, ip: 198.18.0.10, macs: [00:1e:68:aa:bb:cc], wired: re0" + (wifi ? `, wifi: { ${wifi}, ssid: s, passphrase: "12345678" }` : "") + " }",
  ].join("\n");
  const r = loadInventoryText(yaml, "t.yaml", siteProbe);
  assert.ok(r.inventory, JSON.stringify(r.findings));
  return r.inventory.clients[0] as FreebsdLaggClient;
}

/**
 * loader.conf as the strictest loader reads it (the first Lua loader and
 * the Forth one: module keys of letters, digits and '_'): comments,
 * `<key>_load="YES"` and `<key>_name="<module>"` lines; the module loaded is
 * the key's _name, else the key. Anything else fails, so a line the loader
 * would not act on cannot pass.
 */
function preloaded(text: string): string[] {
  const keys: string[] = [];
  const names = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const load = /^([A-Za-z0-9_]+)_load="YES"$/.exec(line);
    const name = /^([A-Za-z0-9_]+)_name="([A-Za-z0-9_-]+)"$/.exec(line);
    assert.ok(load ?? name, `not a loader module line: ${line}`);
    if (load) keys.push(load[1]!);
    else names.set(name![1]!, name![2]!);
  }
  return keys.map((k) => names.get(k) ?? k).sort();
}

const NET80211 = ["wlan", "wlan_amrr", "wlan_ccmp", "wlan_tkip"];

for (const [what, wifi, want, note] of [
  ["no Wi-Fi: only lagg(4)", undefined, ["if_lagg"], undefined],
  ["ath(4): no firmware", "parent: ath0", ["if_ath", "if_lagg", ...NET80211], /ath0 firmware: none needed/],
  ["run(4): its one firmware module", "parent: run0", ["if_lagg", "if_run", "runfw", ...NET80211], /run0 firmware: runfw \(run\(4\), runfw\(4\)\)/],
  ["rsu(4): a module name with '-', loaded through a _name key", "parent: rsu0", ["if_lagg", "if_rsu", "rsu-rtl8712fw", ...NET80211], /rsu_rtl8712fw_name="rsu-rtl8712fw"/],
  ["mwl(4): the firmware module is mw88W8363fw", "parent: mwl0", ["if_lagg", "if_mwl", "mw88W8363fw", ...NET80211], /mwl0 firmware: mw88W8363fw/],
  ["iwn(4) without wifi.firmware: none guessed", "parent: iwn0", ["if_iwn", "if_lagg", ...NET80211], /iwn0 firmware: depends on the chip, none preloaded; set wifi\.firmware to one of iwn1000fw,/],
  ["iwm(4) with wifi.firmware", "parent: iwm0, firmware: [iwm8265fw]", ["if_iwm", "if_lagg", "iwm8265fw", ...NET80211], /iwm0 firmware \(wifi\.firmware\): iwm8265fw/],
  ["wifi.firmware: [] turns the table's firmware off", "parent: wpi0, firmware: []", ["if_lagg", "if_wpi", ...NET80211], /wpi0 firmware \(wifi\.firmware\): none/],
  ["a driver laggboot does not know", "parent: foo0", ["if_foo", "if_lagg", ...NET80211], /foo0 firmware: unknown \(foo is not in laggboot's table of Wi-Fi drivers\), none preloaded; set wifi\.firmware/],
] as const) {
  test(`loader.conf.local: ${what}`, () => {
    const text = renderLoaderConfLocal([client(wifi)], "c1");
    assert.deepEqual(preloaded(text), [...want].sort());
    if (note) assert.match(text, note);
  });
}

test("loader.conf.local of a shared root preloads what every client of it needs, once", () => {
  const text = renderLoaderConfLocal([client("parent: run0"), client("parent: iwn0, firmware: [iwn6000g2afw]"), client("parent: run0")], "shared");
  assert.deepEqual(preloaded(text), ["if_iwn", "if_lagg", "if_run", "iwn6000g2afw", "runfw", ...NET80211].sort());
});

/** sysctl.conf read line by line the way rc.d/sysctl reads it: `mib=value`, '#' comments, blank lines. */
function sysctlSettings(text: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "lb-sysctl-"));
  try {
    const file = join(dir, "sysctl.conf.local");
    writeFileSync(file, text);
    const script = 'while read -r var comments; do case $var in \\#*|"") ;; *) printf "%s\\t%s\\n" "${var%%=*}" "${var#*=}" ;; esac; done < "$1"';
    const out = execFileSync("dash", ["-c", script, "sh", file], { encoding: "utf8" });
    return Object.fromEntries(out.split("\n").filter((l) => l !== "").map((l) => l.split("\t") as [string, string]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("sysctl.conf.local sets net.link.lagg.failover_rx_all=1 and nothing else", () => {
  assert.deepEqual(sysctlSettings(renderSysctlConfLocal(client("parent: ath0"))), { "net.link.lagg.failover_rx_all": "1" });
});

test("every example client gets sysctl.conf.local next to its rc.conf.local", () => {
  const inv = loadInventoryText(EXAMPLE_INVENTORY, "laggboot.yaml", siteProbe).inventory!;
  for (const set of renderAllClientFiles(inv, "#!/bin/sh\n")) {
    const rc = set.files.filter((f) => f.path.endsWith("/rc.conf.local")).map((f) => f.path.replace(/rc\.conf\.local$/, ""));
    const sysctl = set.files.filter((f) => f.path.endsWith("/sysctl.conf.local"));
    assert.deepEqual(sysctl.map((f) => f.path.replace(/sysctl\.conf\.local$/, "")), rc);
    for (const f of sysctl) assert.equal(f.mode, 0o644);
  }
});

test("the rendered rc.conf.local never asks for DHCP where devd's replayed events would act on it", () => {
  const inv = loadInventoryText(EXAMPLE_INVENTORY, "laggboot.yaml", siteProbe).inventory!;
  for (const c of inv.clients) {
    if (c.kind !== "freebsd-lagg") continue;
    assert.deepEqual(dhcpLines(renderRcConfLocal(c), [c.wired, c.lagg.interface, c.wifi?.wlan ?? "wlan0"]), [], c.name);
  }
});
