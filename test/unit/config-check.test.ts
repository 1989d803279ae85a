/**
 * One test per class of problem `check` reports, each asserting the code,
 * the exact line:col and the key path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import { at, check, only } from "../support/check-base.js";
import { fakeProbe, siteProbe } from "../support/probe.js";

test("the base inventory is clean", () => {
  assert.deepEqual(check().filter((f) => f.severity === "error"), []);
});

test("the example inventory is clean (boot files present)", () => {
  const r = loadInventoryText(EXAMPLE_INVENTORY, "laggboot.yaml", siteProbe);
  assert.deepEqual(r.findings, []);
  assert.equal(r.inventory?.clients.length, 4);
});

test("YAML syntax error: located, nothing else reported", () => {
  const f = check((l) => (l[5] = "      gateway: [198.18.0.254"));
  assert.equal(f.length >= 1, true);
  assert.ok(f.every((x) => x.code === "LB_ERR_YAML_SYNTAX"));
  assert.equal(f[0]!.line >= 6, true);
});

test("duplicate YAML key is a syntax error", () => {
  const f = check((l) => l.splice(11, 0, "    ip: 198.18.0.12"));
  assert.equal(f[0]!.code, "LB_ERR_YAML_SYNTAX");
  assert.equal(f[0]!.line, 12);
});

test("wrong type: located at the value", () => {
  const f = only(check((l) => (l[12] = "    wired: 7")), "LB_ERR_SCHEMA");
  assert.equal(at(f), "13:12 clients[0].wired");
});

test("unknown key: located at the key", () => {
  const f = only(check((l) => l.splice(12, 0, "    wird: re0")), "LB_ERR_SCHEMA");
  assert.equal(at(f), "13:5 clients[0].wird");
  assert.match(f.message, /unknown key "wird"/);
});

test("missing key: located at the mapping that lacks it", () => {
  const f = only(check((l) => l.splice(12, 1)), "LB_ERR_SCHEMA");
  assert.equal(at(f), "9:5 clients[0].wired");
  assert.match(f.message, /missing/);
});

test("malformed MAC", () => {
  const f = only(check((l) => (l[11] = "    macs: [00:1e:68:aa:bb]")), "LB_ERR_BAD_MAC");
  assert.equal(at(f), "12:12 clients[0].macs[0]");
});

test("malformed IPv4", () => {
  const f = only(check((l) => (l[10] = "    ip: 198.18.0.256")), "LB_ERR_BAD_IPV4");
  assert.equal(at(f), "11:9 clients[0].ip");
});

test("malformed prefix (host bits set)", () => {
  const f = only(check((l) => (l[4] = "      prefix: 198.18.0.1/24")), "LB_ERR_BAD_IPV4");
  assert.equal(at(f), "5:15 server.networks[0].prefix");
});

test("address outside every network", () => {
  const f = only(check((l) => (l[10] = "    ip: 198.19.0.10")), "LB_ERR_ADDRESS_OUTSIDE_NETWORK");
  assert.equal(at(f), "11:9 clients[0].ip");
});

for (const [addr, what] of [["198.18.0.1", "server.address"], ["198.18.0.254", "gateway"], ["198.18.0.0", "network address"], ["198.18.0.255", "broadcast address"]] as const) {
  test(`client address equal to the ${what}`, () => {
    const f = only(check((l) => (l[10] = `    ip: ${addr}`)), "LB_ERR_ADDRESS_RESERVED");
    assert.equal(at(f), "11:9 clients[0].ip");
  });
}

for (const [field, line, value, col] of [
  ["name", 15, "  - name: a", 11],
  ["ip", 17, "    ip: 198.18.0.10", 9],
  ["mac", 18, "    macs: [00:1E:68:AA:BB:CC]", 12],
] as const) {
  test(`duplicate ${field}: reported at the second use`, () => {
    const f = only(check((l) => (l[line - 1] = value)), "LB_ERR_DUPLICATE");
    assert.equal(f.line, line);
    assert.equal(f.col, col);
    assert.match(f.message, /clients\[0\] \(a\)/);
  });
}

test("duplicate FQDN", () => {
  const f = only(check((l) => l.splice(15, 0, "    fqdn: a.lab.example")), "LB_ERR_DUPLICATE");
  assert.equal(at(f), "16:11 clients[1].fqdn");
});

test("shared root read-write to several clients is a warning", () => {
  const f = only(check((l) => {
    l.splice(14, 0, "    root: { layout: shared, path: /srv/r, readOnly: false }");
    l.push("  - name: c", "    kind: freebsd-lagg", "    ip: 198.18.0.12", "    macs: [00:1e:68:aa:bb:02]", "    wired: re0", "    root: { layout: shared, path: /srv/r }");
  }), "LB_WARN_SHARED_ROOT_RW");
  assert.equal(f.severity, "warning");
  assert.equal(at(f), "15:53 clients[0].root.readOnly");
});

for (const [pass, ok] of [["1234567", false], ["x".repeat(64), false], ["a".repeat(64), true], ["ä-umlaut-passphrase", false], ["x".repeat(63), true]] as const) {
  test(`WPA passphrase ${JSON.stringify(pass.slice(0, 12))}... (${pass.length}) is ${ok ? "accepted" : "refused"}`, () => {
    const fs = check((l) => (l[13] = `    wifi: { parent: ath0, ssid: home, passphrase: "${pass}" }`));
    const hits = fs.filter((f) => f.code === "LB_ERR_WPA_PASSPHRASE");
    if (ok) assert.equal(hits.length, 0);
    else assert.equal(at(only(fs, "LB_ERR_WPA_PASSPHRASE")), "14:51 clients[0].wifi.passphrase");
  });
}

test("passphrase file: read through the probe, checked, missing file reported", () => {
  const edit = (l: string[]) => (l[13] = "    wifi: { parent: ath0, ssid: home, passphraseFile: /etc/psk }");
  assert.equal(check(edit, fakeProbe({ "/etc/psk": "short\n" })).filter((f) => f.code === "LB_ERR_WPA_PASSPHRASE").length, 1);
  assert.equal(at(only(check(edit, fakeProbe()), "LB_ERR_REFERENCE")), "14:55 clients[0].wifi.passphraseFile");
  assert.deepEqual(check(edit, fakeProbe({ "/etc/psk": "long enough\n", "/srv/tftp/pxeboot": "", "/srv/tftp/loader.efi": "", "/srv/tftp/boot.ipxe": "" }, ["/srv/tftp"])), []);
});

test("values that cannot be written safely: a path with a space, an SSID with a newline", () => {
  const f = only(check((l) => l.splice(14, 0, "    root: { path: \"/srv/my root\" }")), "LB_ERR_UNSAFE_VALUE");
  assert.equal(at(f), "15:19 clients[0].root.path");
  const g = only(check((l) => (l[13] = '    wifi: { parent: ath0, ssid: "a\\nb", passphrase: "12345678" }')), "LB_ERR_UNSAFE_VALUE");
  assert.equal(at(g), "14:33 clients[0].wifi.ssid");
});

test("boot file missing from the TFTP root is a warning", () => {
  const f = only(check(undefined, fakeProbe({ "/srv/tftp/pxeboot": "", "/srv/tftp/boot.ipxe": "" }, ["/srv/tftp"])), "LB_WARN_BOOT_FILE_MISSING");
  assert.equal(f.severity, "warning");
  assert.match(f.message, /loader\.efi/);
});

test("FreeBSD older than 11 is a warning", () => {
  const f = only(check((l) => l.splice(12, 0, "    freebsdRelease: 10")), "LB_WARN_OLD_FREEBSD");
  assert.equal(at(f), "13:21 clients[0].freebsdRelease");
});

test("shared root without conf/base/etc is a warning (only when the root is here)", () => {
  const edit = (l: string[]) => l.splice(14, 0, "    root: { layout: shared, path: /srv/r }");
  assert.equal(check(edit).filter((f) => f.code === "LB_WARN_SHARED_ROOT_NO_CONF_BASE").length, 0);
  const withRoot = fakeProbe({ "/srv/tftp/pxeboot": "", "/srv/tftp/loader.efi": "", "/srv/tftp/boot.ipxe": "" }, ["/srv/tftp", "/srv/r"]);
  assert.equal(at(only(check(edit, withRoot), "LB_WARN_SHARED_ROOT_NO_CONF_BASE")), "15:35 clients[0].root.path");
  const complete = fakeProbe({ "/srv/tftp/pxeboot": "", "/srv/tftp/loader.efi": "", "/srv/tftp/boot.ipxe": "" }, ["/srv/tftp", "/srv/r", "/srv/r/conf/base/etc"]);
  assert.equal(check(edit, complete).length, 0);
});

test("network problems: gateway outside, overlapping networks, server not on a direct network", () => {
  assert.equal(at(only(check((l) => (l[5] = "      gateway: 198.18.1.254")), "LB_ERR_NETWORK")), "6:16 server.networks[0].gateway");
  const f = check((l) => l.splice(7, 0, "    - prefix: 198.18.0.128/25", "      relayed: true"));
  assert.ok(f.some((x) => x.code === "LB_ERR_NETWORK" && /overlaps/.test(x.message) && x.line === 8));
  assert.equal(at(only(check((l) => (l[1] = "  address: 198.19.0.1")), "LB_ERR_NETWORK")), "5:15 server.networks[0].prefix");
});

test("a value inherited from defaults: is reported once, where it is written", () => {
  const f = check((l) => {
    l.splice(7, 0, "defaults:", "  freebsd-lagg:", "    wifi: { wlan: wlan0, bogus: 1 }");
    l.push("  - name: c", "    kind: freebsd-lagg", "    ip: 198.18.0.12", "    macs: [00:1e:68:aa:bb:02]", "    wired: re0", "    wifi: { parent: ath0, ssid: x, passphrase: \"12345678\" }");
  });
  const hits = f.filter((x) => x.code === "LB_ERR_SCHEMA");
  assert.equal(hits.length, 1, JSON.stringify(f));
  assert.equal(at(hits[0]!), "10:26 defaults[\"freebsd-lagg\"].wifi.bogus");
});

test("every problem is reported at once, sorted by position", () => {
  const f = check((l) => {
    l[10] = "    ip: 198.18.0.300";
    l[11] = "    macs: [zz]";
    l[16] = "    ip: 198.18.0.255";
  });
  assert.deepEqual(f.map((x) => x.code), ["LB_ERR_BAD_IPV4", "LB_ERR_BAD_MAC", "LB_ERR_ADDRESS_RESERVED"]);
  assert.deepEqual(f.map((x) => x.line), [11, 12, 17]);
});

test("not a mapping, clients not a list, unknown top-level key", () => {
  assert.equal(loadInventoryText("- a\n", "t.yaml", siteProbe).findings[0]!.code, "LB_ERR_SCHEMA");
  const f = check((l) => l.push("extra: 1"));
  assert.equal(at(only(f, "LB_ERR_SCHEMA")), "20:1 extra");
});

test("every file name the generators write is checked: byArch, arm64, writableDir", () => {
  const f = check((l) => l.splice(7, 0, "  tftp: { bootFiles: { arm64Uefi: \"a b.efi\", byArch: { \"16\": \"x,y\" } }, writableDir: \"up load\" }"));
  const unsafe = f.filter((x) => x.code === "LB_ERR_UNSAFE_VALUE").map((x) => x.path).sort();
  assert.deepEqual(unsafe, ["server.tftp.bootFiles.arm64Uefi", "server.tftp.bootFiles.byArch[\"16\"]", "server.tftp.writableDir"]);
});

test("server.httpBoot: a loopback address, a port shared with the status API, bootProtocol http without it, bad values", () => {
  const withHttp = (extra: string[]) => (l: string[]): void => void l.splice(7, 0, "  httpBoot:", ...extra);
  assert.deepEqual(check(withHttp(["    port: 8080", "    protocolByArch: { \"0\": tftp }"])).filter((f) => f.severity === "error"), []);
  assert.equal(at(only(check(withHttp(["    address: 127.0.0.1"])), "LB_ERR_NETWORK")), "9:14 server.httpBoot.address");
  assert.equal(at(only(check(withHttp(["    address: 0.0.0.0", "    port: 8067"])), "LB_ERR_DUPLICATE")), "10:11 server.httpBoot.port");
  assert.deepEqual(check(withHttp(["    port: 8067"])).filter((f) => f.severity === "error"), [], "another address may use the same port");
  assert.equal(at(only(check((l) => l.splice(18, 0, "    bootProtocol: http")), "LB_ERR_REFERENCE")), "19:19 clients[1].bootProtocol");
  assert.deepEqual(check((l) => l.splice(18, 0, "    bootProtocol: tftp")).filter((f) => f.severity === "error"), []);
  assert.equal(only(check(withHttp(["    protocol: ftp"])), "LB_ERR_SCHEMA").path, "server.httpBoot.protocol");
  assert.equal(only(check(withHttp(["    protocolByArch: { x64: http }"])), "LB_ERR_SCHEMA").path, "server.httpBoot.protocolByArch.x64");
  assert.equal(only(check(withHttp(["    maxConnections: 0"])), "LB_ERR_SCHEMA").path, "server.httpBoot.maxConnections");
  assert.equal(at(only(check((l) => l.splice(18, 0, "    uefiPxe: false")), "LB_ERR_REFERENCE")), "19:14 clients[1].uefiPxe");
  assert.deepEqual(check((l) => { l.splice(18, 0, "    uefiPxe: false"); l.splice(7, 0, "  httpBoot: {}"); }).filter((f) => f.severity === "error"), []);
  assert.equal(only(check((l) => { l.splice(18, 0, "    uefiPxe: false", "    bootProtocol: tftp"); l.splice(7, 0, "  httpBoot: {}"); }), "LB_ERR_REFERENCE").path, "clients[1].uefiPxe");
});
