/**
 * The DHCP server as app.ts builds it: the socket adapter with the real
 * engine, the store and the responder for the current policy.
 */
import type { DhcpPacket } from "../../wire/dhcp4/types.js";
import { createResponder, type DhcpPolicy, type DhcpResponder } from "../../protocol/dhcp/index.js";
import type { Store } from "../../store/index.js";
import { laggbootEngine } from "./engine.js";
import type { RateLimitOptions } from "./rate-limit.js";
import { DhcpServer, DEFAULT_PORTS } from "./server.js";
import type { DhcpServerEvent } from "./types.js";
import type { DhcpDataPathChoice } from "./native.js";

export { DhcpServer, DEFAULT_PORTS, type DhcpServerOptions } from "./server.js";
export { laggbootEngine } from "./engine.js";
export { DEFAULT_RATE_LIMIT, type RateLimitOptions } from "./rate-limit.js";
export type { DhcpDataPath, DhcpDataPathChoice } from "./native.js";
export type { Arrival, DhcpCounters, DhcpServerEvent, Engine, Verdict } from "./types.js";

export interface DhcpServiceOptions {
  readonly policy: DhcpPolicy;
  readonly store: Store;
  readonly onEvent?: (event: DhcpServerEvent) => void;
  readonly clock?: () => number;
  readonly rateLimit?: RateLimitOptions;
  readonly unknownClientLogMs?: number;
  readonly ports?: { readonly server: number; readonly proxy: number };
  readonly recvBufferBytes?: number;
  /** Receive coalescing window (see DhcpServerOptions.receiveCoalesceMs). */
  readonly receiveCoalesceMs?: number;
  /** Socket layer (see DhcpServerOptions.dataPath). */
  readonly dataPath?: DhcpDataPathChoice;
  readonly log?: (line: string) => void;
}

export interface DhcpService {
  readonly server: DhcpServer<DhcpPacket, DhcpResponder>;
  start(): Promise<void>;
  /**
   * Swap in a new policy. Returns false (and keeps the old policy) when the
   * new one needs different sockets (server addresses or mode changed):
   * the caller must then stop this service and start a new one.
   */
  reload(policy: DhcpPolicy): boolean;
  stop(): Promise<void>;
}

export function createDhcpService(options: DhcpServiceOptions): DhcpService {
  let responder = createResponder(options.policy);
  const layoutOf = (r: DhcpResponder, p: DhcpPolicy): string => `${p.mode}|${[...r.serverAddresses].sort().join(",")}`;
  let layout = layoutOf(responder, options.policy);
  const server = new DhcpServer<DhcpPacket, DhcpResponder>({
    engine: laggbootEngine,
    store: options.store,
    policy: responder,
    serverAddresses: responder.serverAddresses,
    proxy: options.policy.mode === "proxy",
    ports: options.ports ?? DEFAULT_PORTS,
    clock: options.clock,
    onEvent: options.onEvent,
    rateLimit: options.rateLimit,
    unknownClientLogMs: options.unknownClientLogMs,
    recvBufferBytes: options.recvBufferBytes,
    receiveCoalesceMs: options.receiveCoalesceMs,
    dataPath: options.dataPath,
    log: options.log,
  });
  return {
    server,
    start: () => server.start(),
    stop: () => server.stop(),
    reload(policy) {
      const next = createResponder(policy);
      if (layoutOf(next, policy) !== layout) return false;
      responder = next;
      layout = layoutOf(next, policy);
      server.setPolicy(responder);
      return true;
    },
  };
}
