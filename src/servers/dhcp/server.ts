/**
 * The DHCP socket adapter: receives, rate-limits, asks the engine, makes the
 * lease writes durable, then sends. It holds no protocol rules. Every
 * decision becomes one `DhcpServerEvent` (for logs and the status API) and a
 * counter; per-client decisions are also recorded as boot events in the store.
 * One bad packet, engine bug or failed write never stops the server.
 */
import type { Store } from "../../store/index.js";
import { LaggbootError } from "../../errors.js";
import { dhcpDataPathChoice, loadNativeDhcp, type DhcpDataPath, type DhcpDataPathChoice } from "./native.js";
import { SLOT_BYTES } from "./native-socket.js";
import { OncePerInterval, RateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from "./rate-limit.js";
import { SocketSet, type BoundSocket, type SocketBackend } from "./sockets.js";
import {
  bump, newCounters, type Arrival, type DhcpCounters, type DhcpServerEvent, type Engine, type HandledVerdict, type IgnoreVerdict,
  type LeaseWrite, type ReplyVerdict,
} from "./types.js";

export interface DhcpServerOptions<Packet, Policy> {
  readonly engine: Engine<Packet, Policy>;
  readonly store: Store;
  /** Networks, reservations, mode: a value; `setPolicy` swaps it on reload. */
  readonly policy: Policy;
  /** Server address of each directly attached network (one bound socket each). */
  readonly serverAddresses: readonly string[];
  /** Also listen on the PXE boot-server port (ProxyDHCP mode). */
  readonly proxy: boolean;
  readonly ports?: { readonly server: number; readonly proxy: number };
  /** Normally "0.0.0.0". */
  readonly wildcardAddress?: string;
  readonly clock?: () => number;
  readonly onEvent?: (event: DhcpServerEvent) => void;
  readonly rateLimit?: RateLimitOptions;
  /** Unknown MACs are reported once per this interval. */
  readonly unknownClientLogMs?: number;
  /** SO_RCVBUF per socket (default 1 MiB; the kernel caps it at net.core.rmem_max). */
  readonly recvBufferBytes?: number;
  /**
   * Receive coalescing on the native data path (ms; 0 turns it off): while
   * requests keep coming, the sockets are drained every this many ms instead
   * of waking the process per datagram (docs/dhcp-server.md). Default:
   * LAGGBOOT_DHCP_COALESCE_MS, else DEFAULT_RECEIVE_COALESCE_MS.
   */
  readonly receiveCoalesceMs?: number;
  /** How long stop() waits for replies whose lease writes are in flight. */
  readonly stopGraceMs?: number;
  /** Socket layer: native addon, Node's dgram, or auto (default: LAGGBOOT_DHCP_DATAPATH, else auto). */
  readonly dataPath?: DhcpDataPathChoice;
  /** Where the one "using dgram because ..." line goes under auto (default console.warn). */
  readonly log?: (line: string) => void;
}

/** The auto fallback is reported once per process. */
let fallbackLogged = false;

export const DEFAULT_PORTS = { server: 67, proxy: 4011 } as const;

/**
 * A DHCP client waits seconds for an answer (RFC 2131 4.1: 4 s before its
 * first retransmission), so a few ms more is invisible to it. At 500
 * exchanges/s on the bench VM, 3-5 ms cut the server's CPU per exchange by a
 * quarter to a third (docs/benchmarks.md).
 */
export const DEFAULT_RECEIVE_COALESCE_MS = 4;
const MAX_RECEIVE_COALESCE_MS = 100;

/** The option if given, else LAGGBOOT_DHCP_COALESCE_MS (0..100), else the default; never a value the addon would refuse. */
export function receiveCoalesceMs(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.LAGGBOOT_DHCP_COALESCE_MS;
  const v = option ?? (fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : DEFAULT_RECEIVE_COALESCE_MS);
  return Number.isInteger(v) && v >= 0 ? Math.min(v, MAX_RECEIVE_COALESCE_MS) : DEFAULT_RECEIVE_COALESCE_MS;
}

/** Decisions of one packet after lost lease conflicts (shared store), beyond the first. */
const MAX_CONFLICT_RETRIES = 2;

/** Holds a burst of roughly a thousand requests where the kernel allows it (net.core.rmem_max). */
export const DEFAULT_RECV_BUFFER_BYTES = 1 << 20;

export class DhcpServer<Packet, Policy> {
  readonly counters: DhcpCounters = newCounters();
  private policy: Policy;
  private sockets: SocketSet | undefined;
  private accepting = false;
  /** Replies and handled messages whose writes are in flight; stop() waits for them. */
  private readonly inFlight = new Outstanding();
  /** Sends not settled yet (dgram callbacks, native sends queued on a full buffer); stop() waits for them too. */
  private readonly sending = new Outstanding();
  private readonly limiter: RateLimiter;
  private readonly unknownLog: OncePerInterval;
  private readonly clock: () => number;
  private readonly emit: (event: DhcpServerEvent) => void;

  constructor(private readonly options: DhcpServerOptions<Packet, Policy>) {
    this.policy = options.policy;
    this.clock = options.clock ?? Date.now;
    this.emit = options.onEvent ?? (() => undefined);
    this.limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.unknownLog = new OncePerInterval(options.unknownClientLogMs ?? 600_000);
  }

  async start(): Promise<void> {
    if (this.sockets !== undefined) return;
    const ports = this.options.ports ?? DEFAULT_PORTS;
    this.sockets = await SocketSet.open({
      wildcardAddress: this.options.wildcardAddress ?? "0.0.0.0",
      serverPort: ports.server,
      proxyPort: this.options.proxy ? ports.proxy : undefined,
      serverAddresses: this.options.serverAddresses,
      recvBufferBytes: this.options.recvBufferBytes ?? DEFAULT_RECV_BUFFER_BYTES,
      coalesceMs: receiveCoalesceMs(this.options.receiveCoalesceMs),
    }, (msg, address, port, on, truncated) => this.receive(msg, address, port, on, truncated), this.backend());
    this.accepting = true;
  }

  private backend(): SocketBackend {
    const choice = dhcpDataPathChoice(this.options.dataPath);
    if (choice === "node") return { path: "node" };
    const l = loadNativeDhcp();
    if (l.ok) return { path: "native", addon: l.addon };
    if (choice === "native") throw new LaggbootError("LB_ERR_DHCP_SOCKET", `dhcp: ${l.reason}`);
    if (!fallbackLogged) {
      fallbackLogged = true;
      (this.options.log ?? ((m: string) => console.warn(m)))(`dhcp: ${l.reason}; using Node's dgram sockets`);
    }
    return { path: "node" };
  }

  /** The socket layer in use once started. */
  get dataPath(): DhcpDataPath | undefined {
    return this.sockets?.dataPath;
  }

  /** Swap networks and reservations; packets already being handled finish with the old value. */
  setPolicy(policy: Policy): void {
    this.policy = policy;
  }

  /** Local addresses and ports bound, for logs and tests. */
  get bound(): readonly { address: string; port: number }[] {
    return (this.sockets?.all ?? []).map((b) => b.local());
  }

  /** Stop receiving, let replies whose writes are in flight go out (bounded wait), close the sockets. */
  async stop(): Promise<void> {
    this.accepting = false;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.options.stopGraceMs ?? 2000).unref());
    const settled = this.inFlight.drained().then(() => this.sending.drained());
    await Promise.race([settled, grace]);
    await this.sockets?.close();
    this.sockets = undefined;
  }

  private receive(msg: Buffer, sourceAddress: string, sourcePort: number, on: BoundSocket, truncated: boolean): void {
    if (!this.accepting) return;
    this.counters.received++;
    const nowMs = this.clock();
    let packet: Packet;
    let mac: string;
    try {
      if (truncated) throw new Error(`datagram longer than ${SLOT_BYTES} bytes (truncated)`);
      packet = this.options.engine.decode(msg);
      mac = this.options.engine.clientMac(packet);
    } catch (e) {
      this.counters.malformed++;
      this.emit({ type: "malformed", atMs: nowMs, from: `${sourceAddress}:${sourcePort}`, error: errorText(e) });
      return;
    }
    if (!this.limiter.allow(mac, nowMs)) {
      this.counters.rateLimited++;
      this.emit({ type: "rate-limited", atMs: nowMs, mac, from: `${sourceAddress}:${sourcePort}` });
      return;
    }
    const arrival: Arrival = {
      localPort: on.port, localAddress: on.address, sourceAddress, sourcePort,
    };
    this.dispatch(packet, mac, arrival, nowMs, 0);
  }

  /**
   * Decide and act. `attempt` counts decisions of this packet: a lease write
   * that lost to another server (LB_ERR_LEASE_CONFLICT, a shared store)
   * decides again once the store's view holds the winner, at most
   * MAX_CONFLICT_RETRIES times, so the client gets the next free address
   * (or a NAK) instead of silence.
   */
  private dispatch(packet: Packet, mac: string, arrival: Arrival, nowMs: number, attempt: number): void {
    let verdict;
    try {
      verdict = this.options.engine.decide(packet, { arrival, policy: this.policy, store: this.options.store, nowMs });
    } catch (e) {
      this.counters.engineErrors++;
      this.emit({ type: "engine-error", atMs: nowMs, mac, error: errorText(e) });
      return;
    }
    if (verdict.kind === "ignore") {
      this.ignored(verdict, nowMs);
      return;
    }
    if (verdict.kind === "handled") {
      this.track(this.handled(verdict, nowMs));
      return;
    }
    const retry = attempt < MAX_CONFLICT_RETRIES ? () => this.dispatch(packet, mac, arrival, nowMs, attempt + 1) : undefined;
    this.reply(verdict, nowMs, retry);
  }

  private ignored(verdict: IgnoreVerdict, nowMs: number): void {
    bump(this.counters.ignored, verdict.reason);
    if (verdict.unknownClient && verdict.mac !== undefined) {
      if (!this.unknownLog.shouldReport(verdict.mac, nowMs)) return;
      this.counters.unknownClientsLogged++;
      this.emit({ type: "unknown-client", atMs: nowMs, mac: verdict.mac, details: verdict.details });
      this.record(nowMs, "dhcp.unknown-client", verdict.mac, undefined, verdict.details);
      return;
    }
    this.emit({ type: "ignored", atMs: nowMs, mac: verdict.mac, reason: verdict.reason, details: verdict.details });
    if (verdict.mac !== undefined) this.record(nowMs, "dhcp.ignored", verdict.mac, undefined, { reason: verdict.reason, ...verdict.details });
  }

  private async handled(verdict: HandledVerdict, nowMs: number): Promise<void> {
    // Recorded first, so it rides the writes' transaction (see reply).
    this.record(nowMs, verdict.eventKind, verdict.mac, verdict.ip, verdict.details);
    if (!(await this.persist(verdict.writes, verdict.mac, nowMs))) return;
    bump(this.counters.handled, verdict.eventKind);
    this.emit({ type: "handled", atMs: nowMs, mac: verdict.mac, eventKind: verdict.eventKind, details: verdict.details });
  }

  /**
   * Sends at once when nothing needs to be durable first (a reservation's
   * reply, an OFFER from the pool): no promise, no await on the hot path;
   * its event is recorded once sent and rides the next batch.
   * A reply that waits for a write (an ACK's bound lease) has its event
   * recorded before the write: the store writes in order, so the event is in
   * the lease's transaction (or an earlier one) and is as durable as the
   * lease. A SIGKILL right after the ACK keeps both.
   */
  private reply(verdict: ReplyVerdict, nowMs: number, retry?: () => void): void {
    if (!this.shared && !needsWait(verdict.writes)) {
      this.applyUnwaited(verdict.writes, verdict.mac);
      this.send(verdict, nowMs, false);
      return;
    }
    if (verdict.writes.length === 0) {
      this.send(verdict, nowMs, false);
      return;
    }
    // A store of this server alone: the reply's event goes into the same
    // transaction as its lease, so an ACK event is as durable as the lease.
    // A shared store may refuse the write (a lost conflict decides again):
    // there the event is recorded when the reply really goes out.
    const recorded = !this.shared;
    if (recorded) this.recordReply(verdict, nowMs);
    // RFC 2131 4.3.1/4.3.2: the binding is recorded before the client hears of it.
    if (verdict.writes.length === 1) {
      // The usual case, an ACK's bound lease: one promise and two callbacks, no async function around it.
      this.inFlight.add();
      this.write(verdict.writes[0]!, verdict.mac)!.then(
        () => this.settle(() => this.send(verdict, nowMs, recorded)),
        (e: unknown) => this.settle(() => this.writeFailed(verdict.mac, e, nowMs, retry)),
      );
      return;
    }
    this.track(this.persist(verdict.writes, verdict.mac, nowMs, retry).then((ok) => {
      if (ok) this.send(verdict, nowMs, recorded);
    }));
  }

  /** A shared store: every write is waited for, OFFER holds included (see Store.shared). */
  private get shared(): boolean {
    return this.options.store.shared === true;
  }

  /** A lost conflict decides again (see dispatch); anything else is a store failure. */
  private writeFailed(mac: string | undefined, e: unknown, nowMs: number, retry: (() => void) | undefined): void {
    if (e instanceof LaggbootError && e.code === "LB_ERR_LEASE_CONFLICT") {
      this.counters.leaseConflicts++;
      if (retry !== undefined) {
        retry();
        return;
      }
    }
    this.storeFailed(mac, e, nowMs);
  }

  private recordReply(verdict: ReplyVerdict, nowMs: number): void {
    this.record(nowMs, verdict.eventKind, verdict.mac, verdict.ip, { to: `${verdict.toAddress}:${verdict.toPort}`, ...verdict.details });
  }

  /** `recorded`: the reply's event was recorded with its writes already (see reply). */
  private send(verdict: ReplyVerdict, nowMs: number, recorded: boolean): void {
    const sockets = this.sockets;
    if (sockets === undefined) return;
    const out = sockets.pick(verdict.fromAddress, verdict.fromProxyPort);
    this.sending.add();
    let now: Error | null | undefined;
    try {
      // The native path settles at once (null or an Error); dgram, or a full native send queue, calls back later.
      now = out.send(verdict.bytes, verdict.toPort, verdict.toAddress, (err) => this.sent(verdict, nowMs, err, recorded));
    } catch (e) {
      // A socket closed under us throws at once; counted like any other handling failure.
      this.counters.engineErrors++;
      this.emit({ type: "engine-error", atMs: this.clock(), mac: verdict.mac, error: errorText(e) });
      this.sending.done();
      return;
    }
    if (now !== undefined) this.sent(verdict, nowMs, now, recorded);
  }

  private sent(verdict: ReplyVerdict, nowMs: number, err: Error | null, recorded: boolean): void {
    const to = `${verdict.toAddress}:${verdict.toPort}`;
    if (err) {
      this.counters.sendErrors++;
      if (this.options.onEvent !== undefined) this.emit({ type: "send-error", atMs: this.clock(), mac: verdict.mac, to, error: err.message });
      // The event log already says this reply was made: it also says it did not leave.
      if (recorded) this.record(this.clock(), "dhcp.send-error", verdict.mac, verdict.ip, { to, messageType: verdict.messageType, error: err.message });
    } else {
      bump(this.counters.sent, verdict.messageType);
      if (this.options.onEvent !== undefined) {
        this.emit({ type: "reply", atMs: nowMs, mac: verdict.mac, messageType: verdict.messageType, to, details: verdict.details });
      }
      if (!recorded) this.recordReply(verdict, nowMs);
    }
    this.sending.done();
  }

  /** Writes nobody waits for (OFFER holds): applied to the store's view at once, failures counted. */
  private applyUnwaited(writes: readonly LeaseWrite[], mac: string): void {
    for (const w of writes) {
      if (w.kind === "commit") this.options.store.commitLease(w.lease).catch((e: unknown) => this.storeFailed(mac, e));
    }
  }

  /**
   * Durably apply the writes; false (and counted) when the store failed.
   * An OFFER's hold on a pool address is not waited for: it is in the
   * store's view at once, and after a crash the client simply DISCOVERs
   * again. Bound leases, removals and bad marks are waited for.
   */
  private async persist(writes: readonly LeaseWrite[], mac: string | undefined, nowMs: number, retry?: () => void): Promise<boolean> {
    if (writes.length === 0) return true;
    try {
      // Nearly always one write (the ACK's bound lease): no array of promises for it.
      if (writes.length === 1) await this.write(writes[0]!, mac);
      else await Promise.all(writes.map((w) => this.write(w, mac)));
      return true;
    } catch (e) {
      this.writeFailed(mac, e, nowMs, retry);
      return false;
    }
  }

  /** One write; undefined for an OFFER's hold, which nobody waits for (see persist). */
  private write(w: LeaseWrite, mac: string | undefined): Promise<void> | undefined {
    const store = this.options.store;
    switch (w.kind) {
      case "commit":
        if (w.lease.state === "offered" && !this.shared) {
          store.commitLease(w.lease).catch((e: unknown) => this.storeFailed(mac, e));
          return undefined;
        }
        return store.commitLease(w.lease);
      // Every removal the responder asks for is of the asking client's own lease: say so, so a shared store
      // never removes a lease another server has just given to someone else.
      case "remove": return store.removeLease(w.ip, mac);
      case "bad": return store.markBadAddress(w.bad);
    }
  }

  private storeFailed(mac: string | undefined, e: unknown, atMs = this.clock()): void {
    this.counters.storeErrors++;
    this.emit({ type: "store-error", atMs, mac, error: errorText(e) });
  }

  private record(atMs: number, kind: string, mac: string, ip: string | undefined, details: Readonly<Record<string, unknown>>): void {
    try {
      this.options.store.recordEvent({ atMs, kind, mac, ip, details });
    } catch (e) {
      this.counters.storeErrors++;
      this.emit({ type: "store-error", atMs, mac, error: errorText(e) });
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add();
    p.then(() => this.settle(), (e: unknown) => this.settle(() => {
      throw e;
    }));
  }

  /** Ends one in-flight item after running `last`; whatever `last` throws is counted, never an unhandled rejection. */
  private settle(last?: () => void): void {
    try {
      last?.();
    } catch (e) {
      this.counters.engineErrors++;
      this.emit({ type: "engine-error", atMs: this.clock(), mac: "", error: errorText(e) });
    }
    this.inFlight.done();
  }
}

/** A count of things under way, and a promise that resolves once none is. */
class Outstanding {
  private n = 0;
  private onZero: (() => void) | undefined;

  add(): void {
    this.n++;
  }

  done(): void {
    if (--this.n === 0) this.onZero?.();
  }

  drained(): Promise<void> {
    if (this.n === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.onZero = () => {
        this.onZero = undefined;
        resolve();
      };
    });
  }
}

/** Must the reply wait for a durable write? Not for OFFER holds only (see persist). */
function needsWait(writes: readonly LeaseWrite[]): boolean {
  for (const w of writes) if (w.kind !== "commit" || w.lease.state !== "offered") return true;
  return false;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
