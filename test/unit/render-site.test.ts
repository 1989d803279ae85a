/**
 * Golden and structural tests of the site generators (isc-dhcpd, kea,
 * dnsmasq, exports, exports-linux) for three inventories: the example, the
 * example in proxy mode, and a shared-root site (test/support/site-variants.ts).
 *
 * Golden files live in test/golden/site/<variant>/<target>. After an intended
 * change, regenerate them and review the diff:
 *   npx tsc -p tsconfig.json && LAGGBOOT_UPDATE_GOLDEN=1 node scripts/run-tests.mjs render-site.test
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { SITE_TARGETS } from "../../src/render/site-targets.js";
import { renderIscDhcpd } from "../../src/render/isc-dhcpd.js";
import { renderKea } from "../../src/render/kea.js";
import { renderDnsmasq } from "../../src/render/dnsmasq.js";
import { renderExportsFreebsd, renderExportsLinux } from "../../src/render/exports.js";
import type { Inventory } from "../../src/config/types.js";
import { LaggbootError } from "../../src/errors.js";
import { HTTP_BOOT_SITE, SHARED_ROOT_SITE, SITE_VARIANTS, loadOk } from "../support/site-variants.js";
import { bigInventoryYaml } from "../support/big-inventory.js";
import { fakeProbe } from "../support/probe.js";

const GOLDEN_DIR = "test/golden/site";
const UPDATE = process.env["LAGGBOOT_UPDATE_GOLDEN"] === "1";
const GOLDEN_NAME: Record<string, string> = {
  "isc-dhcpd": "dhcpd.conf",
  kea: "kea-dhcp4.json",
  dnsmasq: "dnsmasq.conf",
  exports: "exports",
  "exports-linux": "exports-linux",
};

test("SITE_TARGETS lists the five site generators, each described", () => {
  assert.deepEqual(Object.keys(SITE_TARGETS).sort(), ["dnsmasq", "exports", "exports-linux", "isc-dhcpd", "kea"]);
  for (const [name, t] of Object.entries(SITE_TARGETS)) {
    assert.ok(t.description.length > 20, `${name} needs a description`);
    assert.ok(GOLDEN_NAME[name], `${name} needs a golden file name`);
  }
});

for (const [variant, load] of Object.entries(SITE_VARIANTS)) {
  for (const [target, { render }] of Object.entries(SITE_TARGETS)) {
    test(`golden: ${variant} / ${target}`, () => {
      const inv = load();
      const out = render(inv);
      assert.equal(render(inv), out, "rendering twice gives the same bytes");
      assert.ok(out.endsWith("\n") && !out.includes("\r"), "LF line ends, final newline");
      const file = join(GOLDEN_DIR, variant, GOLDEN_NAME[target]!);
      if (UPDATE) {
        mkdirSync(join(GOLDEN_DIR, variant), { recursive: true });
        writeFileSync(file, out);
      }
      assert.ok(existsSync(file), `${file} is missing: run with LAGGBOOT_UPDATE_GOLDEN=1 to create it`);
      assert.equal(out, readFileSync(file, "utf8"), `${file} differs: review, then regenerate with LAGGBOOT_UPDATE_GOLDEN=1`);
    });
  }
}

const example = (): Inventory => SITE_VARIANTS["example"]!();
const proxy = (): Inventory => SITE_VARIANTS["proxy"]!();
const shared = (): Inventory => SITE_VARIANTS["shared-root"]!();

/** `host NAME { ... }` blocks of a dhcpd.conf, as name -> body. */
function dhcpdHosts(conf: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const h of conf.matchAll(/^\s*host (\S+) \{\n([\s\S]*?)^\s{2}\}$/gm)) m.set(h[1]!, h[2]!);
  return m;
}

test("isc-dhcpd: one host block per MAC, all with the client's address, host-name and root-path", () => {
  for (const inv of [example(), shared()]) {
    const conf = renderIscDhcpd(inv);
    const hosts = [...dhcpdHosts(conf).values()];
    assert.equal(hosts.length, inv.clients.reduce((n, c) => n + c.macs.length, 0));
    for (const c of inv.clients) {
      for (const mac of c.macs) {
        const body = hosts.find((h) => h.includes(`hardware ethernet ${mac};`));
        assert.ok(body, `a host block for ${mac}`);
        assert.match(body, new RegExp(`fixed-address ${c.ip.replace(/\./g, "\\.")};`));
        assert.ok(body.includes(`option host-name "${c.fqdn}";`));
        if (c.rootPath) assert.ok(body.includes(`option root-path "${c.rootPath}";`));
      }
    }
  }
});

test("isc-dhcpd: never the seed's vendor-option-space line; option 93 defined; PRL extended with 17 and 12", () => {
  for (const inv of [example(), proxy(), shared()]) {
    const conf = renderIscDhcpd(inv);
    assert.ok(!/vendor-option-space/.test(conf));
    assert.ok(conf.includes("option arch code 93 = unsigned integer 16;"));
    assert.ok(conf.includes("option dhcp-parameter-request-list = concat(option dhcp-parameter-request-list, 11, 0c);"));
  }
});

test("isc-dhcpd: full mode picks the boot file by architecture and iPXE; range only with a pool", () => {
  const conf = renderIscDhcpd(shared());
  assert.match(conf, /if \(\(exists user-class and option user-class = "iPXE"\) or exists laggboot-ipxe-encap\) \{\n {2}filename "boot\/menu\.ipxe";/);
  assert.match(conf, /elsif \(\(not exists arch\) or option arch = 00:00\) \{\n {2}# x86 BIOS\n {2}filename "boot\/pxeboot";/);
  assert.match(conf, /elsif option arch = 00:0b \{\n {2}# arm64 UEFI\n {2}filename "boot\/loader-arm64\.efi";/);
  assert.match(conf, /elsif option arch = 00:10 \{\n {2}# x64 UEFI HTTP Boot\n {2}filename "boot\/ipxe-http\.efi";/);
  assert.equal(conf.match(/^\s*range /gm)?.length, 1, "only the office network has a pool");
  assert.ok(conf.includes("range 198.18.10.200 198.18.10.220;"));
  // TFTP listens on 0.0.0.0: each direct network's clients are sent to the server's address there.
  assert.ok(conf.includes("next-server 198.18.20.1;"));
  assert.ok(!/^\s*range /m.test(renderIscDhcpd(example())), "no pool, no range");
});

test("isc-dhcpd proxy mode: no filename, no next-server, still reservations with root-path", () => {
  const conf = renderIscDhcpd(proxy());
  assert.ok(!/\bfilename\b/.test(conf.replace(/^#.*$/gm, "")));
  assert.ok(!/\bnext-server\b/.test(conf.replace(/^#.*$/gm, "")));
  assert.ok(conf.includes("# Mode proxy: this file is for the SITE's DHCP server"));
  assert.ok(conf.includes('option root-path "198.18.0.1:/srv/diskless/client";'));
});

interface KeaReservation { "hw-address": string; "ip-address": string; hostname: string; "next-server"?: string; "boot-file-name"?: string; "option-data": { name: string; data: string; "always-send"?: boolean }[] }
interface KeaConfig { Dhcp4: { "ip-reservations-unique"?: boolean; "client-classes": { name: string; test?: string; "boot-file-name"?: string }[]; subnet4: { id: number; subnet: string; pools: unknown[]; "next-server"?: string; reservations: KeaReservation[] }[]; "lease-database": { type: string; persist: boolean } } }

test("kea: one reservation per MAC, root-path and host-name always sent, ids unique, no reservation boot-file-name", () => {
  for (const inv of [example(), shared()]) {
    const cfg = JSON.parse(renderKea(inv)) as KeaConfig;
    const subnets = cfg.Dhcp4.subnet4;
    assert.equal(new Set(subnets.map((s) => s.id)).size, subnets.length);
    const all = subnets.flatMap((s) => s.reservations);
    assert.equal(all.length, inv.clients.reduce((n, c) => n + c.macs.length, 0));
    for (const c of inv.clients) {
      for (const mac of c.macs) {
        const r = all.find((x) => x["hw-address"] === mac);
        assert.ok(r, `a reservation for ${mac}`);
        assert.equal(r["ip-address"], c.ip);
        assert.equal(r.hostname, c.fqdn);
        assert.equal(r["boot-file-name"], undefined, "a reservation's boot file would override the iPXE class");
        assert.deepEqual(r["option-data"].find((o) => o.name === "host-name"), { name: "host-name", data: c.fqdn, "always-send": true });
        if (c.rootPath) assert.deepEqual(r["option-data"].find((o) => o.name === "root-path"), { name: "root-path", data: c.rootPath, "always-send": true });
      }
    }
    assert.equal(cfg.Dhcp4["ip-reservations-unique"], false, "several MACs share an address in both inventories");
    assert.equal(cfg.Dhcp4["lease-database"].type, "memfile");
    // Only a pool needs leases kept across restarts.
    assert.equal(cfg.Dhcp4["lease-database"].persist, inv.server.networks.some((n) => n.pool));
  }
});

test("kea: ip-reservations-unique only when some client has several MACs", () => {
  const one = loadOk(bigInventoryYaml(3), fakeProbe());
  assert.ok(one.clients.every((c) => c.macs.length === 1));
  assert.equal((JSON.parse(renderKea(one)) as KeaConfig).Dhcp4["ip-reservations-unique"], undefined);
});

test("kea: boot classes exclude each other (iPXE vs. architecture vs. own files)", () => {
  const classes = (JSON.parse(renderKea(shared())) as KeaConfig).Dhcp4["client-classes"];
  const withFile = classes.filter((c) => c["boot-file-name"] !== undefined);
  for (const c of withFile) {
    const t = c.test ?? "";
    const ipxe = t.startsWith("member('laggboot-ipxe')");
    const notIpxe = t.startsWith("not member('laggboot-ipxe')");
    assert.ok(ipxe !== notIpxe, `${c.name} is on exactly one side of the iPXE test: ${t}`);
    if (c.name.startsWith("laggboot-arch-")) assert.ok(t.includes("not member('laggboot-own-boot')"), c.name);
  }
  const bios = classes.find((c) => c.name === "laggboot-arch-0");
  assert.ok(bios?.test?.includes("not option[93].exists"), "clients without option 93 are BIOS");
  const proxyCfg = JSON.parse(renderKea(proxy())) as KeaConfig;
  assert.ok(proxyCfg.Dhcp4["client-classes"].every((c) => c["boot-file-name"] === undefined));
  assert.ok(proxyCfg.Dhcp4.subnet4.every((s) => s["next-server"] === undefined && s.reservations.every((r) => r["next-server"] === undefined)));
});

test("dnsmasq: dhcp-host with every MAC, tag, address and name; forced 17/12 for FreeBSD clients", () => {
  for (const inv of [example(), shared()]) {
    const conf = renderDnsmasq(inv);
    for (const c of inv.clients) {
      assert.ok(conf.includes(`\ndhcp-host=${c.macs.join(",")},set:lb-host-${c.name},`), c.name);
      assert.match(conf, new RegExp(`,${c.ip.replace(/\./g, "\\.")},"${c.name}",\\d+\\n`));
      const opt = c.kind === "freebsd-lagg" ? "dhcp-option-force" : "dhcp-option";
      assert.ok(conf.includes(`\n${opt}=tag:lb-host-${c.name},12,"${c.fqdn}"\n`), `${c.name} host-name`);
      if (c.rootPath) assert.ok(conf.includes(`\n${opt}=tag:lb-host-${c.name},option:root-path,"${c.rootPath}"\n`), `${c.name} root-path`);
    }
  }
});

test("dnsmasq: static range per network without a pool, the pool where there is one; boot lines by tag", () => {
  const conf = renderDnsmasq(shared());
  assert.ok(conf.includes("dhcp-range=set:lb-net-office,198.18.10.200,198.18.10.220,255.255.255.0,900\n"));
  assert.ok(conf.includes("dhcp-range=set:lb-net-annex,198.18.20.0,static,255.255.255.0,43200\n"));
  assert.ok(conf.includes("dhcp-match=set:lb-arch-7,option:client-arch,7\n"));
  assert.ok(conf.includes("dhcp-match=set:lb-ipxe,175\n"));
  assert.ok(conf.includes('dhcp-boot=tag:lb-net-annex,tag:!lb-ipxe,tag:!lb-http,tag:!lb-own-boot,tag:lb-arch-7,"boot/loader.efi",,198.18.20.1\n'));
  assert.ok(conf.includes('dhcp-boot=tag:lb-net-branch,tag:lb-host-thin2,tag:lb-ipxe,"thin.ipxe",,198.18.10.1\n'));
  const ex = renderDnsmasq(example());
  assert.ok(ex.includes('dhcp-boot=tag:!lb-ipxe,tag:!lb-http,tag:!lb-arch,"pxeboot",,198.18.0.1\n'), "no option 93: BIOS");
  const px = renderDnsmasq(proxy());
  assert.ok(!/^dhcp-(boot|match|userclass)=/m.test(px), "proxy mode: the site's dnsmasq names no boot file");
});

/** exports(5) logical lines: continuation backslashes joined, comments dropped. */
function logicalLines(text: string): string[][] {
  return text.replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#")).map((l) => l.trim().split(/\s+/));
}

test("exports (FreeBSD): each root once, -maproot=root, only its clients; a shared root with its etc on one line", () => {
  for (const inv of [example(), shared()]) {
    // The V4: line (NFSv4 clients) names hosts but exports nothing (test/unit/linux-nfs4.test.ts).
    const lines = logicalLines(renderExportsFreebsd(inv)).filter((l) => l[0] !== "V4:");
    for (const c of inv.clients) {
      const mine = lines.filter((l) => l.includes(c.ip));
      if (c.kind === "pxe") {
        assert.equal(mine.length, 0, `${c.name} boots no NFS root here`);
        continue;
      }
      assert.equal(mine.length, 1, `${c.ip} appears on exactly one line (mountd allows a host once per file system)`);
      const line = mine[0]!;
      assert.equal(line[0], c.root.path);
      assert.ok(line.includes("-maproot=root"));
      assert.equal(line.includes("-ro"), c.root.readOnly);
      assert.equal(line.includes(`${c.root.path}/etc`), c.kind === "freebsd-lagg" && c.root.layout === "shared");
    }
  }
});

test("exports-linux: no_root_squash, rw/ro, no_subtree_check, same hosts", () => {
  for (const inv of [example(), shared()]) {
    const lines = logicalLines(renderExportsLinux(inv));
    for (const c of inv.clients) {
      if (c.kind === "pxe") continue;
      const want = `${c.ip}(${c.root.readOnly ? "ro" : "rw"},sync,no_root_squash,no_subtree_check)`;
      const dirs = lines.filter((l) => l.includes(want)).map((l) => l[0]);
      assert.deepEqual(dirs, c.kind === "freebsd-lagg" && c.root.layout === "shared" ? [c.root.path, `${c.root.path}/etc`] : [c.root.path]);
    }
  }
});

test("exports: long host lists wrap with backslash continuations", () => {
  const inv = loadOk(bigInventoryYaml(200), fakeProbe());
  for (const out of [renderExportsFreebsd(inv), renderExportsLinux(inv)]) {
    assert.match(out, / \\\n {4}\S/);
    for (const l of out.split("\n")) assert.ok(l.length < 400, "no physical line grows with the client count");
  }
});

test("the big inventory has both kinds, both layouts, a relayed network, a pool and two-MAC clients", () => {
  const inv = loadOk(bigInventoryYaml(60), fakeProbe());
  assert.equal(inv.clients.length, 60);
  assert.ok(inv.clients.some((c) => c.kind === "pxe"));
  assert.ok(inv.clients.some((c) => c.kind === "freebsd-lagg" && c.root.layout === "own"));
  assert.ok(inv.clients.some((c) => c.kind === "freebsd-lagg" && c.root.layout === "shared"));
  assert.ok(inv.clients.some((c) => c.macs.length === 2));
  assert.ok(inv.server.networks.some((n) => n.relayed));
  assert.ok(inv.server.networks.some((n) => n.pool));
  assert.equal(bigInventoryYaml(60), bigInventoryYaml(60), "deterministic");
});

test("HTTP boot the generated files cannot express is refused (LB_ERR_RENDER), never rendered wrong", () => {
  const site = HTTP_BOOT_SITE.replace("    wired: re0\n", "    wired: re0\n    bootProtocol: tftp\n");
  const perClient = loadOk(site);
  for (const t of ["isc-dhcpd", "kea", "dnsmasq"] as const) {
    assert.throws(() => SITE_TARGETS[t]!.render(perClient), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_RENDER" && /client client sets bootProtocol/.test(e.message), t);
  }
  // Listening everywhere with two directly attached networks: dnsmasq writes one URL per network; dhcpd and Kea refuse.
  const everywhere = loadOk(SHARED_ROOT_SITE.replace("  nfs:\n", "  httpBoot: { address: 0.0.0.0 }\n  nfs:\n").replace(/ {2}- \{ name: thin1.*\n {2}- \{ name: thin2.*\n/, ""));
  const dnsmasq = SITE_TARGETS["dnsmasq"]!.render(everywhere);
  assert.ok(dnsmasq.includes('dhcp-boot=tag:lb-net-office,tag:lb-ipxe,tag:!lb-own-ipxe,"http://198.18.10.1/boot/menu.ipxe",,198.18.10.1\n'), dnsmasq);
  assert.ok(dnsmasq.includes('dhcp-boot=tag:lb-net-annex,tag:lb-ipxe,tag:!lb-own-ipxe,"http://198.18.20.1/boot/menu.ipxe",,198.18.20.1\n'));
  for (const t of ["isc-dhcpd", "kea"] as const) {
    assert.throws(() => SITE_TARGETS[t]!.render(everywhere), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_RENDER" && /give server\.httpBoot\.address/.test(e.message), t);
  }
});
