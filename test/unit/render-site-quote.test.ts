/**
 * The site generators' quoting helpers: what each target format can carry is
 * written exactly, everything else is refused with LB_ERR_UNSAFE_VALUE, and a
 * hostile value that slips past the loader stops the generator instead of
 * reaching a file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LaggbootError } from "../../src/errors.js";
import { dhcpdHex16, dhcpdName, dhcpdString } from "../../src/render/quote-dhcpd.js";
import { keaExprString, keaMacLiteral, keaText } from "../../src/render/quote-kea.js";
import { dnsmasqString, dnsmasqTag } from "../../src/render/quote-dnsmasq.js";
import { exportsPath } from "../../src/render/quote-exports.js";
import { SITE_TARGETS } from "../../src/render/site-targets.js";
import type { Mac } from "../../src/config/addr.js";
import type { Client, Inventory } from "../../src/config/types.js";
import { SITE_VARIANTS, loadOk } from "../support/site-variants.js";
import { loadInventoryText } from "../../src/config/load.js";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";

const unsafe = (fn: () => unknown, label: string): void =>
  assert.throws(fn, (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_UNSAFE_VALUE", label);

const HOSTILE = ["a\nb", "a\rb", "a\0b", "tab\there", "del\x7f", ""];

test("dhcpd strings: quotes and backslashes escaped, control and non-ASCII refused", () => {
  assert.equal(dhcpdString("x", "pxeboot"), '"pxeboot"');
  assert.equal(dhcpdString("x", 'say "hi"'), '"say \\"hi\\""');
  assert.equal(dhcpdString("x", "a\\b"), '"a\\\\b"');
  for (const v of [...HOSTILE, "caf\u00e9"]) unsafe(() => dhcpdString("x", v), JSON.stringify(v));
});

test("dhcpd strings: for any input, either refused or one line that unescapes to the input", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }), (v) => {
    let out: string;
    try {
      out = dhcpdString("x", v);
    } catch (e) {
      return e instanceof LaggbootError && e.code === "LB_ERR_UNSAFE_VALUE";
    }
    if (!out.startsWith('"') || !out.endsWith('"') || /[\n\r\0]/.test(out)) return false;
    // dhcpd's lexer: a backslash takes the next character literally; an unescaped quote would end the string.
    const body = out.slice(1, -1);
    if (/(^|[^\\])(\\\\)*"/.test(body)) return false;
    return body.replace(/\\(.)/g, "$1") === v;
  }), { numRuns: 500 });
});

test("dhcpd names and hex", () => {
  assert.equal(dhcpdName("x", "desk2.mac2"), "desk2.mac2");
  for (const v of ["a b", "a{", "a;", "-a", "a..b", "a.", ...HOSTILE]) unsafe(() => dhcpdName("x", v), JSON.stringify(v));
  assert.equal(dhcpdHex16(0), "00:00");
  assert.equal(dhcpdHex16(11), "00:0b");
  assert.equal(dhcpdHex16(0x1234), "12:34");
  unsafe(() => dhcpdHex16(65536), "out of range");
  unsafe(() => dhcpdHex16(-1), "negative");
});

test("kea: commas, backslashes and control characters refused in option data; quotes in expressions", () => {
  assert.equal(keaText("x", "198.18.0.1:/srv/diskless/client"), "198.18.0.1:/srv/diskless/client");
  assert.equal(keaText("x", 'with "quotes"'), 'with "quotes"', "JSON.stringify escapes quotes");
  for (const v of [...HOSTILE, "a,b", "a\\b", "caf\u00e9"]) unsafe(() => keaText("x", v), JSON.stringify(v));
  assert.equal(keaExprString("x", "iPXE"), "'iPXE'");
  for (const v of ["it's", "a\\b", "a\nb"]) unsafe(() => keaExprString("x", v), JSON.stringify(v));
  assert.equal(keaMacLiteral("00:1e:68:aa:bb:cc" as Mac), "0x001e68aabbcc");
  unsafe(() => keaMacLiteral("00:1e:68:aa:bb:cc) or (true" as Mac), "not a MAC");
});

test("dnsmasq: only the safe token set; every inventory field quoted", () => {
  assert.equal(dnsmasqString("x", "boot/loader.efi"), '"boot/loader.efi"');
  assert.equal(dnsmasqString("x", "198.18.0.1:/srv/x"), '"198.18.0.1:/srv/x"');
  for (const v of [...HOSTILE, "a,b", "a b", 'a"b', "a#b", "a\\b", "a'b", "caf\u00e9"]) {
    unsafe(() => dnsmasqString("x", v), JSON.stringify(v));
  }
  assert.equal(dnsmasqTag("lb-host-desk1"), "lb-host-desk1");
  for (const v of ["a.b", "a,b", "!a", ""]) unsafe(() => dnsmasqTag(v), JSON.stringify(v));
});

test("exports: absolute paths of the safe token set only", () => {
  assert.equal(exportsPath("exports", "x", "/srv/diskless/client"), "/srv/diskless/client");
  for (const v of [...HOSTILE, "srv/x", "/srv/a b", "/srv/a#b", "/srv/a(b)", "/srv/../etc", '/srv/"x"', "-ro"]) {
    unsafe(() => exportsPath("exports", "x", v), JSON.stringify(v));
    unsafe(() => exportsPath("exports-linux", "x", v), JSON.stringify(v));
  }
});

/** The example inventory with one client replaced, bypassing the loader's checks. */
function withClient(inv: Inventory, name: string, patch: (c: Client) => Client): Inventory {
  return { ...inv, clients: inv.clients.map((c) => (c.name === name ? patch(c) : c)) };
}

test("a hostile root path stops every generator that writes it", () => {
  const inv = SITE_VARIANTS["example"]!();
  const bad = withClient(inv, "client", (c) => (c.kind === "freebsd-lagg"
    ? { ...c, rootPath: "198.18.0.1:/srv/x\", filename \"evil", root: { ...c.root, path: "/srv/x y" } }
    : c));
  for (const target of ["isc-dhcpd", "kea", "dnsmasq"]) {
    // dhcpd escapes the quote; Kea splits option data at the comma; dnsmasq cannot carry either
    if (target === "isc-dhcpd") {
      const out = SITE_TARGETS[target]!.render(bad);
      assert.ok(out.includes('option root-path "198.18.0.1:/srv/x\\", filename \\"evil";'), "escaped, still one string");
      continue;
    }
    unsafe(() => SITE_TARGETS[target]!.render(bad), target);
  }
  unsafe(() => SITE_TARGETS["exports"]!.render(bad), "exports");
  unsafe(() => SITE_TARGETS["exports-linux"]!.render(bad), "exports-linux");
  const newline = withClient(inv, "kiosk", (c) => (c.kind === "pxe" ? { ...c, rootPath: "a\nrange 1.2.3.4 1.2.3.5" } : c));
  for (const target of ["isc-dhcpd", "kea", "dnsmasq"]) unsafe(() => SITE_TARGETS[target]!.render(newline), `${target}: newline`);
});

test("check refuses a boot file with a blank or comma; the generators refuse it too if it gets past", () => {
  const text = EXAMPLE_INVENTORY.replace("      x64Uefi: loader.efi", '      x64Uefi: loader.efi\n      byArch: { "16": "http boot,efi" }');
  assert.notEqual(text, EXAMPLE_INVENTORY);
  const probe = { readSecret: () => ({ ok: true as const, value: "example passphrase" }), kindOf: () => "missing" as const };
  const r = loadInventoryText(text, "laggboot.yaml", probe);
  assert.ok(r.findings.some((f) => f.code === "LB_ERR_UNSAFE_VALUE" && f.path === 'server.tftp.bootFiles.byArch["16"]'));
  // Defence in depth: an inventory built around the checker still cannot produce a broken file.
  const good = loadOk(EXAMPLE_INVENTORY, probe);
  const byArch = new Map(good.server.tftp.bootFiles.byArch).set(16, "http boot,efi");
  const inv = { ...good, server: { ...good.server, tftp: { ...good.server.tftp, bootFiles: { ...good.server.tftp.bootFiles, byArch } } } };
  for (const target of ["kea", "dnsmasq"]) unsafe(() => SITE_TARGETS[target]!.render(inv), target);
  // dhcpd quotes it as one string: blanks and commas are plain characters there.
  assert.ok(SITE_TARGETS["isc-dhcpd"]!.render(inv).includes('filename "http boot,efi";'));
});
