/**
 * `laggboot serve` as the lab's boot server: writes an inventory for the
 * lab (or the caller's own, from the same facts), runs the real CLI inside
 * the server namespace, and resolves once DHCP (67), TFTP (69) and, when the
 * inventory has server.httpBoot, HTTP (80) are bound.
 * Logs are JSON lines on stderr, kept in WORKDIR/serve.log and parsed for
 * tests that wait on a decision.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LabServer, LabServerContext, LabServerStarter } from "./lab.js";
import { tcpPortListening, udpPortBound } from "./net.js";
import { waitUntil } from "./proc.js";

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/main.js, from dist/src/lab. */
export const LAGGBOOT_CLI = resolve(here, "../cli/main.js");

/** Port of the HTTP API inside the server namespace (127.0.0.1 there). */
export const LAB_HTTP_PORT = 8067;
/** Port of the boot-file HTTP server on the lab link. */
export const LAB_HTTP_BOOT_PORT = 80;

/** How the lab's iPXE fetches its script, kernel and initrd. */
export type LabProtocol = "http" | "tftp";

/**
 * The lab's inventory, shaped like the example `laggboot init` writes: one
 * network, boot programs by architecture, an iPXE script, a FreeBSD lagg
 * laptop (it has no machine in the lab and never boots; it shows what a real
 * site lists) and the `pxe` client QEMU plays, with its reservation. A client
 * that already runs iPXE gets the script; OVMF's own PXE gets ipxe.efi first.
 * With `protocol` "http" (the default) iPXE gets its script as an http://
 * URL, and the script's relative names (kernel, initrd.gz) resolve against
 * it: kernel and initrd come over HTTP. Firmware PXE stays TFTP.
 */
export function labInventory(ctx: LabServerContext, protocol: LabProtocol = "http"): string {
  const a = ctx.net.addresses;
  const laptopIp = a.clientIp.replace(/\.\d+$/, ".20");
  return [
    "# laggboot lab inventory (written by the lab; see docs/lab.md)",
    "version: 1",
    "server:",
    `  address: ${a.serverIp}`,
    "  networks:",
    "    - name: lab",
    `      prefix: ${a.subnet}`,
    `      serverAddress: ${a.serverIp}`,
    "      domain: lab.example",
    "  dhcp:",
    "    mode: full",
    "  tftp:",
    `    root: ${ctx.tftpRoot}`,
    "    bootFiles:",
    `      bios: ${ctx.names.biosBootProgram}       # option 93 = 0: a plain PXE ROM`,
    `      x64Uefi: ${ctx.names.uefiBootProgram}         # option 93 = 7 and 9: OVMF's own PXE`,
    `    ipxeScript: ${ctx.names.ipxeScript}          # for clients already running iPXE`,
    "  httpBoot:",
    `    port: ${LAB_HTTP_BOOT_PORT}                      # boot files over HTTP on ${a.serverIp} (server.tftp.address)`,
    `    protocol: ${protocol}                  # http: iPXE fetches its script, kernel and initrd over HTTP`,
    "  nfs:",
    `    rootsDir: ${join(ctx.workDir, "diskless")}`,
    `  storage: { path: ${join(ctx.workDir, "leases.sqlite")} }`,
    `  http: { address: 127.0.0.1, port: ${LAB_HTTP_PORT} }`,
    "clients:",
    "  # A FreeBSD diskless laptop (wired re0 + Wi-Fi ath0 in a lagg); not in the lab.",
    "  - name: laptop",
    "    kind: freebsd-lagg",
    `    ip: ${laptopIp}`,
    "    macs: [02:00:00:00:00:20]",
    "    wired: re0",
    "    wifi: { parent: ath0, ssid: lab, passphrase: \"lab passphrase only\" }",
    "    root: { layout: own }",
    "  # The QEMU machine: iPXE BIOS ROM, or OVMF's own PXE chainloading ipxe.efi.",
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
    const http = /^ {2}httpBoot:/m.test(readFileSync(configPath, "utf8"));
    await waitUntil(`laggboot serve to bind 67, 69${http ? " and 80" : ""}`, async () => {
      if (p.hasExited()) throw new Error(`laggboot serve exited: ${p.stderrText()}`);
      return (await udpPortBound(ctx.net.server, 67)) && (await udpPortBound(ctx.net.server, 69)) && (!http || (await tcpPortListening(ctx.net.server, LAB_HTTP_BOOT_PORT)));
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
