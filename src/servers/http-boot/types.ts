/** The public shape of the boot-file HTTP server: options, dependencies, events. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BootTarget, TargetRefusal } from "../../protocol/http-boot/index.js";
import type { ClientRef, VirtualFileProvider } from "../tftp/types.js";

export type { ClientRef, VirtualFileProvider };

export interface HttpBootOptions {
  /** Directory served read-only (the boot tree, the TFTP root). */
  readonly root: string;
  /** Address to bind (the boot network's server address; tests: 127.0.0.1). */
  readonly address: string;
  /** Listening port; default 80, 0 picks a free one (tests). */
  readonly port?: number;
  /** Open connections in total. Default 1000. */
  readonly maxConnections?: number;
  /** Open connections per client address. Default 8. */
  readonly maxConnectionsPerClient?: number;
  /** Answer a directory asked for with a trailing `/` with an HTML list of its entries (FreeBSD's loader reads them). Default true. */
  readonly listDirectories?: boolean;
  /** Longest decoded path accepted. Default 1024. */
  readonly maxPathBytes?: number;
  /** Largest request head (request line and headers). Default 8192; larger heads get 431. */
  readonly maxHeaderBytes?: number;
  /** A request head must arrive whole within this time (slowloris). Default 10000 ms. */
  readonly headersTimeoutMs?: number;
  /** A connection that moves no byte for this long is closed (a stalled reader). Default 30000 ms. */
  readonly idleTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this long. Default 5000 ms. */
  readonly keepAliveTimeoutMs?: number;
  /** Bytes read from the file at once; a transfer holds two such buffers. Default 256 KiB. */
  readonly readChunkBytes?: number;
}

/** What a route sees besides the request and response. */
export interface RouteContext {
  readonly client: ClientRef;
  readonly target: BootTarget | TargetRefusal;
}

/**
 * A handler tried before the boot files, in order; the first whose `claims`
 * is true answers the request (and reports what it did itself). The boot
 * files are the last route and claim everything else.
 */
export interface HttpBootRoute {
  readonly name: string;
  claims(method: string, ctx: RouteContext): boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): void | Promise<void>;
}

export interface HttpBootDeps {
  /** Monotonic clock in ms. Default: performance.now. */
  readonly now?: () => number;
  readonly virtualFiles?: VirtualFileProvider;
  readonly routes?: readonly HttpBootRoute[];
}

/**
 * ok: the whole body went out (200, files and directory lists); partial: a
 * range went out (206); probe: HEAD answered; not-modified: 304; redirect:
 * 301 (a directory asked for without its `/`); cancelled: the client left or
 * stalled before the body was out; refused: 4xx/5xx; failed: the file could
 * not be read while sending.
 */
export type HttpOutcome = "ok" | "partial" | "probe" | "not-modified" | "redirect" | "cancelled" | "refused" | "failed";

/** One per request the boot-file route answered, when it ends; also one per connection refused by a limit. */
export interface HttpTransferEvent {
  readonly protocol: "http";
  readonly clientAddress: string;
  readonly clientPort: number;
  /** As sent (escape before display); "" for a connection refused before any request. */
  readonly method: string;
  /** The request target as sent, cut to 1024 characters (escape before display). */
  readonly requested: string;
  /** Normalized path inside the root, when the target passed the checks. */
  readonly path: string | undefined;
  readonly virtual: boolean;
  readonly status: number;
  readonly outcome: HttpOutcome;
  /** Body bytes handed to the kernel. */
  readonly bytes: number;
  readonly sizeBytes: number | undefined;
  /** Inclusive range of a 206 answer. */
  readonly range: { readonly start: number; readonly end: number } | undefined;
  readonly durationMs: number;
  /** Why it was refused or failed (for logs). */
  readonly reason: string | undefined;
}

export interface HttpBootStats {
  readonly connectionsOpen: number;
  readonly connectionsRefused: number;
  readonly active: number;
  readonly requests: number;
  readonly completed: number;
  readonly failed: number;
  readonly refused: number;
  readonly bytesSent: number;
}

export interface HttpBootServer {
  /** Binds and starts answering; resolves with the bound address. */
  start(): Promise<{ address: string; port: number }>;
  /** Stops accepting at once, lets running transfers finish for up to graceMs, then closes every connection. */
  stop(graceMs: number): Promise<void>;
  readonly stats: HttpBootStats;
  onTransfer(listener: (ev: HttpTransferEvent) => void): () => void;
}
