/**
 * What `check` used to let through or say wrongly: interface names that
 * contradict each other, a schema error hiding a client's other problems, a
 * wrong type reported as a missing key, unknown keys without a suggestion,
 * and client-name rules that differed from the published JSON Schema.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Finding } from "../../src/config/findings.js";
import { at, check, only } from "../support/check-base.js";
import { fakeProbe } from "../support/probe.js";

const errors = (f: Finding[]): Finding[] => f.filter((x) => x.severity === "error");
/** Replace the base's line n (1-based). */
const line = (n: number, text: string) => (l: string[]): void => {
  l[n - 1] = text;
};
const edits = (...fns: ((l: string[]) => void)[]) => (l: string[]): void => fns.forEach((fn) => fn(l));

test("check refuses wired equal to wifi.parent", () => {
  const f = only(check(line(13, "    wired: ath0")), "LB_ERR_SCHEMA");
  assert.equal(at(f), "14:21 clients[0].wifi.parent");
  assert.match(f.message, /"ath0" is also the wired NIC/);
});

test("check refuses lagg.bootif different from wired, and takes it equal or empty", () => {
  const f = only(check((l) => l.splice(13, 0, "    lagg: { bootif: em0 }")), "LB_ERR_SCHEMA");
  assert.equal(at(f), "14:21 clients[0].lagg.bootif");
  assert.match(f.message, /lagg\.bootif "em0" is not the wired NIC "re0"/);
  for (const ok of ["re0", '""']) assert.deepEqual(errors(check((l) => l.splice(13, 0, `    lagg: { bootif: ${ok} }`))), [], ok);
});

test("one schema error in a client does not hide that client's other checks", () => {
  const f = check(edits(
    line(11, "    ip: 10"), // a type error...
    line(12, "    macs: [00:1e:68:aa:bb:01]"), // ...and a MAC client b also has
    line(14, "    wifi: { parent: ath0, ssid: home, passphrase: short }"), // ...and a short passphrase
    (l) => l.splice(13, 0, "    lagg: { bootif: em0 }"), // ...and a wrong boot NIC
  ));
  assert.deepEqual(errors(f).map((x) => `${x.code} ${x.path}`), [
    "LB_ERR_SCHEMA clients[0].ip",
    "LB_ERR_SCHEMA clients[0].lagg.bootif",
    "LB_ERR_WPA_PASSPHRASE clients[0].wifi.passphrase",
    "LB_ERR_DUPLICATE clients[1].macs[0]",
  ]);
  // A server schema error does not hide the clients' problems either.
  const g = check(edits(line(12, "    macs: [00:1e:68:aa:bb:01]"), (l) => l.splice(2, 0, "  tftp: { ipxescript: x.ipxe }")));
  assert.deepEqual(errors(g).map((x) => `${x.code} ${x.path}`), ["LB_ERR_SCHEMA server.tftp.ipxescript", "LB_ERR_DUPLICATE clients[1].macs[0]"]);
});

test("the stand-in for a refused value raises nothing of its own", () => {
  // wired: 5 is one error, not also "bootif is not the wired NIC" nor "wired equals wifi.parent".
  const f = check(edits(line(13, "    wired: 5"), (l) => l.splice(13, 0, "    lagg: { bootif: re0 }")));
  assert.deepEqual(errors(f).map((x) => x.path), ["clients[0].wired"]);
  // A refused name is not compared with the FQDN; two refused addresses are not duplicates of each other.
  const g = check(edits(line(9, "  - name: 7"), line(17, "    ip: [1]"), (l) => l.splice(9, 0, "    fqdn: a.lab.example")));
  assert.deepEqual(errors(g).map((x) => x.path).sort(), ["clients[0].name", "clients[1].ip"]);
  const h = check(edits(line(11, "    ip: 10"), line(17, "    ip: 11")));
  assert.deepEqual(errors(h).map((x) => x.code), ["LB_ERR_SCHEMA", "LB_ERR_SCHEMA"]);
});

test("a wrong type says expected X, got Y, not that the key is missing", () => {
  const f = errors(check(edits(
    line(11, "    ip: 10"),
    line(12, "    macs: 00:1e:68:aa:bb:cc"),
    line(13, "    wired: 5"),
    line(14, "    wifi: { parent: ath0, ssid: home, passphrase: 12345678 }"),
  )));
  const byPath = new Map(f.map((x) => [x.path, x.message]));
  assert.equal(byPath.get("clients[0].ip"), "expected a string, got the number 10");
  assert.equal(byPath.get("clients[0].macs"), 'expected a list, got the string "00:1e:68:aa:bb:cc"');
  assert.equal(byPath.get("clients[0].wired"), "expected a string, got the number 5");
  assert.equal(byPath.get("clients[0].wifi.passphrase"), "expected a string, got the number 12345678 (YAML read it as a number; write it in quotes)");
  assert.ok(f.every((x) => !/missing/.test(x.message)), JSON.stringify(f));
  // A key that is really absent is still "missing"; an empty value is not absent.
  assert.match(only(check((l) => l.splice(12, 1)), "LB_ERR_SCHEMA").message, /required key "wired" is missing/);
  assert.equal(only(check(line(13, "    wired:")), "LB_ERR_SCHEMA").message, "expected a string, got an empty value");
  assert.match(only(check(line(10, "    kind: freebsd")), "LB_ERR_SCHEMA").message, /unknown client kind "freebsd" \(want freebsd-lagg, lagg or pxe\)/);
  assert.equal(only(check((l) => l.splice(13, 0, "    lagg: { bootif: 7 }")), "LB_ERR_SCHEMA").message, 'expected "" or a string, got the number 7');
});

test("an unknown key gets a did-you-mean", () => {
  const f = errors(check(edits(
    line(14, "    wifi: { parent: ath0, ssid: home, passphase: \"12345678\" }"),
    (l) => l.push("  - name: c", "    kind: pxe", "    ip: 198.18.0.12", "    macs: [00:1e:68:aa:bb:02]", "    bootfile: x", "    zzz: 1", "sever: {}"),
    (l) => l.splice(2, 0, "  tftp: { ipxescript: x.ipxe }"),
  )));
  const byPath = new Map(f.map((x) => [x.path, x.message]));
  assert.equal(byPath.get("clients[0].wifi.passphase"), 'unknown key "passphase"; did you mean "passphrase"?');
  assert.equal(byPath.get("server.tftp.ipxescript"), 'unknown key "ipxescript"; did you mean "ipxeScript"?');
  assert.equal(byPath.get("sever"), 'unknown key "sever"; did you mean "server"?');
  assert.equal(byPath.get("clients[2].bootfile"), 'unknown key "bootfile"; did you mean "bootFile"?');
  assert.match(byPath.get("clients[2].zzz")!, /^unknown key "zzz" \(known here: kind, name, fqdn, ip, macs, bootProtocol, uefiPxe, bootFile, ipxeScript, rootPath\)$/);
});

test("client-name case rules agree between check and docs/laggboot.schema.json", () => {
  type Variant = { properties?: { name?: { pattern?: string } }; oneOf?: Variant[]; anyOf?: Variant[] };
  const schema = JSON.parse(readFileSync("docs/laggboot.schema.json", "utf8")) as { properties: { clients: { items: Variant } } };
  // Every client variant, also those nested by a second discriminator (kind lagg: os).
  const variants = (v: Variant): Variant[] => [...(v.oneOf ?? []), ...(v.anyOf ?? [])].flatMap((x) => (x.oneOf ?? x.anyOf) ? variants(x) : [x]);
  const patterns = variants(schema.properties.clients.items).map((v) => v.properties?.name?.pattern ?? "");
  assert.equal(patterns.length, 4, "freebsd-lagg, lagg (freebsd), lagg (linux), pxe");
  for (const name of ["a", "Desk1", "DESK-2", "desk1", "a-b", "-a", "a-", "a_b", "a.b", "x".repeat(63), "x".repeat(64)]) {
    const byCheck = !check(line(9, `  - name: "${name}"`)).some((x) => x.path === "clients[0].name");
    for (const p of patterns) assert.equal(new RegExp(p).test(name), byCheck, `${name}: check says ${byCheck}, the JSON Schema ${!byCheck}`);
  }
});

test("check warns about a missing per-client iPXE script (and boot file), as doctor does", () => {
  const tftp = { "/srv/tftp/pxeboot": "", "/srv/tftp/loader.efi": "", "/srv/tftp/boot.ipxe": "" };
  const f = only(check((l) => l.push("    ipxeScript: kiosk.ipxe"), fakeProbe(tftp, ["/srv/tftp"])), "LB_WARN_BOOT_FILE_MISSING");
  assert.equal(at(f), "20:17 clients[1].ipxeScript");
  assert.equal(f.message, "kiosk.ipxe is not a file in the TFTP root /srv/tftp");
  const g = only(check((l) => l.push("    bootFile: undionly.kpxe"), fakeProbe(tftp, ["/srv/tftp"])), "LB_WARN_BOOT_FILE_MISSING");
  assert.equal(g.path, "clients[1].bootFile");
  assert.deepEqual(check((l) => l.push("    ipxeScript: kiosk.ipxe"), fakeProbe({ ...tftp, "/srv/tftp/kiosk.ipxe": "" }, ["/srv/tftp"])), []);
});

test("a missing boot file is one warning however many keys name it", () => {
  const f = check(
    (l) => {
      l.push("    bootFile: loader.efi", "  - { name: c, kind: pxe, ip: 198.18.0.12, macs: ['00:1e:68:aa:bb:02'], bootFile: loader.efi }");
      l.splice(2, 0, "  tftp: { bootFiles: { byArch: { \"16\": loader.efi } } }");
    },
    fakeProbe({ "/srv/tftp/pxeboot": "", "/srv/tftp/boot.ipxe": "" }, ["/srv/tftp"]),
  );
  const w = only(f, "LB_WARN_BOOT_FILE_MISSING");
  assert.equal(w.path, "server.tftp.bootFiles.x64Uefi");
  assert.equal(w.message, "loader.efi is not a file in the TFTP root /srv/tftp (also named by server.tftp.bootFiles.byArch[\"16\"], clients[1].bootFile, clients[2].bootFile)");
});
