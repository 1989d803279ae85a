/**
 * A discrete-event simulation of one TFTP read: the pure Sender on one side,
 * a model RFC 7440 client on the other, and a network that loses, delays
 * (and so reorders) and duplicates packets, all on a virtual clock driven by
 * a seeded generator. Used by the state-machine tests.
 */
import { LIMITS } from "../../src/wire/tftp/index.js";
import { Sender, type SenderAction, type TransferOutcome } from "../../src/protocol/tftp/index.js";

export interface SimNetwork {
  readonly lossRate: number;
  readonly dupRate: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Duplicate only client -> server packets (ACKs). */
  readonly dupToServerOnly?: boolean;
}

export interface SimConfig {
  readonly sizeBytes: number;
  readonly blockSize: number;
  readonly windowSize: number;
  readonly sendOack: boolean;
  readonly net: SimNetwork;
  readonly seed: number;
  readonly maxRetries?: number;
  readonly clientTimeoutMs?: number;
  readonly minRtoMs?: number;
  readonly maxSimMs?: number;
}

export interface SimResult {
  readonly outcome: TransferOutcome | undefined;
  /** Absolute indexes the client accepted, in order. */
  readonly accepted: readonly number[];
  readonly acceptedBytes: number;
  readonly clientDone: boolean;
  readonly blocksSent: number;
  readonly blocksResent: number;
  readonly duplicateAcks: number;
  readonly endMs: number;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type ToClient = { kind: "oack" } | { kind: "data"; block: number; length: number };
type ToServer = { kind: "ack"; block: number } | { kind: "rrq" };

export function simulateRead(cfg: SimConfig): SimResult {
  const rand = mulberry32(cfg.seed);
  const events: { at: number; seq: number; fn: () => void }[] = [];
  let seq = 0;
  let now = 0;
  const at = (t: number, fn: () => void): void => {
    const e = { at: t, seq: seq++, fn };
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = events[mid]!;
      if (m.at < t || (m.at === t && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  };
  const transmit = (deliver: () => void, toServer = false): void => {
    if (rand() < cfg.net.lossRate) return;
    const delay = (): number => cfg.net.minDelayMs + rand() * (cfg.net.maxDelayMs - cfg.net.minDelayMs);
    at(now + delay(), deliver);
    if ((toServer || !cfg.net.dupToServerOnly) && rand() < cfg.net.dupRate) at(now + delay(), deliver);
  };

  const sender = new Sender({
    sizeBytes: cfg.sizeBytes,
    blockSize: cfg.blockSize,
    windowSize: cfg.windowSize,
    sendOack: cfg.sendOack,
    maxRetries: cfg.maxRetries ?? 8,
    oackFallbackAfterRepeats: 2,
    initialRtoMs: 100,
    minRtoMs: cfg.minRtoMs ?? 20,
    maxRtoMs: 1000,
  });
  let outcome: TransferOutcome | undefined;
  let timerGen = 0;

  // --- client model ---
  const clientTimeoutMs = cfg.clientTimeoutMs ?? 300;
  let started = false;
  let expected = 1;
  let count = 0;
  let clientDone = false;
  let lastAck = -1;
  let clientTimerGen = 0;
  let clientTimeouts = 0;
  const accepted: number[] = [];
  let acceptedBytes = 0;
  const blockSizeNow = (): number => sender.blockSize;
  const clientSend = (m: ToServer): void => transmit(() => serverReceive(m), true);
  const clientAck = (block: number): void => {
    lastAck = block;
    clientSend({ kind: "ack", block });
  };
  const armClient = (): void => {
    const gen = ++clientTimerGen;
    at(now + clientTimeoutMs, () => {
      if (gen !== clientTimerGen || clientDone || clientTimeouts++ > 20) return;
      if (!started) clientSend({ kind: "rrq" });
      else clientAck(lastAck < 0 ? 0 : lastAck);
      armClient();
    });
  };
  const clientReceive = (m: ToClient): void => {
    if (m.kind === "oack") {
      if (accepted.length === 0) {
        started = true;
        clientAck(0);
        armClient();
      }
      return;
    }
    started = true;
    if (clientDone) {
      // Dallying: answer a resent final block so the sender can finish.
      if (m.block === lastAck) clientAck(lastAck);
      return;
    }
    if (m.block === expected % LIMITS.BLOCK_NUMBER_MODULO) {
      accepted.push(expected);
      acceptedBytes += m.length;
      expected++;
      count++;
      clientTimeouts = 0;
      if (m.length < blockSizeNow()) {
        clientDone = true;
        clientAck(m.block);
      } else if (count >= sender.windowSize) {
        count = 0;
        clientAck(m.block);
      }
      armClient();
    } else {
      // RFC 7440 section 4: out of order or duplicate: ACK the last block received in order.
      count = 0;
      clientAck((expected - 1) % LIMITS.BLOCK_NUMBER_MODULO);
    }
  };

  // --- server side ---
  const run = (actions: SenderAction[]): void => {
    for (const a of actions) {
      switch (a.type) {
        case "sendOack":
          transmit(() => clientReceive({ kind: "oack" }));
          break;
        case "sendData":
          for (let i = a.first; i <= a.last; i++) {
            const bs = sender.blockSize;
            const length = Math.min(bs, cfg.sizeBytes - (i - 1) * bs);
            const block = i % LIMITS.BLOCK_NUMBER_MODULO;
            transmit(() => clientReceive({ kind: "data", block, length }));
          }
          break;
        case "armTimer": {
          const gen = ++timerGen;
          at(now + a.delayMs, () => {
            if (gen === timerGen) run(sender.handle({ type: "timeout", nowMs: now }));
          });
          break;
        }
        case "finish":
          outcome = a.outcome;
          break;
      }
    }
  };
  function serverReceive(m: ToServer): void {
    if (m.kind === "rrq") run(sender.handle({ type: "requestRepeated", nowMs: now }));
    else run(sender.handle({ type: "ack", block: m.block, nowMs: now }));
  }

  run(sender.handle({ type: "start", nowMs: 0 }));
  const limit = cfg.maxSimMs ?? 600_000;
  while (events.length > 0) {
    const e = events.shift()!;
    if (e.at > limit) break;
    now = e.at;
    e.fn();
    if (outcome !== undefined && clientDone) break;
  }
  return {
    outcome,
    accepted,
    acceptedBytes,
    clientDone,
    blocksSent: sender.counters.blocksSent,
    blocksResent: sender.counters.blocksResent,
    duplicateAcks: sender.counters.duplicateAcks,
    endMs: now,
  };
}
