/** The public shape of the TFTP server: options, dependencies, events. */
import type { TransferOutcome } from "../../protocol/tftp/index.js";

export interface TftpServerOptions {
  /** Directory served read-only. */
  readonly root: string;
  /** Address to bind (e.g. the boot subnet's server address; tests: 127.0.0.1). */
  readonly address: string;
  /** Listening port; default 69, 0 picks a free one (tests). */
  readonly port?: number;
  /**
   * Answer every transfer from the listening port instead of a fresh port per
   * transfer (RFC 1350 section 4 uses a new TID per transfer). Helps clients
   * behind NAT or strict firewalls that only allow replies from port 69.
   */
  readonly singlePort?: boolean;
  /** If set, WRQ is accepted, and only into this directory. Unset: read-only. */
  readonly writableDir?: string;
  /** Largest blksize granted (RFC 2348). Default 65464; 1468 avoids IP fragments on Ethernet. */
  readonly maxBlockSize?: number;
  /** Largest windowsize granted (RFC 7440); 1 disables it. Default 64. */
  readonly maxWindowSize?: number;
  /** Concurrent transfers in total. Default 256. */
  readonly maxTransfers?: number;
  /** Concurrent transfers per client address. Default 16. */
  readonly maxTransfersPerClient?: number;
  /** Longest file name accepted. Default 255. */
  readonly maxPathBytes?: number;
  /** Retransmission timeout bounds in ms (adaptive in between, doubling on each timeout). Defaults 500 / 50 / 6000. */
  readonly initialRtoMs?: number;
  readonly minRtoMs?: number;
  readonly maxRtoMs?: number;
  /** Timeouts in a row before a transfer is given up. Default 8 (about 12 s of silence). */
  readonly maxRetries?: number;
  /** Blocks read from disk at once (at least the window); two such chunks per transfer. Default 64. */
  readonly readAheadBlocks?: number;
  /** Largest file accepted by WRQ. Default 64 MiB. */
  readonly maxWriteBytes?: number;
  /** Largest file converted for netascii mode (converted in memory). Default 4 MiB. */
  readonly maxNetasciiBytes?: number;
  /**
   * Data path of read transfers from files: "native" (the addon in
   * native/tftp_data.c; start() fails if it is not built), "node" (Node's
   * dgram), or "auto" (native if it loads, else node, logged once).
   * Default: LAGGBOOT_TFTP_DATAPATH if set, else "auto". See docs/tftp.md.
   */
  readonly dataPath?: "native" | "node" | "auto";
  /**
   * Native path: send each window with UDP GSO (one sendmsg with UDP_SEGMENT) instead of sendmmsg;
   * it turns itself off for a transfer whose socket refuses it. Default true (LAGGBOOT_TFTP_GSO=0: false).
   */
  readonly gso?: boolean;
}

export interface ClientRef {
  readonly address: string;
  readonly port: number;
}

/**
 * Per-client virtual files: content the program produces (e.g. an iPXE script
 * rendered from the inventory). Called with the checked, normalized path
 * (no leading slash, `/` separators). Return undefined to fall through to the
 * TFTP root.
 */
export type VirtualFileProvider = (
  client: ClientRef,
  path: string,
) => Buffer | string | undefined | Promise<Buffer | string | undefined>;

export interface TftpServerDeps {
  /** Monotonic clock in ms. Default: performance.now. */
  readonly now?: () => number;
  readonly virtualFiles?: VirtualFileProvider;
  /** Where the one-time notice goes when "auto" falls back to the Node data path. Default: console.warn. */
  readonly log?: (message: string) => void;
}

export type TransferEventOutcome = TransferOutcome | "refused";

/** One per request, when it ends (also for refused requests). */
export interface TransferEvent {
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly direction: "read" | "write";
  /** The name as requested (may contain anything the client sent; escape before display). */
  readonly requested: string;
  /** Normalized path inside the root, when the name passed the checks. */
  readonly path: string | undefined;
  readonly virtual: boolean;
  readonly outcome: TransferEventOutcome;
  /** Bytes acknowledged by the client (read) or received (write). */
  readonly bytes: number;
  readonly sizeBytes: number | undefined;
  readonly durationMs: number;
  readonly blockSize: number;
  readonly windowSize: number;
  readonly blocksResent: number;
  /** ERROR code the client sent, if any. */
  readonly clientErrorCode: number | undefined;
  /** Why it was refused or failed (for logs). */
  readonly reason: string | undefined;
}

export interface TftpStats {
  readonly active: number;
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly refused: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly malformedPackets: number;
}

export interface TftpServer {
  /** Binds and starts answering; resolves with the bound address. */
  start(): Promise<{ address: string; port: number }>;
  /**
   * Stops accepting requests at once, lets running transfers finish for up to
   * graceMs, then aborts the rest (ERROR 0 to the client) and closes.
   */
  stop(graceMs: number): Promise<void>;
  readonly stats: TftpStats;
  /** The data path read transfers from files use: known after start(). */
  readonly dataPath: "native" | "node";
  /** Subscribes to transfer events; returns the unsubscribe function. */
  onTransfer(listener: (ev: TransferEvent) => void): () => void;
}
