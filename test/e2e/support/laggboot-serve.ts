/**
 * `laggboot serve` as the lab's boot server: writes an inventory for the
 * lab (or the caller's own, from the same facts), runs the real CLI inside
 * the server namespace, and resolves once DHCP (67) and TFTP (69) are bound.
 * Logs are JSON lines on stderr, kept in WORKDIR/serve.log and parsed for
 * tests that wait on a decision.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LabServer, LabServerContext, LabServerStarter } from "./lab.js";
import { udpPortBound } from "./lab-net.js";
import { waitUntil } from "./proc.js";

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/main.js, from dist/test/e2e/support. */
export const LAGGBOOT_CLI = resolve(here, "../../../src/cli/main.js");

/** Port of the HTTP API inside the server namespace (127.0.0.1 there). */
export const LAB_HTTP_PORT = 8067;

/** A one-client inventory for the lab: a `pxe` client with its reservation, iPXE boot programs by arch. */
export function labInventory(ctx: LabServerContext): string {
  const a = ctx.net.addresses;
  return [
    "server:",
    `  address: ${a.serverIp}`,
    "  networks:",
    "    - name: lab",
    `      prefix: ${a.subnet}`,
    "  tftp:",
    `    root: ${ctx.tftpRoot}`,
    "    bootFiles:",
    `      bios: ${ctx.names.biosBootProgram}`,
    `      x64Uefi: ${ctx.names.uefiBootProgram}`,
    `    ipxeScript: ${ctx.names.ipxeScript}`,
    `  storage: { path: ${join(ctx.workDir, "leases.sqlite")} }`,
    `  http: { address: 127.0.0.1, port: ${LAB_HTTP_PORT} }`,
    "clients:",
    `  - name: ${ctx.client.hostname}`,
    "    kind: pxe",
    `    ip: ${ctx.client.ip}`,
    `    macs: [${ctx.client.mac}]`,
    "",
  ].join("\n");
}

export interface LaggbootServer extends LabServer {
  /** Parsed JSON log lines so far. */
  logLines(): Record<string, unknown>[];
  readonly configPath: string;
}

/** A starter for `withLab`; `inventory` defaults to `labInventory`. */
export function laggbootServe(inventory: (ctx: LabServerContext) => string = labInventory, extraArgs: readonly string[] = []): LabServerStarter {
  return async (ctx): Promise<LaggbootServer> => {
    const configPath = join(ctx.workDir, "laggboot.yaml");
    const log = join(ctx.workDir, "serve.log");
    writeFileSync(configPath, inventory(ctx));
    writeFileSync(log, "");
    const p = ctx.net.server.spawn(
      [process.execPath, LAGGBOOT_CLI, "serve", "--config", configPath, "--log-format", "json", "--log-level", "debug", ...extraArgs],
      { logFile: log },
    );
    await waitUntil("laggboot serve to bind 67 and 69", async () => {
      if (p.hasExited()) throw new Error(`laggboot serve exited: ${p.stderrText()}`);
      return (await udpPortBound(ctx.net.server, 67)) && (await udpPortBound(ctx.net.server, 69));
    }, 20_000);
    const logText = (): string => readFileSync(log, "utf8");
    return {
      name: "laggboot serve",
      configPath,
      logText,
      logLines: () =>
        logText()
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .flatMap((l) => {
            try {
              return [JSON.parse(l) as Record<string, unknown>];
            } catch {
              return [];
            }
          }),
      stop: async () => {
        await p.stop(12_000);
      },
    };
  };
}
