/** Sets up and runs the reserved-client storm against laggboot (see storm-client.ts). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitExit, type Lab } from "../../test/support/netns.js";
import type { JsonPolicy } from "../../test/support/dhcp-server-main.js";
import { startLaggboot } from "../../test/interop/dhcp-harness.js";

const stormClient = fileURLToPath(new URL("./storm-client.js", import.meta.url));

export interface StormResult {
  clients: number;
  sendWindowMs: number;
  offers: number;
  served: number;
  wrongAddress: number;
  lastAckMs: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  serverCounters?: Record<string, unknown>;
}

const SERVER = "198.18.64.1";
const CLIENT_LINK = "198.18.71.250";

export function stormClients(n: number): { macs: string[]; ips: string[] } {
  const macs: string[] = [];
  const ips: string[] = [];
  for (let i = 0; i < n; i++) {
    macs.push(`02:5a:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`);
    ips.push(`198.18.${65 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  }
  return { macs, ips };
}

export async function runStorm(lab: Lab, n: number): Promise<StormResult> {
  if (n > 1500) throw new Error("storm: at most 1500 clients fit the /21");
  const dir = mkdtempSync(join(tmpdir(), "lb-storm-"));
  try {
    const srv = await lab.namespace("ssrv");
    const cli = await lab.namespace("scli");
    await lab.veth(srv, "s0", cli, "c0");
    await srv.addr("s0", `${SERVER}/21`);
    await cli.addr("c0", `${CLIENT_LINK}/21`);
    const { macs, ips } = stormClients(n);
    const policy: JsonPolicy = {
      mode: "full",
      networks: [{
        name: "storm", prefix: { network: "198.18.64.0", length: 21 }, relayed: false, serverAddress: SERVER,
        gateway: undefined, dns: [], domain: undefined, pool: undefined, poolLeaseSeconds: 600,
      }],
      reservations: macs.map((mac, i) => ({
        clientName: `c${i}`, hostName: `c${i}.storm.example`, ip: ips[i]!, macs: [mac], rootPath: `${SERVER}:/srv/roots/c${i}`,
      })),
      reservationLeaseSeconds: 86_400,
      nextServer: SERVER,
      bootFiles: { byArch: [[0, "pxeboot"], [7, "loader.efi"]] },
      ipxeScript: undefined,
    };
    const server = await startLaggboot(srv, dir, { policy, dbPath: join(dir, "leases.db"), quiet: true });
    const child = cli.spawn([process.execPath, stormClient, JSON.stringify({
      macs, ips, server: SERVER, sendFrom: CLIENT_LINK, spreadMs: 1000, deadlineMs: 10_000,
    })], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (c: string) => { out += c; });
    await waitExit(child, 20_000);
    const result = JSON.parse(out.trim()) as StormResult;
    result.serverCounters = await server.stop();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
