/**
 * Loads the native DHCP socket layer (native/dhcp_sock.c, built into
 * build/Release/laggboot_dhcp.node by `npm run build`) and picks the data
 * path the DHCP server uses: "native" (the addon, required), "node" (Node's
 * dgram) or "auto" (native when it loads, else dgram, saying why once).
 */
import { addonPath, loadAddon, type AddonLoad } from "../native-addon.js";

export type DhcpDataPath = "native" | "node";
export type DhcpDataPathChoice = DhcpDataPath | "auto";

/** One bound UDP socket on the native side (see native/dhcp_sock.c). */
export interface NativeDhcpSocket {
  /** One datagram to `address` (dotted or a host-order uint32): 0, or -errno. Never blocks. */
  send(bytes: Uint8Array, address: string | number, port: number): number;
  /** Calls the wake-up callback once with -1 when the socket can take more datagrams. */
  waitWritable(): void;
  /** Stops watching and closes the descriptor; safe to call again. */
  close(): void;
  /** [host-order IPv4, port]; [0, 0] once closed. */
  localAddress(): [number, number];
  /** SO_RCVBUF as the kernel reports it (twice the value set). */
  recvBufferSize(): number;
  /** Receive coalescing window in ms (0: off): see after_drain in native/dhcp_sock.c. */
  coalesce(ms: number): void;
}

export interface NativeDhcpAddon {
  /**
   * Creates, configures (SO_REUSEADDR, SO_BROADCAST, SO_RCVBUF when > 0) and binds the socket; throws
   * an Error with code/errno/syscall on failure. `ring` holds whole `slotBytes` slots (at most
   * `batchMax` are used), `meta` 4 words per slot (length, source IPv4, source port, flags); `onWake`
   * runs once per readable wake-up with the number of datagrams in the ring, or with -1 (writable).
   */
  readonly Socket: new (
    bindAddress: string, port: number, recvBufferBytes: number, ring: Buffer, meta: Uint32Array, slotBytes: number,
    onWake: (count: number) => void,
  ) => NativeDhcpSocket;
  readonly batchMax: number;
}

export type NativeDhcpLoad = AddonLoad<NativeDhcpAddon>;

let loaded: NativeDhcpLoad | undefined;

export const NATIVE_DHCP_ADDON_PATH = addonPath("laggboot_dhcp");

export function loadNativeDhcp(): NativeDhcpLoad {
  loaded ??= loadAddon<NativeDhcpAddon>(NATIVE_DHCP_ADDON_PATH, "native DHCP socket layer", (a) => typeof a.Socket === "function" && typeof a.batchMax === "number");
  return loaded;
}

/** The configured choice: the option if given, else LAGGBOOT_DHCP_DATAPATH (native | node | auto), else auto. */
export function dhcpDataPathChoice(option: DhcpDataPathChoice | undefined, env: NodeJS.ProcessEnv = process.env): DhcpDataPathChoice {
  if (option !== undefined) return option;
  const v = env.LAGGBOOT_DHCP_DATAPATH;
  return v === "native" || v === "node" || v === "auto" ? v : "auto";
}
