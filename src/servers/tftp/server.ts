/**
 * The TFTP server: sockets, timers and bookkeeping around the pure codec
 * (src/wire/tftp) and state machines (src/protocol/tftp).
 *
 * Each transfer gets its own socket on a fresh port (RFC 1350 section 4, the
 * transfer ID), connected to the client so the kernel drops packets from
 * other peers. With `singlePort`, everything is answered from the listening
 * socket instead and packets are routed by the client's address and port.
 */
import dgram from "node:dgram";
import { promises as fsp } from "node:fs";
import { performance } from "node:perf_hooks";
import {
  decode,
  DecodeError,
  encode,
  ERROR_CODE,
  OPCODE,
  type RequestPacket,
  type TftpPacket,
} from "../../wire/tftp/index.js";
import { checkMode, checkPath, negotiate, Receiver, Sender, type TransferMode } from "../../protocol/tftp/index.js";
import { LaggbootError } from "../../errors.js";
import { bindUdp } from "../bind-error.js";
import { ReadTransfer, type TransferIo, type TransferResult } from "./read-transfer.js";
import { NativeReadTransfer } from "./native-transfer.js";
import { dataPathChoice, loadNative, type DataPath, type NativeAddon } from "./native.js";
import { WriteTransfer } from "./write-transfer.js";
import { openReadSource } from "./request-source.js";
import { openWriteTarget } from "./write-target.js";
import type { ClientRef, TftpServer, TftpServerDeps, TftpServerOptions, TftpStats, TransferEvent } from "./types.js";

export type { TftpServer, TftpServerDeps, TftpServerOptions, TftpStats, TransferEvent } from "./types.js";

const DEFAULTS = {
  port: 69,
  maxBlockSize: 65464,
  maxWindowSize: 64,
  maxTransfers: 256,
  maxTransfersPerClient: 16,
  maxPathBytes: 255,
  initialRtoMs: 500,
  minRtoMs: 50,
  // Above the common client timeout (5 s in atftp and tftp-hpa): a client that
  // stops answering repeats (atftp re-ACKs a block only once) only speaks again
  // after its own timer fires, which needs a quiet gap that long.
  maxRtoMs: 6000,
  maxRetries: 8,
  readAheadBlocks: 64,
  maxWriteBytes: 64 * 1024 * 1024,
  maxNetasciiBytes: 4 * 1024 * 1024,
} as const;

/** Opcode and block number (RFC 1350 section 5). */
const ACK_BYTES = 4;

/** A repeated RRQ twice while waiting for ACK 0 means the client ignores OACKs. */
const OACK_FALLBACK_AFTER_REPEATS = 2;

interface Slot {
  readonly client: ClientRef;
  transfer: ReadTransfer | NativeReadTransfer | WriteTransfer | undefined;
  socket: dgram.Socket | undefined;
}

type Cfg = Required<Omit<TftpServerOptions, "writableDir" | "singlePort" | "dataPath" | "gso">> &
  Pick<TftpServerOptions, "writableDir" | "dataPath"> & { singlePort: boolean; gso: boolean };

/** Said once per process when "auto" falls back to the pure-Node data path. */
let fallbackLogged = false;

export function createTftpServer(options: TftpServerOptions, deps: TftpServerDeps = {}): TftpServer {
  const cfg: Cfg = {
    ...DEFAULTS,
    singlePort: false,
    gso: process.env.LAGGBOOT_TFTP_GSO !== "0",
    ...stripUndefined(options),
    root: options.root,
    address: options.address,
  };
  const now = deps.now ?? (() => performance.now());
  const listeners = new Set<(ev: TransferEvent) => void>();
  const slots = new Map<string, Slot>();
  const perClient = new Map<string, number>();
  const counters = { started: 0, completed: 0, failed: 0, refused: 0, bytesSent: 0, bytesReceived: 0, malformedPackets: 0 };
  let main: dgram.Socket | undefined;
  let realRoot = "";
  let realWritable: string | undefined;
  let stopping = false;
  /** Set by start(): the native addon when read transfers use it. */
  let native: NativeAddon | undefined;
  let dataPath: DataPath = "node";

  const emit = (ev: TransferEvent): void => {
    for (const l of listeners) {
      try {
        l(ev);
      } catch {
        // A listener's failure must not break the server.
      }
    }
  };

  const sendFromMain = (msg: Buffer, client: ClientRef): void => {
    main?.send(msg, client.port, client.address, () => undefined);
  };

  function refuse(req: RequestPacket, client: ClientRef, code: number, message: string, reason: string, path?: string): void {
    counters.refused++;
    sendFromMain(encode({ type: "ERROR", code, message }), client);
    emit({
      clientAddress: client.address,
      clientPort: client.port,
      direction: req.type === "RRQ" ? "read" : "write",
      requested: req.filename,
      path,
      virtual: false,
      outcome: "refused",
      bytes: 0,
      sizeBytes: undefined,
      durationMs: 0,
      blockSize: 0,
      windowSize: 0,
      blocksResent: 0,
      clientErrorCode: undefined,
      reason,
    });
  }

  function release(key: string, slot: Slot): void {
    if (slots.get(key) !== slot) return;
    slots.delete(key);
    const n = (perClient.get(slot.client.address) ?? 1) - 1;
    if (n <= 0) perClient.delete(slot.client.address);
    else perClient.set(slot.client.address, n);
    slot.socket?.close();
    slot.socket = undefined;
  }

  async function transferSocket(slot: Slot, localAddress: string): Promise<dgram.Socket> {
    const s = dgram.createSocket({ type: "udp4" });
    s.on("message", (msg: Buffer) => {
      const t = slot.transfer;
      // The ACK of every block skips the decoder's object: opcode ACK and a
      // block number are all decode() would read from it (trailing bytes are tolerated there too).
      if (t instanceof ReadTransfer && msg.length >= ACK_BYTES && msg.readUInt16BE(0) === OPCODE.ACK) {
        t.onAck(msg.readUInt16BE(2));
        return;
      }
      const p = tryDecode(msg);
      if (p) t?.onPacket(p);
    });
    s.on("error", (e: NodeJS.ErrnoException) => {
      // ICMP port unreachable on a connected socket: the client has gone.
      if (e.code === "ECONNREFUSED") slot.transfer?.onClientGone();
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind({ address: localAddress, port: 0, exclusive: true }, () => {
        s.connect(slot.client.port, slot.client.address, () => {
          s.off("error", reject);
          resolve();
        });
      });
    });
    return s;
  }

  function tryDecode(msg: Buffer): TftpPacket | undefined {
    try {
      return decode(msg);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      counters.malformedPackets++;
      return undefined;
    }
  }

  async function openIo(slot: Slot): Promise<TransferIo> {
    if (cfg.singlePort) return { send: (m) => main?.send(m, slot.client.port, slot.client.address), now };
    const s = await transferSocket(slot, cfg.address);
    slot.socket = s;
    return {
      send: (m) => {
        if (slot.socket) s.send(m);
      },
      now,
    };
  }

  /** What one request carries through its start-up. */
  interface Start {
    readonly req: RequestPacket;
    readonly client: ClientRef;
    readonly key: string;
    readonly slot: Slot;
    readonly t0: number;
    readonly path: string;
    readonly mode: TransferMode;
    readonly refuse: (code: number, message: string, reason: string) => void;
  }

  async function startRequest(req: RequestPacket, client: ClientRef, key: string, slot: Slot): Promise<void> {
    const t0 = now();
    const refuseSlot = (code: number, message: string, reason: string, p?: string): void => {
      release(key, slot);
      refuse(req, client, code, message, reason, p);
    };
    const mode = checkMode(req);
    if (!mode.ok) return refuseSlot(mode.code, mode.message, mode.reason);
    const path = checkPath(req.filename, cfg.maxPathBytes);
    if (!path.ok) return refuseSlot(path.code, path.message, path.reason);
    const start: Start = {
      req,
      client,
      key,
      slot,
      t0,
      path: path.path,
      mode: mode.mode,
      refuse: (code, message, reason) => refuseSlot(code, message, reason, path.path),
    };
    return req.type === "RRQ" ? startRead(start) : startWrite(start);
  }

  async function startRead(st: Start): Promise<void> {
    const src = await openReadSource(realRoot, st.path, st.mode, st.client, deps.virtualFiles, cfg.maxNetasciiBytes);
    if (!src.ok) return st.refuse(src.code, src.message, src.reason);
    if (stopping) {
      await src.source.close();
      return st.refuse(ERROR_CODE.NOT_DEFINED, "server shutting down", "stopping");
    }
    const n = negotiate("read", st.req.options, cfg, src.source.sizeBytes);
    const sender = new Sender({
      sizeBytes: src.source.sizeBytes,
      blockSize: n.blockSize,
      windowSize: n.windowSize,
      sendOack: n.oack.length > 0,
      maxRetries: cfg.maxRetries,
      oackFallbackAfterRepeats: OACK_FALLBACK_AFTER_REPEATS,
      ...rtoBounds(n.timeoutSeconds),
    });
    const info = { ...st, direction: "read" as const, virtual: src.virtual, sizeBytes: src.source.sizeBytes };
    const onDone = (r: TransferResult): void => finish(info, r, sender.blockSize, sender.windowSize);
    const fd = src.source.fd;
    // The native data path takes files from the root on per-transfer sockets; memory sources
    // (virtual files, netascii) and single-port mode stay on the Node path.
    if (native && fd !== undefined && !cfg.singlePort) {
      let nt: NativeReadTransfer;
      try {
        nt = new NativeReadTransfer(sender, { ...src.source, fd }, n.oack, { addon: native, localAddress: cfg.address, client: st.client, gso: cfg.gso, decode: tryDecode }, onDone);
      } catch (e) {
        await src.source.close();
        return st.refuse(ERROR_CODE.NOT_DEFINED, "server error", `socket: ${String(e)}`);
      }
      st.slot.transfer = nt;
      counters.started++;
      nt.start();
      return;
    }
    let io: TransferIo;
    try {
      io = await openIo(st.slot);
    } catch (e) {
      await src.source.close();
      return st.refuse(ERROR_CODE.NOT_DEFINED, "server error", `socket: ${String(e)}`);
    }
    const t = new ReadTransfer(sender, src.source, n.oack, io, cfg.readAheadBlocks, onDone);
    st.slot.transfer = t;
    counters.started++;
    t.start();
  }

  async function startWrite(st: Start): Promise<void> {
    if (realWritable === undefined) {
      return st.refuse(ERROR_CODE.ACCESS_VIOLATION, "server is read-only", "write refused: read-only");
    }
    // Windowed writes are not offered: the receiver is lockstep.
    const n = negotiate("write", st.req.options, { maxBlockSize: cfg.maxBlockSize, maxWindowSize: 1 }, undefined);
    if (n.tsizeBytes !== undefined && n.tsizeBytes > cfg.maxWriteBytes) {
      return st.refuse(ERROR_CODE.DISK_FULL, "file too large", "tsize over limit");
    }
    const target = await openWriteTarget(realWritable, st.path);
    if (!target.ok) return st.refuse(target.code, target.message, target.reason);
    const discard = async (): Promise<void> => {
      await target.file.close();
      await fsp.unlink(target.tmpPath).catch(() => undefined);
    };
    if (stopping) {
      await discard();
      return st.refuse(ERROR_CODE.NOT_DEFINED, "server shutting down", "stopping");
    }
    const receiver = new Receiver({
      blockSize: n.blockSize,
      sendOack: n.oack.length > 0,
      maxRetries: cfg.maxRetries,
      maxBytes: cfg.maxWriteBytes,
      ...rtoBounds(n.timeoutSeconds),
    });
    let io: TransferIo;
    try {
      io = await openIo(st.slot);
    } catch (e) {
      await discard();
      return st.refuse(ERROR_CODE.NOT_DEFINED, "server error", `socket: ${String(e)}`);
    }
    const info = { ...st, direction: "write" as const, virtual: false, sizeBytes: undefined };
    const w = new WriteTransfer(receiver, target.file, target.tmpPath, target.finalPath, st.mode === "netascii", n.oack, io, (r) =>
      finish(info, r, n.blockSize, 1),
    );
    st.slot.transfer = w;
    counters.started++;
    w.start();
  }

  function rtoBounds(timeoutSeconds: number | undefined): { initialRtoMs: number; minRtoMs: number; maxRtoMs: number } {
    // RFC 2349: the client's timeout caps how long we wait before resending.
    const maxRtoMs = timeoutSeconds === undefined ? cfg.maxRtoMs : Math.min(cfg.maxRtoMs, timeoutSeconds * 1000);
    const minRtoMs = Math.min(cfg.minRtoMs, maxRtoMs);
    return { initialRtoMs: Math.min(cfg.initialRtoMs, maxRtoMs), minRtoMs, maxRtoMs };
  }

  interface FinishInfo extends Start {
    readonly direction: "read" | "write";
    readonly virtual: boolean;
    readonly sizeBytes: number | undefined;
  }

  function finish(i: FinishInfo, r: TransferResult, blockSize: number, windowSize: number): void {
    release(i.key, i.slot);
    if (r.outcome === "ok" || r.outcome === "probe") counters.completed++;
    else counters.failed++;
    if (i.direction === "read") counters.bytesSent += r.bytes;
    else counters.bytesReceived += r.bytes;
    emit({
      clientAddress: i.client.address,
      clientPort: i.client.port,
      direction: i.direction,
      requested: i.req.filename,
      path: i.path,
      virtual: i.virtual,
      outcome: r.outcome,
      bytes: r.bytes,
      sizeBytes: i.sizeBytes,
      durationMs: now() - i.t0,
      blockSize,
      windowSize,
      blocksResent: r.blocksResent,
      clientErrorCode: r.clientErrorCode,
      reason: r.reason,
    });
  }

  function onMainMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const client: ClientRef = { address: rinfo.address, port: rinfo.port };
    const key = `${rinfo.address}:${rinfo.port}`;
    let p: TftpPacket;
    try {
      p = decode(msg);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      counters.malformedPackets++;
      const op = msg.length >= 2 ? msg.readUInt16BE(0) : -1;
      // A broken request deserves an answer (RFC 1350 ERROR 4); other junk is dropped.
      if (op === OPCODE.RRQ || op === OPCODE.WRQ) {
        sendFromMain(encode({ type: "ERROR", code: ERROR_CODE.ILLEGAL_OPERATION, message: "malformed request" }), client);
      }
      return;
    }
    const existing = slots.get(key);
    if (existing) {
      if (p.type === "RRQ" || p.type === "WRQ") existing.transfer?.onRepeatedRequest();
      else if (cfg.singlePort) existing.transfer?.onPacket(p);
      return;
    }
    if (p.type !== "RRQ" && p.type !== "WRQ") {
      // RFC 1350 section 4: a packet for no known transfer gets ERROR 5 (single-port mode only;
      // on the listening port of the per-transfer mode such packets are simply stray).
      if (cfg.singlePort && p.type !== "ERROR") {
        sendFromMain(encode({ type: "ERROR", code: ERROR_CODE.UNKNOWN_TID, message: "unknown transfer ID" }), client);
      }
      return;
    }
    if (stopping) return;
    if (slots.size >= cfg.maxTransfers) {
      refuse(p, client, ERROR_CODE.NOT_DEFINED, "server busy, try again", "total transfer limit");
      return;
    }
    const n = perClient.get(rinfo.address) ?? 0;
    if (n >= cfg.maxTransfersPerClient) {
      refuse(p, client, ERROR_CODE.NOT_DEFINED, "too many transfers from this client", "per-client transfer limit");
      return;
    }
    perClient.set(rinfo.address, n + 1);
    const slot: Slot = { client, transfer: undefined, socket: undefined };
    slots.set(key, slot);
    const req = p;
    startRequest(req, client, key, slot).catch((e: unknown) => {
      release(key, slot);
      refuse(req, client, ERROR_CODE.NOT_DEFINED, "server error", `internal: ${String(e)}`);
    });
  }

  return {
    async start() {
      if (main) throw new LaggbootError("LB_ERR_INTERNAL", "tftp server already started");
      const choice = dataPathChoice(options.dataPath);
      if (choice !== "node") {
        const l = loadNative();
        if (l.ok) native = l.addon;
        else if (choice === "native") throw new LaggbootError("LB_ERR_IO", `tftp: ${l.reason}`);
        else if (!fallbackLogged) {
          fallbackLogged = true;
          (deps.log ?? ((m: string) => console.warn(m)))(`tftp: ${l.reason}; using the pure-Node data path`);
        }
      }
      dataPath = native ? "native" : "node";
      try {
        realRoot = await fsp.realpath(cfg.root);
        realWritable = cfg.writableDir === undefined ? undefined : await fsp.realpath(cfg.writableDir);
      } catch (e) {
        throw new LaggbootError("LB_ERR_IO", `tftp: cannot open root ${cfg.root}`, { cause: e });
      }
      const s = dgram.createSocket({ type: "udp4" });
      s.on("message", onMainMessage);
      s.on("error", () => undefined);
      try {
        await bindUdp(s, { service: "TFTP", proto: "udp", address: cfg.address, port: cfg.port }, { exclusive: true });
      } catch (e) {
        s.close();
        throw e;
      }
      main = s;
      const a = s.address();
      return { address: a.address, port: a.port };
    },

    async stop(graceMs: number) {
      stopping = true;
      // Per-transfer sockets carry the running transfers, so the listener can close now.
      if (!cfg.singlePort) closeMain();
      const deadline = now() + graceMs;
      while (slots.size > 0 && now() < deadline) await sleep(Math.min(50, Math.max(1, deadline - now())));
      for (const slot of [...slots.values()]) slot.transfer?.abort("server shutting down");
      // Aborted write transfers finish after their file is closed.
      const hardDeadline = now() + 2000;
      while (slots.size > 0 && now() < hardDeadline) await sleep(5);
      for (const [key, slot] of [...slots]) release(key, slot);
      closeMain();
    },

    get dataPath(): DataPath {
      return dataPath;
    },

    get stats(): TftpStats {
      return { active: slots.size, ...counters };
    },

    onTransfer(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  function closeMain(): void {
    const s = main;
    if (!s) return;
    main = undefined;
    try {
      s.close();
    } catch {
      // already closed
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
