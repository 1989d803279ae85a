/**
 * Loads the native TFTP data path (native/tftp_data.c, built into
 * build/Release/laggboot_tftp.node by `npm run build`) and picks the data
 * path a server uses: "native" (the addon, required), "node" (pure Node
 * dgram) or "auto" (native when it loads, else Node, saying why once).
 */
import { addonPath, loadAddon, type AddonLoad } from "../native-addon.js";

export type DataPath = "native" | "node";
export type DataPathChoice = DataPath | "auto";

/** One read transfer's socket and data path on the native side (see native/tftp_data.c). */
export interface NativeTransfer {
  /** One datagram (OACK, ERROR): 0, or -3 when the client is gone. */
  send(msg: Buffer): number;
  /** Reads blocks first..last and sends them: 0, -1 file shorter than expected, -2 read error, -3 client gone. */
  sendBlocks(first: number, last: number, blockSize: number): number;
  /**
   * Lets the native side answer new ACKs with the next window while it ends at or before `limit`
   * (with `handBackNext`, the next ACK comes to JS first); clears the log.
   */
  grant(acked: number, sent: number, windowSize: number, limit: number, blockSize: number, handBackNext: boolean): void;
  revoke(): void;
  close(): void;
  /** errno of the last read error. */
  lastErrno(): number;
  localPort(): number;
  /** Windows go out with UDP GSO (asked for, and not refused by the kernel so far). */
  usesGso(): boolean;
}

/** Events the native side hands back (the second argument is the ACK's block number for NATIVE_EVENT.ACK). */
export const NATIVE_EVENT = { ACK: 1, PACKET: 2, LOG_FULL: 3, GONE: 4 } as const;
export const NATIVE_RESULT = { SHORT: -1, READ_ERROR: -2, GONE: -3 } as const;

export interface NativeAddon {
  readonly Transfer: new (
    localAddress: string,
    clientAddress: string,
    clientPort: number,
    fileFd: number,
    sizeBytes: number,
    log: Float64Array,
    onEvent: (kind: number, value: number, packet: Buffer | undefined) => void,
    gso: boolean,
  ) => NativeTransfer;
  /** CLOCK_MONOTONIC in ms: the clock of the log's timestamps. */
  now(): number;
  /** How long (µs) a lone transfer keeps reading for the next ACK before it sleeps in epoll (LAGGBOOT_TFTP_SPIN_US at load; 0 = off). */
  readonly spinMicros: number;
}

export type NativeLoad = AddonLoad<NativeAddon>;

let loaded: NativeLoad | undefined;

export const NATIVE_ADDON_PATH = addonPath("laggboot_tftp");

export function loadNative(): NativeLoad {
  loaded ??= loadAddon<NativeAddon>(NATIVE_ADDON_PATH, "native TFTP data path", (a) => typeof a.Transfer === "function" && typeof a.now === "function");
  return loaded;
}

/**
 * The configured choice: the option if given, else LAGGBOOT_TFTP_DATAPATH
 * (native | node | auto), else auto.
 */
export function dataPathChoice(option: DataPathChoice | undefined, env: NodeJS.ProcessEnv = process.env): DataPathChoice {
  if (option !== undefined) return option;
  const v = env.LAGGBOOT_TFTP_DATAPATH;
  return v === "native" || v === "node" || v === "auto" ? v : "auto";
}
