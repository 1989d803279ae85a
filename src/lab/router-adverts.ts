/**
 * IPv6 router advertisements for the lab link, so iPXE does not wait ~10 s for
 * one before running its script (measured: docs/benchmarks.md). radvd is not
 * among the packages CI installs; dnsmasq-base is, and dnsmasq can send RAs
 * without serving DHCP or DNS: `port=0` (no DNS), no IPv4 `dhcp-range` (no
 * DHCPv4), and an `ra-only` IPv6 range (RA, no DHCPv6). So this process never
 * answers a DHCPv4 packet: the boot server under test stays the only one.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabNet } from "./net.js";
import { waitUntil, type ManagedProcess } from "./proc.js";

export async function startRouterAdvertiser(net: LabNet, workDir: string): Promise<ManagedProcess> {
  const conf = join(workDir, "ra-dnsmasq.conf");
  const log = join(workDir, "ra-dnsmasq.log");
  writeFileSync(
    conf,
    [
      "port=0",
      `interface=${net.serverIf}`,
      "bind-interfaces",
      "no-resolv",
      "leasefile-ro",
      "enable-ra",
      // Advertise the link's own /64 (from the interface address), RA only.
      `dhcp-range=::,constructor:${net.serverIf},ra-only`,
      // Router lifetime 0: the server is no default router, the RA only ends the wait.
      `ra-param=${net.serverIf},4,0`,
      "",
    ].join("\n"),
  );
  const p = net.server.spawn(
    ["dnsmasq", "--keep-in-foreground", `--conf-file=${conf}`, `--log-facility=${log}`, "--user=root", "--pid-file="],
    { logFile: join(workDir, "ra-dnsmasq.stderr") },
  );
  // dnsmasq joins the all-routers group on start; give it until the ICMPv6 socket exists.
  await waitUntil("the RA sender to start", async () => {
    if (p.hasExited()) throw new Error(`RA dnsmasq exited: ${p.stderrText()}`);
    const r = await net.server.exec(["ss", "-H", "-w", "-a", "-n"]);
    return r.stdout.includes(":58");
  }, 5000);
  return p;
}
