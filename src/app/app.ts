/**
 * The one place that builds concrete objects from the inventory: store, DHCP
 * service, TFTP server, boot-file HTTP server, status tracker, logs. Reload swaps what can change
 * without new sockets and refuses the rest with a reason.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import type { Inventory } from "../config/types.js";
import { LaggbootError } from "../errors.js";
import { createDhcpService, type DhcpService, type DhcpServerEvent } from "../servers/dhcp/index.js";
import { createTftpServer } from "../servers/tftp/index.js";
import type { TftpServer, TransferEvent } from "../servers/tftp/types.js";
import { createHttpBootServer, type HttpBootServer, type HttpTransferEvent } from "../servers/http-boot/index.js";
import { openPostgresStore, openSqliteStore, type BootEvent, type Store } from "../store/index.js";
import { bootScriptProvider, httpBaseUrl, tftpBaseUrl } from "./boot-scripts.js";
import { clusterStatus, MismatchWatch } from "./cluster.js";
import { dhcpPolicyFromInventory } from "./dhcp-policy.js";
import type { Logger } from "./logger.js";
import { StatusTracker } from "./status-tracker.js";
import type { HealthReport, StatusSource } from "./status-types.js";

const PRUNE_INTERVAL_MS = 60_000;

export interface AppOptions {
  readonly inventoryPath: string;
  readonly logger: Logger;
  /** Ports, overridable for tests (defaults 67, 4011 and the inventory's TFTP and HTTP boot ports). */
  readonly ports?: { readonly dhcp?: number; readonly proxy?: number; readonly tftp?: number; readonly httpBoot?: number };
  /** Open the store at this path instead of the inventory's (tests: ":memory:"). */
  readonly storePath?: string;
  /** A store opened already (openSharedStore, for storage kind postgres); the App closes it. */
  readonly store?: Store;
  readonly clock?: () => number;
}

export interface ReloadResult {
  readonly ok: boolean;
  readonly reason?: string;
}

/** What a change of inventory touches that a running process cannot change. */
export function restartNeeded(a: Inventory, b: Inventory): string | undefined {
  const sa = a.server, sb = b.server;
  const reasons: string[] = [];
  const dhcpSockets = (i: Inventory) => `${i.server.dhcp.mode}|${[...new Set(i.server.networks.map((n) => n.serverAddress))].sort().join(",")}`;
  if (dhcpSockets(a) !== dhcpSockets(b)) reasons.push("the DHCP mode or the server addresses changed (new sockets on privileged ports 67/4011)");
  if (sa.tftp.address !== sb.tftp.address || sa.tftp.port !== sb.tftp.port) reasons.push(`the TFTP address changed (${sa.tftp.address}:${sa.tftp.port} -> ${sb.tftp.address}:${sb.tftp.port}, a privileged port)`);
  const tftpKeys = ["root", "writableDir", "singlePort", "maxTransfers", "maxTransfersPerClient"] as const;
  for (const k of tftpKeys) if (sa.tftp[k] !== sb.tftp[k]) reasons.push(`server.tftp.${k} changed`);
  if (sa.http.address !== sb.http.address || sa.http.port !== sb.http.port || sa.http.allowedHosts.join() !== sb.http.allowedHosts.join()) reasons.push("the HTTP address or allowed host names changed");
  const hb = (i: Inventory): string => {
    const h = i.server.httpBoot;
    return h === undefined ? "off" : `${h.address}:${h.port}|${h.maxConnections}|${h.maxConnectionsPerClient}|${h.listDirectories}|${i.server.tftp.root}`;
  };
  // protocol and protocolByArch are DHCP policy: they reload.
  if (hb(a) !== hb(b)) reasons.push("server.httpBoot's listener changed (address, port, limits or directory pages)");
  if (sa.storage.path !== sb.storage.path) reasons.push("server.storage.path changed");
  if (sa.storage.kind !== sb.storage.kind || JSON.stringify(sa.storage.postgres) !== JSON.stringify(sb.storage.postgres)) reasons.push("server.storage changed");
  if (sa.instance !== sb.instance) reasons.push("this server's instance changed");
  if ((sa.runAs?.user ?? "") !== (sb.runAs?.user ?? "") || (sa.runAs?.group ?? "") !== (sb.runAs?.group ?? "")) reasons.push("server.runAs changed");
  return reasons.length > 0 ? reasons.join("; ") : undefined;
}

/** This server's name among those sharing a store: its instance, else the host name. */
export function serverName(inventory: Inventory): string {
  return inventory.server.instance ?? hostname();
}

/** The shared store of storage kind postgres; the database may be down (the store reconnects), a newer schema is refused. */
export async function openSharedStore(inventory: Inventory, logger: Logger): Promise<Store> {
  const s = inventory.server;
  const pg = s.storage.postgres;
  if (pg === undefined) throw new LaggbootError("LB_ERR_INTERNAL", "storage kind postgres without postgres settings");
  const index = s.instances.findIndex((i) => i.name === s.instance);
  return openPostgresStore({
    source: pg.connectionFile !== undefined ? { connectionFile: pg.connectionFile } : { connection: pg.connection ?? "" },
    serverName: serverName(inventory), inventoryHash: inventory.hash, laggbootVersion: laggbootVersion(),
    maxQueuedEvents: pg.eventQueue,
    ...(index >= 0 ? { allocationSlot: { index, count: s.instances.length } } : {}),
    log: (level, message, fields) => logger.log(level, message, fields ?? {}),
  });
}

function laggbootVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "";
  } catch {
    return "";
  }
}

export class App implements StatusSource {
  private inventory: Inventory;
  private readonly store: Store;
  private readonly dhcp: DhcpService;
  private readonly tftp: TftpServer;
  private readonly httpBoot: HttpBootServer | undefined;
  private readonly tracker: StatusTracker;
  private readonly listeners = new Set<(e: BootEvent) => void>();
  private readonly startedAtMs: number;
  private readonly clock: () => number;
  private services: Record<string, "running" | "stopped" | "failed"> = { dhcp: "stopped", tftp: "stopped" };
  /** Appended to by the web layer (metrics) and tests. */
  readonly transferListeners = new Set<(e: TransferEvent) => void>();
  readonly httpTransferListeners = new Set<(e: HttpTransferEvent) => void>();
  readonly dhcpListeners = new Set<(e: DhcpServerEvent) => void>();
  metricsRenderer: () => string = () => "";
  private pruneTimer: ReturnType<typeof setInterval> | undefined;
  private tftpPort: number;
  private httpBootPort = 0;
  private clusterTimer: ReturnType<typeof setInterval> | undefined;
  /** Set on a shared store: the name this server's answers carry in the status. */
  private readonly answeredBy: string | undefined;

  constructor(inventory: Inventory, private readonly opts: AppOptions) {
    this.inventory = inventory;
    this.clock = opts.clock ?? Date.now;
    this.startedAtMs = this.clock();
    this.tracker = new StatusTracker(inventory);
    this.store = this.observed(opts.store ?? openLocalStore(opts.storePath ?? inventory.server.storage.path));
    const cluster = this.store.cluster;
    this.answeredBy = cluster?.serverName;
    // A shared store tells of every event, this server's and the others' (their answers and transfers go into the status too).
    cluster?.onEvent((e) => {
      if (e.server !== cluster.serverName) this.tracker.onStoreEvent(e);
      for (const l of this.listeners) l(e);
    });
    this.dhcp = createDhcpService({
      policy: dhcpPolicyFromInventory(inventory),
      store: this.store,
      clock: this.clock,
      unknownClientLogMs: inventory.server.dhcp.unknownClientLogSeconds * 1000,
      ports: { server: opts.ports?.dhcp ?? 67, proxy: opts.ports?.proxy ?? 4011 },
      onEvent: (e) => this.onDhcp(e),
      log: (message) => opts.logger.log("warn", message),
    });
    const t = inventory.server.tftp;
    this.tftpPort = opts.ports?.tftp ?? t.port;
    // Linux clients' iPXE scripts, rendered from the current inventory at each request.
    const bootScripts = bootScriptProvider(() => this.inventory, tftpBaseUrl(() => this.tftpPort));
    this.tftp = createTftpServer({
      root: t.root,
      address: t.address,
      port: opts.ports?.tftp ?? t.port,
      singlePort: t.singlePort,
      writableDir: t.writableDir === undefined ? undefined : `${t.root}/${t.writableDir}`,
      maxTransfers: t.maxTransfers,
      maxTransfersPerClient: t.maxTransfersPerClient,
    }, { log: (message) => opts.logger.log("warn", message), virtualFiles: (_client, path) => bootScripts(path) });
    this.tftp.onTransfer((e) => this.onTransfer(e));
    const h = inventory.server.httpBoot;
    if (h) {
      this.services.httpBoot = "stopped";
      this.httpBootPort = opts.ports?.httpBoot ?? h.port;
      const httpScripts = bootScriptProvider(() => this.inventory, httpBaseUrl(() => this.httpBootPort));
      this.httpBoot = createHttpBootServer({
        root: t.root, address: h.address, port: this.httpBootPort,
        maxConnections: h.maxConnections, maxConnectionsPerClient: h.maxConnectionsPerClient, listDirectories: h.listDirectories,
      }, { virtualFiles: (_client, path) => httpScripts(path) });
      this.httpBoot.onTransfer((e) => this.onHttpTransfer(e));
    }
  }

  /** The store, with every recorded event also pushed to live subscribers. */
  private observed(inner: Store): Store {
    const listeners = this.listeners;
    const recordEvent = (e: Parameters<Store["recordEvent"]>[0]): void => {
      inner.recordEvent(e);
      // Reading the event back costs a parse of its details: only when someone listens. A shared store tells itself (onEvent).
      if (listeners.size === 0 || inner.cluster !== undefined) return;
      const [newest] = inner.events({ limit: 1 });
      if (newest) for (const l of listeners) l(newest);
    };
    // The DHCP server calls the store several times per packet: each method is bound once, not on every access.
    const bound = new Map<PropertyKey, unknown>();
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === "recordEvent") return recordEvent;
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        let f = bound.get(prop);
        if (f === undefined) {
          f = (v as (...a: unknown[]) => unknown).bind(target);
          bound.set(prop, f);
        }
        return f;
      },
    });
  }

  private onDhcp(e: DhcpServerEvent): void {
    const client = this.tracker.onDhcp(e, this.answeredBy);
    const log = this.opts.logger;
    // Per-packet lines (info, debug) build their fields only when the level keeps them.
    // While a shared store is unreachable every pool request fails its write: the store logged the outage once.
    const level = e.type === "reply" || e.type === "handled" || e.type === "unknown-client" ? "info"
      : e.type === "ignored" || e.type === "malformed" || e.type === "rate-limited" ? "debug"
      : e.type === "store-error" && this.store.cluster?.online() === false ? "debug" : "error";
    if (log.enabled?.(level) === false) {
      for (const l of this.dhcpListeners) l(e);
      return;
    }
    switch (e.type) {
      case "reply":
        log.log("info", "dhcp reply", { client: client?.name ?? null, mac: e.mac, type: e.messageType, to: e.to, ...pick(e.details, ["bootFile", "freebsdLoader", "ipxe", "httpBoot", "network"]) });
        break;
      case "handled":
        log.log("info", `dhcp ${e.eventKind}`, { client: client?.name ?? null, mac: e.mac });
        break;
      case "unknown-client":
        log.log("info", "dhcp unknown client ignored", { mac: e.mac, ...e.details });
        break;
      case "ignored":
        log.log("debug", "dhcp ignored", { mac: e.mac, reason: e.reason, ...e.details });
        break;
      case "malformed":
        log.log("debug", "dhcp malformed packet dropped", { from: e.from, error: e.error });
        break;
      case "rate-limited":
        log.log("debug", "dhcp rate-limited", { mac: e.mac, from: e.from });
        break;
      default:
        log.log("error", `dhcp ${e.type}`, { ...e });
    }
    for (const l of this.dhcpListeners) l(e);
  }

  private onTransfer(e: TransferEvent): void {
    const atMs = this.clock();
    const client = this.tracker.onTransferAt(e, atMs);
    this.opts.logger.log(e.outcome === "ok" || e.outcome === "probe" ? "info" : "warn", "tftp transfer", {
      client: client?.name ?? null, from: `${e.clientAddress}:${e.clientPort}`, file: e.path ?? e.requested, outcome: e.outcome,
      bytes: e.bytes, ms: Math.round(e.durationMs), blksize: e.blockSize, windowsize: e.windowSize, reason: e.reason,
    });
    if (client) {
      this.store.recordEvent({ atMs, kind: e.outcome === "ok" ? "tftp.sent" : `tftp.${e.outcome}`, mac: client.macs[0]!, ip: e.clientAddress, details: { file: e.path ?? e.requested, bytes: e.bytes, durationMs: Math.round(e.durationMs) } });
    }
    for (const l of this.transferListeners) l(e);
  }

  private onHttpTransfer(e: HttpTransferEvent): void {
    const atMs = this.clock();
    const client = this.tracker.onTransferAt(e, atMs, "http");
    const quiet = e.outcome === "ok" || e.outcome === "partial" || e.outcome === "probe" || e.outcome === "not-modified" || e.outcome === "redirect";
    this.opts.logger.log(quiet ? "info" : "warn", "http transfer", {
      client: client?.name ?? null, from: `${e.clientAddress}:${e.clientPort}`, method: e.method, file: e.path ?? e.requested, status: e.status,
      outcome: e.outcome, bytes: e.bytes, ms: Math.round(e.durationMs), range: e.range ? `${e.range.start}-${e.range.end}` : undefined, reason: e.reason,
    });
    if (client) {
      this.store.recordEvent({ atMs, kind: e.outcome === "ok" ? "http.sent" : `http.${e.outcome}`, mac: client.macs[0]!, ip: e.clientAddress, details: { file: e.path ?? e.requested, status: e.status, bytes: e.bytes, durationMs: Math.round(e.durationMs) } });
    }
    for (const l of this.httpTransferListeners) l(e);
  }

  async start(): Promise<{ tftp: { address: string; port: number }; httpBoot?: { address: string; port: number } }> {
    try {
      await this.dhcp.start();
      this.services.dhcp = "running";
    } catch (e) {
      this.services.dhcp = "failed";
      await this.store.close();
      throw e;
    }
    let tftp: { address: string; port: number };
    try {
      tftp = await this.tftp.start();
      this.tftpPort = tftp.port;
      this.services.tftp = "running";
    } catch (e) {
      this.services.tftp = "failed";
      await this.dhcp.stop();
      await this.store.close();
      throw e;
    }
    let httpBoot: { address: string; port: number } | undefined;
    if (this.httpBoot) {
      try {
        httpBoot = await this.httpBoot.start();
        this.httpBootPort = httpBoot.port;
        this.services.httpBoot = "running";
      } catch (e) {
        this.services.httpBoot = "failed";
        await Promise.all([this.dhcp.stop(), this.tftp.stop(0)]);
        await this.store.close();
        throw e;
      }
    }
    this.startPruning();
    this.watchCluster();
    return httpBoot ? { tftp, httpBoot } : { tftp };
  }

  /** Expired pool leases and old DECLINE marks go once a minute (RFC 2131 4.3.1 lets expired addresses be reused). */
  private startPruning(): void {
    this.pruneTimer = setInterval(() => {
      this.store.pruneExpired(this.clock()).catch((e: unknown) => this.opts.logger.log("error", "pruning expired leases failed", { error: String(e) }));
    }, PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  /** On a shared store: warn (once each) about servers running another inventory. */
  private watchCluster(): void {
    if (this.store.cluster === undefined) return;
    const watch = new MismatchWatch(this.opts.logger);
    const check = (): void => {
      const c = this.health().cluster;
      if (c !== undefined) watch.check(c);
    };
    check();
    this.clusterTimer = setInterval(check, 5000);
    this.clusterTimer.unref();
  }

  /** Stop taking new work; running transfers get `graceMs` to finish. */
  async stop(graceMs: number): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.clusterTimer) clearInterval(this.clusterTimer);
    await Promise.all([this.dhcp.stop(), this.tftp.stop(graceMs), this.httpBoot?.stop(graceMs)]);
    this.services = this.httpBoot ? { dhcp: "stopped", tftp: "stopped", httpBoot: "stopped" } : { dhcp: "stopped", tftp: "stopped" };
    await this.store.close();
  }

  reload(next: Inventory): ReloadResult {
    const why = restartNeeded(this.inventory, next);
    if (why) return { ok: false, reason: `${why}: restart laggboot to apply this change` };
    if (!this.dhcp.reload(dhcpPolicyFromInventory(next))) return { ok: false, reason: "the DHCP sockets would change: restart laggboot to apply this change" };
    this.inventory = next;
    this.tracker.setInventory(next);
    this.store.cluster?.setInventoryHash(next.hash);
    return { ok: true };
  }

  get counters() {
    const c = this.store.cluster;
    const store = c === undefined ? undefined : { online: c.online(), queuedEvents: c.queuedEvents, droppedEvents: c.droppedEvents };
    return { dhcp: this.dhcp.server.counters, tftp: this.tftp.stats, httpBoot: this.httpBoot?.stats, store };
  }

  // StatusSource
  clients() {
    return this.tracker.clients();
  }
  leases() {
    return this.store.listLeases();
  }
  events(q: { mac?: string; afterId?: number; limit?: number }) {
    return this.store.events(q);
  }
  subscribe(listener: (e: BootEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  health(): HealthReport {
    const cluster = this.store.cluster;
    return {
      ok: Object.values(this.services).every((s) => s === "running"), startedAtMs: this.startedAtMs, inventory: this.opts.inventoryPath, services: { ...this.services },
      ...(cluster === undefined ? {} : { cluster: clusterStatus(cluster, this.inventory.hash) }),
    };
  }
  metrics(): string {
    return this.metricsRenderer();
  }
}

function openLocalStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  return openSqliteStore({ path });
}

function pick(o: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
