/**
 * No field of the generated dnsmasq.conf is read by dnsmasq as a keyword, a
 * lease time or a tag: a live dnsmasq (namespace prefix lbd) runs the
 * rendered file and busybox udhcpc, a real client, asks it for clients named
 * `ignore`, `infinite`, `12h` and `123` whose boot files start with `tag:`,
 * `net:` and `set:`. Each gets its address, its boot file and its lease
 * time, and dnsmasq's lease file names it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadInventoryText } from "../../src/config/load.js";
import { renderDnsmasq } from "../../src/render/dnsmasq.js";
import { Lab, type Namespace } from "../support/netns.js";
import { siteProbe } from "../support/probe.js";
import { startForeground, tempDir, udhcpc } from "./dhcp-harness.js";

const SERVER = "198.18.31.1";
const CLIENTS = [
  { name: "ignore", mac: "02:00:00:00:31:01", ip: "198.18.31.11", bootFile: "tag:pxe-a" },
  { name: "infinite", mac: "02:00:00:00:31:02", ip: "198.18.31.12", bootFile: "net:pxe-b" },
  { name: "12h", mac: "02:00:00:00:31:03", ip: "198.18.31.13", bootFile: "set:pxe-c" },
  // No boot file of its own: the BIOS file (udhcpc sends no option 93), which also starts with tag:.
  { name: "123", mac: "02:00:00:00:31:04", ip: "198.18.31.14", bootFile: undefined },
] as const;
const BIOS_FILE = "tag:bios.0";
const LEASE_SECONDS = 7200;

function inventoryYaml(): string {
  return [
    "server:",
    `  address: ${SERVER}`,
    "  networks: [{ name: lan, prefix: 198.18.31.0/24, domain: lab.example }]",
    `  dhcp: { reservationLeaseSeconds: ${LEASE_SECONDS} }`,
    `  tftp: { root: /nonexistent/tftp, bootFiles: { bios: "${BIOS_FILE}" } }`,
    "clients:",
    ...CLIENTS.map((c) => `  - { name: "${c.name}", kind: pxe, ip: ${c.ip}, macs: ["${c.mac}"]${c.bootFile ? `, bootFile: "${c.bootFile}"` : ""} }`),
  ].join("\n");
}

describe("dnsmasq reads no rendered field as a keyword, time or tag", { timeout: 120_000 }, () => {
  let lab: Lab;
  let srv: Namespace;
  let cli: Namespace;
  let dir: string;

  before(async () => {
    dir = tempDir("dnsmasq-fields");
    const r = loadInventoryText(inventoryYaml(), "fields.yaml", siteProbe);
    assert.ok(r.inventory, JSON.stringify(r.findings));
    writeFileSync(join(dir, "dnsmasq.conf"), renderDnsmasq(r.inventory));
    lab = new Lab("dnsfield");
    ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
    await startForeground(srv, {
      argv: ["dnsmasq", "--keep-in-foreground", "--log-facility=-", `--conf-file=${join(dir, "dnsmasq.conf")}`, "--port=0",
        "--interface=s0", "--bind-interfaces", "--no-ping", "--user=root",
        `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`, `--pid-file=${join(dir, "dnsmasq.pid")}`],
      ready: /started, version/,
    });
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CLIENTS) {
    test(`a client named ${JSON.stringify(c.name)} gets its address, boot file ${JSON.stringify(c.bootFile ?? BIOS_FILE)} and lease time`, async () => {
      const { code, env } = await udhcpc(cli, dir, c.mac, c.name);
      assert.equal(code, 0, "udhcpc got a lease");
      assert.ok(env);
      assert.equal(env.get("ip"), c.ip);
      assert.equal(env.get("boot_file"), c.bootFile ?? BIOS_FILE);
      assert.equal(env.get("siaddr"), SERVER);
      assert.equal(env.get("lease"), String(LEASE_SECONDS));
      // dnsmasq's lease file: expiry MAC address name client-id. The name is the client's, not "*".
      const lease = readFileSync(join(dir, "dnsmasq.leases"), "utf8").split("\n").find((l) => l.split(" ")[1] === c.mac);
      assert.equal(lease?.split(" ")[3], c.name, `lease line: ${lease}`);
    });
  }
});
