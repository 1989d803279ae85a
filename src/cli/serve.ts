/**
 * laggboot serve: DHCP (or ProxyDHCP), TFTP and the HTTP status endpoint in
 * one process, from one inventory.
 *
 * Signals: SIGHUP reloads the inventory atomically (an invalid one is
 * rejected and the old one keeps serving; a change that needs new sockets is
 * refused: restart). SIGTERM and SIGINT stop taking new work, let running
 * transfers finish within --grace, and exit 0.
 */
import { chownSync, existsSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { Option, type Command } from "commander";
import type { App as AppType } from "../app/app.js";
import { createLogger, parseLevel, type Logger } from "../app/logger.js";
import { formatFinding } from "../config/findings.js";
import type { Inventory } from "../config/types.js";
import { LaggbootError } from "../errors.js";
import type { WebHandle } from "../app/web.js";
import { EXIT, act, configPath, loadFile, loadValid } from "./common.js";
import { forInstance, pickInstance } from "../config/instance.js";
import { lookupIdentity } from "../app/unix-user.js";
import type { UnixIdentity } from "../app/unix-access.js";

interface ServeOptions {
  logLevel: string;
  logFormat?: string;
  pidfile?: string;
  grace: string;
  dhcpPort?: string;
  proxyPort?: string;
  tftpPort?: string;
  httpPort?: string;
  store?: string;
  instance?: string;
}

const portOpt = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new LaggbootError("LB_ERR_USAGE", `${name} must be a port number`);
  return n;
};

/** After binding: hand the database to the unprivileged user, then become it. */
function dropPrivileges(inv: Inventory, ids: UnixIdentity | undefined, storePath: string, log: Logger): boolean {
  const runAs = inv.server.runAs;
  if (!runAs || !ids) return false;
  const { uid, gid } = ids;
  if (storePath !== ":memory:") {
    const dir = dirname(storePath);
    chownSync(dir, uid, gid);
    for (const f of readdirSync(dir)) if (f.startsWith(storePath.slice(dir.length + 1))) chownSync(join(dir, f), uid, gid);
  }
  // The user's own supplementary groups, as initgroups(3) would set them (so a group granted read access to the TFTP root works), plus gid.
  process.setgroups?.(ids.groups);
  process.setgid!(gid);
  process.setuid!(uid);
  log.log("info", "dropped root privileges", { user: runAs.user, uid, gid });
  return true;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the boot server: DHCP or ProxyDHCP, TFTP and the HTTP status API")
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .option("--log-format <format>", "json or text (default: text on a terminal, json otherwise)")
    .option("--pidfile <file>", "write the process id here (laggboot reload signals it)")
    .option("--grace <seconds>", "on SIGTERM, how long running transfers may take to finish", "10")
    .option("--store <file>", "SQLite lease database instead of server.storage (\":memory:\" keeps nothing)")
    .option("--instance <name>", "which of server.instances this server is (default: the one with an address on this host)")
    .addOption(hidden("--dhcp-port <port>"))
    .addOption(hidden("--proxy-port <port>"))
    .addOption(hidden("--tftp-port <port>"))
    .addOption(hidden("--http-port <port>"))
    .action(act(async (opts: ServeOptions, cmd: Command) => {
      const level = parseLevel(opts.logLevel);
      if (!level) throw new LaggbootError("LB_ERR_USAGE", "--log-level must be debug, info, warn or error");
      const format = opts.logFormat ?? (process.stderr.isTTY ? "text" : "json");
      if (format !== "json" && format !== "text") throw new LaggbootError("LB_ERR_USAGE", "--log-format must be json or text");
      const graceMs = Number(opts.grace) * 1000;
      if (!Number.isFinite(graceMs) || graceMs < 0) throw new LaggbootError("LB_ERR_USAGE", "--grace must be a number of seconds");
      const log = createLogger({ level, format, write: (l) => process.stderr.write(l) });
      const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config);
      const loaded = loadValid(path);
      const instance = pickInstance(loaded, opts.instance, localAddresses());
      const inventory = instance === undefined ? loaded : forInstance(loaded, instance);
      const shared = opts.store === undefined && inventory.server.storage.kind === "postgres";
      const storePath = shared ? ":memory:" : opts.store ?? inventory.server.storage.path;
      // Resolve server.runAs before binding anything, so a typo fails fast.
      const runAs = inventory.server.runAs;
      const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
      const ids = runAs && isRoot ? lookupIdentity(runAs.user, runAs.group) : undefined;
      if (runAs && !isRoot) log.log("warn", "not running as root: server.runAs ignored", { user: runAs.user });
      // Loaded here so that check, render and apply do not pay for the servers.
      const { App, openSharedStore } = await import("../app/app.js");
      const { startWeb } = await import("../app/web.js");
      const store = shared ? await openSharedStore(inventory, log) : undefined;
      const app: AppType = new App(inventory, {
        inventoryPath: path, logger: log, storePath, ...(store === undefined ? {} : { store }),
        ports: { dhcp: portOpt(opts.dhcpPort, "--dhcp-port"), proxy: portOpt(opts.proxyPort, "--proxy-port"), tftp: portOpt(opts.tftpPort, "--tftp-port") },
      });
      const bound = await app.start();
      let web: WebHandle;
      try {
        web = await startWeb(app, { address: inventory.server.http.address, port: portOpt(opts.httpPort, "--http-port") ?? inventory.server.http.port, allowedHosts: inventory.server.http.allowedHosts });
      } catch (e) {
        await app.stop(0);
        throw e;
      }
      let dropped: boolean;
      try {
        dropped = dropPrivileges(inventory, ids, storePath, log);
      } catch (e) {
        await web.stop();
        await app.stop(0);
        throw e;
      }
      if (opts.pidfile) writeFileSync(opts.pidfile, `${process.pid}\n`);
      const s = inventory.server;
      log.log("info", "laggboot serving", {
        inventory: path, clients: inventory.clients.length, mode: s.dhcp.mode, ...(instance === undefined ? {} : { instance }),
        store: shared ? "postgres" : "sqlite",
        dhcp: [...new Set(s.networks.map((n) => n.serverAddress))].join(","), tftp: `${bound.tftp.address}:${bound.tftp.port}`,
        http: `http://${web.address}:${web.port}/`, pid: process.pid,
      });

      let current = inventory;
      let stopping = false;
      const reload = (): void => {
        const r = loadFile(path);
        let next = r.inventory;
        try {
          if (next !== undefined && instance !== undefined) next = forInstance(next, instance);
        } catch (e) {
          log.log("error", "reload rejected; still serving the previous inventory", { inventory: path, error: e instanceof Error ? e.message : String(e) });
          return;
        }
        if (!next) {
          log.log("error", "reload rejected: the inventory has errors; still serving the previous one", { inventory: path, errors: r.findings.filter((f) => f.severity === "error").map(formatFinding) });
          return;
        }
        const res = app.reload(next);
        if (!res.ok) {
          log.log("error", "reload refused; still serving the previous inventory", { reason: res.reason, privilegesDropped: dropped });
          return;
        }
        current = next;
        log.log("info", "reloaded", { inventory: path, clients: current.clients.length });
      };
      return await new Promise<number>((resolve) => {
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          log.log("info", "stopping", { signal, graceSeconds: graceMs / 1000 });
          void (async () => {
            await web.stop();
            await app.stop(graceMs);
            if (opts.pidfile && existsSync(opts.pidfile)) unlinkSync(opts.pidfile);
            log.log("info", "stopped");
            process.off("SIGHUP", reload);
            resolve(EXIT.ok);
          })();
        };
        process.on("SIGHUP", reload);
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
    }));
}

/** Every IPv4 address configured on this host (to find this host's instance). */
function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === "IPv4").map((a) => a.address));
}

function hidden(flags: string): Option {
  return new Option(flags).hideHelp();
}
