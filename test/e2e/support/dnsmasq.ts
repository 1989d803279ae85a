/**
 * dnsmasq as a stand-in boot server, to prove the rig itself (firmware, TFTP
 * root, script, kernel, initramfs, serial watch) independently of laggboot.
 * The policy is the one laggboot's serve implements:
 *  - a client that already runs iPXE (option 175, or user class "iPXE") gets
 *    the iPXE script, never a boot program again (it would loop);
 *  - otherwise client arch 7 (EFI x64, RFC 4578) gets ipxe.efi, and BIOS
 *    (arch 0) gets undionly.kpxe;
 *  - iPXE gets option 175 with sub-option 176 (no-pxedhcp) = 1, so it does not
 *    wait ~3 s for ProxyDHCP offers.
 * `port=0` turns DNS off; `no-ping` skips the ~3 s ping before a first offer.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabServer, LabServerContext, LabServerStarter } from "../../../src/lab/lab.js";
import { udpPortBound } from "../../../src/lab/net.js";
import { waitUntil } from "../../../src/lab/proc.js";

export function dnsmasqConfig(ctx: LabServerContext): string {
  const a = ctx.net.addresses;
  return [
    "port=0",
    `interface=${ctx.net.serverIf}`,
    "bind-interfaces",
    "no-resolv",
    "no-ping",
    "log-dhcp",
    `dhcp-leasefile=${join(ctx.workDir, "dnsmasq.leases")}`,
    `dhcp-range=${a.poolStart},${a.poolEnd},${a.netmask},1h`,
    `dhcp-host=${ctx.client.mac},${ctx.client.ip},${ctx.client.hostname}`,
    "enable-tftp",
    `tftp-root=${ctx.tftpRoot}`,
    "dhcp-match=set:ipxe,175",
    "dhcp-userclass=set:ipxe,iPXE",
    "dhcp-match=set:efi64,option:client-arch,7",
    `dhcp-boot=tag:!ipxe,tag:efi64,${ctx.names.uefiBootProgram}`,
    `dhcp-boot=tag:!ipxe,tag:!efi64,${ctx.names.biosBootProgram}`,
    `dhcp-boot=tag:ipxe,${ctx.names.ipxeScript}`,
    "dhcp-option=tag:ipxe,encap:175,176,1",
    "",
  ].join("\n");
}

export const startDnsmasq: LabServerStarter = async (ctx) => {
  const conf = join(ctx.workDir, "dnsmasq.conf");
  const log = join(ctx.workDir, "dnsmasq.log");
  writeFileSync(conf, dnsmasqConfig(ctx));
  writeFileSync(log, "");
  const p = ctx.net.server.spawn(
    // --user=root: the TFTP root is a private temp dir; dnsmasq would otherwise read it as nobody.
    ["dnsmasq", "--keep-in-foreground", `--conf-file=${conf}`, `--log-facility=${log}`, "--user=root", "--pid-file="],
    { logFile: join(ctx.workDir, "dnsmasq.stderr") },
  );
  await waitUntil("dnsmasq to bind 67 and 69", async () => {
    if (p.hasExited()) throw new Error(`dnsmasq exited: ${p.stderrText()}`);
    return (await udpPortBound(ctx.net.server, 67)) && (await udpPortBound(ctx.net.server, 69));
  }, 10_000);
  const server: LabServer = {
    name: "dnsmasq",
    logText: () => readFileSync(log, "utf8"),
    stop: async () => {
      await p.stop();
    },
  };
  return server;
};
