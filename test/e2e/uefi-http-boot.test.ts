/**
 * OVMF's own UEFI HTTP Boot against laggboot serve under QEMU TCG, no TFTP
 * at all. The lab client says `uefiPxe: false`, so its firmware's PXE over
 * IPv4 gets an address but no boot program and gives up; PXE over IPv6 times
 * out (about 70 s: nobody answers DHCPv6); then the firmware's HTTP Boot
 * sends a DISCOVER with vendor class HTTPClient:Arch:00016, is answered with
 * option 60 HTTPClient and http://SERVER/ipxe.efi, asks HEAD then GET for
 * it, and runs it; iPXE gets its script as a URL and the kernel and initrd
 * over HTTP; the initramfs prints the run's marker. The second test does the
 * same in proxy mode: dnsmasq plays the site's DHCP server (addresses only,
 * no boot files) on the client's side of the link, and laggboot's proxy
 * offer alone carries HTTPClient and the URL. Needs root and the lab
 * packages (docs/lab.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientStatus } from "../../src/app/status-types.js";
import { ensureLabAssets } from "../../src/lab/assets.js";
import { bootToMarker, withLab } from "../../src/lab/lab.js";
import { LAB_HTTP_PORT, labInventory, laggbootServe, type LaggbootServer } from "../../src/lab/laggboot-serve.js";
import { httpGetInNs, udpPortBound } from "../../src/lab/net.js";
import { waitUntil } from "../../src/lab/proc.js";
import type { LabServerContext, LabServerStarter } from "../../src/lab/lab.js";

test("OVMF's own UEFI HTTP Boot: HTTPClient DISCOVER, option 60 and a URL, HEAD + GET of ipxe.efi, then iPXE over HTTP to the marker; no TFTP", { timeout: 300_000 }, async (t) => {
  const assets = await ensureLabAssets();
  // The lab's inventory, with the QEMU client's UEFI PXE turned off (its entry is the last in the file).
  const inventory = (ctx: Parameters<typeof labInventory>[0]): string => `${labInventory(ctx, "http").trimEnd()}\n    uefiPxe: false\n`;
  await withLab({ firmware: "uefi", server: laggbootServe(inventory), assets }, async (lab) => {
    const r = await bootToMarker(lab, 270_000);
    assert.equal(r.markerSeen, lab.marker, "the initramfs printed this run's marker");
    const logs = (lab.server as LaggbootServer).logLines();
    const me = lab.ctx.client;
    const server = lab.net.addresses.serverIp;

    const replies = logs.filter((l) => l["msg"] === "dhcp reply" && l["mac"] === me.mac);
    const pxe = replies.find((l) => l["ipxe"] === false && l["httpBoot"] !== true);
    assert.ok(pxe, `the firmware's PXE was answered: ${JSON.stringify(replies)}`);
    assert.equal(pxe["bootFile"], undefined, "with an address but no boot program");
    const http = replies.filter((l) => l["httpBoot"] === true);
    assert.deepEqual(http.map((l) => `${String(l["type"])} ${String(l["bootFile"])}`), [`OFFER http://${server}/ipxe.efi`, `ACK http://${server}/ipxe.efi`]);
    const ipxe = replies.filter((l) => l["ipxe"] === true && l["type"] === "ACK");
    assert.equal(ipxe[0]?.["bootFile"], `http://${server}/boot.ipxe`);

    assert.deepEqual(logs.filter((l) => l["msg"] === "tftp transfer"), [], "nothing over TFTP");
    const transfers = logs.filter((l) => l["msg"] === "http transfer").map((l) => `${String(l["method"])} ${String(l["file"])} ${String(l["outcome"])}`);
    assert.deepEqual(transfers, ["HEAD ipxe.efi probe", "GET ipxe.efi ok", "GET boot.ipxe ok", "GET kernel ok", "GET initrd.gz ok"]);

    const clients = JSON.parse(await httpGetInNs(lab.net.server, `http://127.0.0.1:${LAB_HTTP_PORT}/api/v1/clients`)) as ClientStatus[];
    const c = clients.find((x) => x.name === me.hostname)!;
    const files = c.stages.filter((s) => s.protocol !== undefined).map((s) => `${s.stage} ${s.detail} ${s.protocol}`);
    assert.deepEqual(files, ["boot-file-sent ipxe.efi http", "ipxe-script-sent boot.ipxe http", "file-sent kernel http", "file-sent initrd.gz http"]);
    assert.deepEqual(c.files.slice(0, 2).map((f) => `${f.path} ${f.outcome}`), ["ipxe.efi probe", "ipxe.efi ok"]);
    t.diagnostic(`uefi http boot: marker after ${(r.bootMs / 1000).toFixed(1)} s (PXE over IPv6 waits most of it)`);
  });
});

/**
 * The site's own DHCP server for the proxy test: dnsmasq on the client
 * namespace's bridge (the same link as QEMU), giving the client its reserved
 * address and nothing to boot; laggboot serve, in proxy mode, in the server
 * namespace as usual.
 */
function siteDhcpAndLaggbootProxy(): LabServerStarter {
  const serve = laggbootServe((ctx) => `${labInventory(ctx, "http").replace("    mode: full\n", "    mode: proxy\n").trimEnd()}\n    uefiPxe: false\n`);
  return async (ctx: LabServerContext) => {
    const a = ctx.net.addresses;
    const siteIp = a.serverIp.replace(/\.1$/, ".2");
    await ctx.net.client.exec(["ip", "addr", "add", `${siteIp}/${a.prefixLength}`, "dev", ctx.net.bridge]);
    const conf = join(ctx.workDir, "site-dnsmasq.conf");
    const log = join(ctx.workDir, "site-dnsmasq.log");
    writeFileSync(conf, [
      "port=0", `interface=${ctx.net.bridge}`, "bind-interfaces", "no-resolv", "no-ping", "log-dhcp",
      `dhcp-leasefile=${join(ctx.workDir, "site.leases")}`, `dhcp-range=${a.poolStart},${a.poolEnd},${a.netmask},1h`,
      `dhcp-host=${ctx.client.mac},${ctx.client.ip}`, `dhcp-option=option:router,${a.serverIp}`, "",
    ].join("\n"));
    writeFileSync(log, "");
    const site = ctx.net.client.spawn(["dnsmasq", "--keep-in-foreground", `--conf-file=${conf}`, `--log-facility=${log}`, "--user=root", "--pid-file="], { logFile: join(ctx.workDir, "site-dnsmasq.stderr") });
    await waitUntil("the site's dnsmasq to bind 67", async () => {
      if (site.hasExited()) throw new Error(`site dnsmasq exited: ${site.stderrText()}`);
      return udpPortBound(ctx.net.client, 67);
    }, 10_000);
    const laggboot = (await serve(ctx)) as LaggbootServer;
    return {
      ...laggboot,
      logText: () => `${laggboot.logText()}\n--- site dnsmasq ---\n${readFileSync(log, "utf8")}`,
      stop: async () => {
        await laggboot.stop();
        await site.stop();
      },
    } satisfies LaggbootServer;
  };
}

test("proxy mode: the site's DHCP server gives the address, laggboot's proxy offer HTTPClient and the URL; OVMF boots to the marker over HTTP", { timeout: 300_000 }, async (t) => {
  const assets = await ensureLabAssets();
  await withLab({ firmware: "uefi", server: siteDhcpAndLaggbootProxy(), assets }, async (lab) => {
    const r = await bootToMarker(lab, 270_000);
    assert.equal(r.markerSeen, lab.marker);
    const logs = (lab.server as LaggbootServer).logLines();
    const me = lab.ctx.client;
    const server = lab.net.addresses.serverIp;
    const replies = logs.filter((l) => l["msg"] === "dhcp reply" && l["mac"] === me.mac);
    const http = replies.filter((l) => l["httpBoot"] === true);
    assert.ok(http.length >= 1 && http.every((l) => l["type"] === "OFFER" && l["bootFile"] === `http://${server}/ipxe.efi`), `proxy offers to HTTP Boot: ${JSON.stringify(replies)}`);
    assert.ok(!replies.some((l) => l["ipxe"] === false && l["httpBoot"] !== true), "the firmware's PXE got no proxy offer (uefiPxe: false)");
    assert.ok(replies.some((l) => l["ipxe"] === true && l["bootFile"] === `http://${server}/boot.ipxe`), "iPXE's proxy offer names the script's URL");
    assert.deepEqual(logs.filter((l) => l["msg"] === "tftp transfer"), [], "nothing over TFTP");
    const transfers = logs.filter((l) => l["msg"] === "http transfer").map((l) => `${String(l["method"])} ${String(l["file"])} ${String(l["outcome"])}`);
    assert.deepEqual(transfers, ["HEAD ipxe.efi probe", "GET ipxe.efi ok", "GET boot.ipxe ok", "GET kernel ok", "GET initrd.gz ok"]);
    assert.match(lab.server.logText(), new RegExp(`DHCPACK\\(\\S+\\) ${me.ip.replace(/\./g, "\\.")} ${me.mac}`), "the site's server gave the address");
    t.diagnostic(`uefi http boot, proxy mode: marker after ${(r.bootMs / 1000).toFixed(1)} s`);
  });
});
