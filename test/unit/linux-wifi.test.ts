/**
 * A Linux client's Wi-Fi backup port (backup.wifi, docs/linux-clients.md):
 * the inventory and its checks (the same as FreeBSD's wifi), the kernel
 * command line (wifi=, which the initramfs and the flip leave alone), and
 * the files `apply` writes: laggboot-wifi, its unit, and wpa_supplicant.conf
 * written by the same code as FreeBSD's. wpa_supplicant's own reading of
 * the file is test/interop/wpa-supplicant.test.ts; the script's logic is
 * test/unit/linux-wifi-script.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadInventoryText } from "../../src/config/load.js";
import { formatFinding } from "../../src/config/findings.js";
import type { Inventory, LinuxLaggClient } from "../../src/config/types.js";
import { readFlipScript, readLinuxClientAssets } from "../../src/assets.js";
import { renderClientFileSets } from "../../src/render/client-file-sets.js";
import { bondSpec, renderLinuxIpxeScript } from "../../src/render/ipxe-script.js";
import { LINUX_PATHS } from "../../src/render/linux-client-files.js";
import { derivedPsk } from "../../src/render/quote-wpa.js";
import { parseWpaNetwork } from "../support/wpa-parse.js";
import { fakeProbe } from "../support/probe.js";

const SITE = `
server:
  address: 198.18.0.1
  networks: [{ name: lan, prefix: 198.18.0.0/24 }]
clients:
  - name: tux
    kind: lagg
    os: linux
    ip: 198.18.0.30
    macs: [52:54:00:00:00:30]
    backup:
      mac: 52:54:00:00:01:30
      wifi: { ssid: "Office", passphrase: "office passphrase", country: DE }
    boot: { kernel: vmlinuz, initrd: initrd.img }
  - name: flip
    kind: lagg
    os: linux
    ip: 198.18.0.31
    macs: [52:54:00:00:00:31]
    backup: { mac: 52:54:00:00:01:31, wifi: { ssid: "x", passphraseFile: /etc/laggboot/psk } }
    boot: { kernel: vmlinuz, initrd: initrd.img }
    bond: { at: runtime }
  - name: cable
    kind: lagg
    os: linux
    ip: 198.18.0.32
    macs: [52:54:00:00:00:32]
    backup: { mac: 52:54:00:00:01:32 }
    boot: { kernel: vmlinuz, initrd: initrd.img }
`;

const probe = fakeProbe({ "/etc/laggboot/psk": "from the file\nsecond line ignored" });
function site(text = SITE): Inventory {
  const r = loadInventoryText(text, "t.yaml", probe);
  assert.deepEqual(r.findings.filter((f) => f.severity === "error").map(formatFinding), []);
  return r.inventory!;
}
const linux = (inv: Inventory, name: string): LinuxLaggClient => inv.clients.find((c) => c.name === name) as LinuxLaggClient;
const errorsOf = (text: string): string[] => loadInventoryText(text, "t.yaml", probe).findings.filter((f) => f.severity === "error").map((f) => `${f.path}: ${f.message}`);

test("backup.wifi: the network and its passphrase, from the inventory or its file; a cable backup has none", () => {
  const inv = site();
  assert.deepEqual(linux(inv, "tux").backupWifi, { ssid: "Office", passphrase: "office passphrase", country: "DE" });
  assert.deepEqual(linux(inv, "flip").backupWifi, { ssid: "x", passphrase: "from the file", country: undefined });
  assert.equal(linux(inv, "cable").backupWifi, undefined);
});

test("backup.wifi is checked as FreeBSD's wifi is", () => {
  const tux = (wifi: string): string => SITE.replace('wifi: { ssid: "Office", passphrase: "office passphrase", country: DE }', `wifi: ${wifi}`);
  assert.deepEqual(errorsOf(tux('{ ssid: "Office" }')), ["clients[0].backup.wifi: wifi needs passphrase or passphraseFile (WPA-PSK)"]);
  assert.deepEqual(errorsOf(tux('{ ssid: "Office", passphrase: "short" }')).map((e) => e.split(":")[0]), ["clients[0].backup.wifi.passphrase"]);
  assert.deepEqual(errorsOf(tux('{ ssid: "Office", passphrase: "office passphrase", passphraseFile: /etc/laggboot/psk }')), ["clients[0].backup.wifi.passphraseFile: give passphrase or passphraseFile, not both"]);
  assert.deepEqual(errorsOf(tux('{ ssid: "Office", passphraseFile: /nonexistent }')), ["clients[0].backup.wifi.passphraseFile: cannot read /nonexistent: ENOENT"]);
  assert.deepEqual(errorsOf(tux('{ ssid: "ééééééééééééééééé", passphrase: "office passphrase" }')), ["clients[0].backup.wifi.ssid: an SSID is at most 32 bytes"]);
  assert.deepEqual(errorsOf(tux('{ ssid: "Office", passphrase: "office passphrase", country: de }')).map((e) => e.split(":")[0]), ["clients[0].backup.wifi.country"]);
  assert.deepEqual(errorsOf(tux('{ ssid: "Office", passphrase: "office passphrase", parent: iwn0 }')).map((e) => e.split(":")[0]), ["clients[0].backup.wifi.parent"], "FreeBSD's keys are not Linux's");
});

test("the kernel command line names a Wi-Fi backup wifi=, so the initramfs and the flip leave it to laggboot-wifi", () => {
  const inv = site();
  assert.equal(bondSpec(linux(inv, "tux")), "bond0,wired=52:54:00:00:00:30,wifi=52:54:00:00:01:30,miimon=100,updelay=0,downdelay=0,num_grat_arp=3");
  assert.equal(bondSpec(linux(inv, "cable")), "bond0,wired=52:54:00:00:00:32,backup=52:54:00:00:01:32,miimon=100,updelay=0,downdelay=0,num_grat_arp=3");
  assert.match(renderLinuxIpxeScript(linux(inv, "tux"), "tftp://198.18.0.1/"), /^# bond0: active-backup of 52:54:00:00:00:30 \(wired, primary\) \+ 52:54:00:00:01:30 \(Wi-Fi backup, added after boot by laggboot-wifi\), /m);
  for (const f of ["assets/linux/initramfs-tools/scripts/nfs-top/laggboot-bond", "assets/linux/laggboot-flip"]) {
    assert.match(readFileSync(f, "utf8"), /^\twifi=\*\) ;; # /m, `${f} skips wifi= without a warning`);
  }
});

test("apply writes laggboot-wifi, its unit and wpa_supplicant.conf (0600) in either bond mode; a cable backup gets none", () => {
  const inv = site();
  const assets = { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() };
  const files = (name: string) => renderClientFileSets(inv, assets, name)[0]!.files;
  const wifi: [string, number][] = [[LINUX_PATHS.wifiScript, 0o755], [LINUX_PATHS.wifiUnit, 0o644], [LINUX_PATHS.wifiWanted, 0o644], [LINUX_PATHS.wpaConf, 0o600]];
  for (const name of ["tux", "flip"]) for (const [p, mode] of wifi) assert.equal(files(name).find((f) => f.path === p)?.mode, mode, `${name}: ${p}`);
  for (const [p] of wifi) assert.ok(!files("cable").some((f) => f.path === p), `cable: no ${p}`);
  const tux = files("tux");
  assert.equal(tux.find((f) => f.path === LINUX_PATHS.wifiScript)!.content, readFileSync("assets/linux/laggboot-wifi", "utf8"));
  const unit = tux.find((f) => f.path === LINUX_PATHS.wifiUnit)!.content;
  assert.match(unit, /^ExecStart=\/usr\/sbin\/laggboot-wifi$/m);
  assert.match(unit, /^After=laggboot-flip\.service$/m, "after the run-time flip has made the bond");
  assert.match(unit, /^RestartPreventExitStatus=3$/m);
  assert.equal(tux.find((f) => f.path === LINUX_PATHS.wifiWanted)!.content, "[Unit]\nWants=laggboot-wifi.service\n");
  assert.match(tux.find((f) => f.path === LINUX_PATHS.networkManager)!.content, /mac:52:54:00:00:01:30/, "NetworkManager leaves the Wi-Fi NIC alone");
  const conf = tux.find((f) => f.path === LINUX_PATHS.wpaConf)!.content;
  assert.match(conf, /^ctrl_interface=\/run\/wpa_supplicant\ncountry=DE\nnetwork=\{$/m);
  assert.doesNotMatch(conf, /ctrl_interface_group/, "no wheel group on Debian: the socket is root's");
  assert.deepEqual(parseWpaNetwork(conf)["ssid"], Buffer.from("Office"));
  assert.deepEqual(parseWpaNetwork(conf)["psk"], Buffer.from("office passphrase"));
  assert.equal(LINUX_PATHS.wpaConf, "etc/laggboot/wpa_supplicant.conf");
  assert.match(readFileSync("assets/linux/laggboot-wifi", "utf8"), /^conf=\/etc\/laggboot\/wpa_supplicant\.conf$/m, "the script reads the file apply writes");
});

test("SSIDs and passphrases that cannot be quoted are written as FreeBSD's are: hex SSID, derived key", () => {
  const text = SITE.replace('wifi: { ssid: "Office", passphrase: "office passphrase", country: DE }', `wifi: { ssid: 'home"#x', passphrase: '12345678"#"' }`);
  const assets = { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() };
  const conf = renderClientFileSets(site(text), assets, "tux")[0]!.files.find((f) => f.path === LINUX_PATHS.wpaConf)!.content;
  const net = parseWpaNetwork(conf);
  assert.match(conf, /^\tssid=686f6d65222378$/m);
  assert.deepEqual(net["ssid"], Buffer.from('home"#x'));
  assert.equal(net["psk"]!.toString("hex"), derivedPsk('12345678"#"', 'home"#x'));
  assert.match(conf, /# psk: the key derived from the inventory's passphrase/);
});
