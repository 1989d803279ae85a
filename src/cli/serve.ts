/**
 * laggboot serve: DHCP (or ProxyDHCP), TFTP, boot files over HTTP and the
 * HTTP status endpoint in one process, from one inventory.
 *
 * Start-up, in this order: signal handlers (so no signal meets Node's
 * default); the inventory; every listener bound as root; the pid file and the
 * control socket written as root; then the drop to server.runAs.
 * Reload: `laggboot reload` over the control socket, or SIGHUP (the server
 * reads the file itself); a failed reload is logged and the old inventory
 * keeps serving. SIGTERM and SIGINT stop taking new work, let running
 * transfers finish within --grace, remove the pid file and exit 0.
 */
import { chownSync, readdirSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname, join } from "node:path";
import { Option, type Command } from "commander";
import type { App as AppType } from "../app/app.js";
import { ControlServer, controlPathFor } from "../app/control-socket.js";
import { createLogger, parseLevel, type Logger } from "../app/logger.js";
import { PidFile } from "../app/pidfile.js";
import { Reloader, logFindings } from "../app/reloader.js";
import { SignalGate } from "../app/signals.js";
import type { Inventory } from "../config/types.js";
import { LaggbootError } from "../errors.js";
import type { WebHandle } from "../app/web.js";
import { EXIT, ProblemsFound, act, configPath, loadFile, readText } from "./common.js";
import { forInstance, pickInstance } from "../config/instance.js";
import { lookupIdentity } from "../app/unix-user.js";
import type { UnixIdentity } from "../app/unix-access.js";

interface ServeOptions {
  logLevel: string;
  logFormat?: string;
  pidfile?: string;
  control?: string;
  grace: string;
  dhcpPort?: string;
  proxyPort?: string;
  tftpPort?: string;
  httpPort?: string;
  httpBootPort?: string;
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

/** The inventory, its findings logged (so --log-format json covers them); exit 1 when it has errors. */
function loadForServe(path: string, log: Logger): Inventory {
  const r = loadFile(path);
  logFindings(log, r.findings);
  if (!r.inventory) throw new ProblemsFound(`${path}: ${r.findings.filter((f) => f.severity === "error").length} error(s); see "laggboot check ${path}"`);
  return r.inventory;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the boot server: DHCP or ProxyDHCP, TFTP and the HTTP status API")
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .option("--log-format <format>", "json or text (default: text on a terminal, json otherwise)")
    .option("--pidfile <file>", "write the process id here (as root, before dropping privileges), and the control socket laggboot reload uses beside it (.pid -> .sock)")
    .option("--control <socket>", "the control socket (default: beside --pidfile; none without one)")
    .option("--grace <seconds>", "on SIGTERM, how long running transfers may take to finish", "10")
    .option("--store <file>", "SQLite lease database instead of server.storage (\":memory:\" keeps nothing)")
    .option("--instance <name>", "which of server.instances this server is (default: the one with an address on this host)")
    .addOption(hidden("--dhcp-port <port>"))
    .addOption(hidden("--proxy-port <port>"))
    .addOption(hidden("--tftp-port <port>"))
    .addOption(hidden("--http-port <port>"))
    .addOption(hidden("--http-boot-port <port>"))
    .action(act(async (opts: ServeOptions, cmd: Command) => {
      const signals = new SignalGate();
      try {
        return await serve(opts, configPath(cmd.optsWithGlobals<{ config?: string }>().config), signals);
      } finally {
        signals.dispose();
      }
    }));
}

async function serve(opts: ServeOptions, path: string, signals: SignalGate): Promise<number> {
  const level = parseLevel(opts.logLevel);
  if (!level) throw new LaggbootError("LB_ERR_USAGE", "--log-level must be debug, info, warn or error");
  const format = opts.logFormat ?? (process.stderr.isTTY ? "text" : "json");
  if (format !== "json" && format !== "text") throw new LaggbootError("LB_ERR_USAGE", "--log-format must be json or text");
  const graceMs = Number(opts.grace) * 1000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new LaggbootError("LB_ERR_USAGE", "--grace must be a number of seconds");
  const ports = { dhcp: portOpt(opts.dhcpPort, "--dhcp-port"), proxy: portOpt(opts.proxyPort, "--proxy-port"), tftp: portOpt(opts.tftpPort, "--tftp-port"),
    httpBoot: portOpt(opts.httpBootPort, "--http-boot-port") };
  const httpPort = portOpt(opts.httpPort, "--http-port");
  const log = createLogger({ level, format, write: (l) => process.stderr.write(l) });
  const loaded = loadForServe(path, log);
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
  const app: AppType = new App(inventory, { inventoryPath: path, logger: log, storePath, ports, ...(store === undefined ? {} : { store }) });
  const bound = await app.start();
  let web: WebHandle | undefined;
  let pid: PidFile | undefined;
  let control: ControlServer | undefined;
  let dropped = false;
  const releasePid = (): void => pid?.release();
  const reloader = new Reloader({
    app, log, path, readFile: () => readText(path), droppedTo: () => (dropped ? runAs?.user : undefined),
    ...(instance === undefined ? {} : { select: (next: Inventory) => forInstance(next, instance) }),
  });
  try {
    web = await startWeb(app, { address: inventory.server.http.address, port: httpPort ?? inventory.server.http.port, allowedHosts: inventory.server.http.allowedHosts });
    // Still root: /run and /var/run take files from root only.
    if (opts.pidfile !== undefined) {
      pid = PidFile.write(opts.pidfile);
      process.once("exit", releasePid); // also when a bug ends the process (main.ts: exit 70)
    }
    const controlPath = opts.control ?? (opts.pidfile === undefined ? undefined : controlPathFor(opts.pidfile));
    if (controlPath !== undefined) {
      control = await ControlServer.open(controlPath, (req) => reloader.fromRequest(req), (why) => log.log("warn", "control socket: bad request ignored", { why }));
    }
    dropped = dropPrivileges(inventory, ids, storePath, log);
  } catch (e) {
    await control?.close();
    await web?.stop();
    await app.stop(0);
    releasePid();
    throw e;
  }
  const s = inventory.server;
  log.log("info", "laggboot serving", {
    inventory: path, clients: inventory.clients.length, mode: s.dhcp.mode, ...(instance === undefined ? {} : { instance }),
    store: shared ? "postgres" : "sqlite",
    dhcp: [...new Set(s.networks.map((n) => n.serverAddress))].join(","), tftp: `${bound.tftp.address}:${bound.tftp.port}`,
    httpBoot: bound.httpBoot ? `http://${bound.httpBoot.address}:${bound.httpBoot.port}/` : "off",
    http: `http://${web.address}:${web.port}/`, pid: process.pid, control: control?.path,
  });
  const running = web;
  await signals.run({
    reload: () => void reloader.fromFile(),
    stop: async (signal) => {
      log.log("info", "stopping", { signal, graceSeconds: graceMs / 1000 });
      await control?.close();
      await running.stop();
      await app.stop(graceMs);
      releasePid();
      process.off("exit", releasePid);
      log.log("info", "stopped");
    },
  });
  return EXIT.ok;
}

/** Every IPv4 address configured on this host (to find this host's instance). */
function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === "IPv4").map((a) => a.address));
}

function hidden(flags: string): Option {
  return new Option(flags).hideHelp();
}
