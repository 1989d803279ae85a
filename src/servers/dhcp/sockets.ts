/**
 * The DHCP socket layout (docs/dhcp-server.md):
 * - one socket on 0.0.0.0:67: the only kind of socket that receives the
 *   clients' broadcasts (Linux delivers 255.255.255.255 only to sockets bound
 *   to the wildcard or to that address);
 * - one socket per server address, bound to ADDRESS:67: sending
 *   255.255.255.255 from it leaves by that address's interface (from the
 *   wildcard socket it would follow the default route, or fail with
 *   ENETUNREACH), and unicasts to that address arrive here, which tells us the
 *   address the client used;
 * - in ProxyDHCP mode the same pair on the PXE boot-server port 4011: one on
 *   0.0.0.0:4011 (requests broadcast to 4011) and one per server address,
 *   which receives the unicasts to that address and sends every reply for
 *   its network, so the reply's source is the configured address even when
 *   it is a secondary address of the interface.
 * All use SO_REUSEADDR so the wildcard and the address-bound sockets can share
 * port 67, and SO_BROADCAST so replies may go to 255.255.255.255.
 *
 * Two data paths implement the same BoundSocket: the native socket layer
 * (native-socket.ts, native/dhcp_sock.c), and Node's dgram (the fallback).
 */
import { createSocket, type Socket, type SocketOptions } from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { isIPv4 } from "node:net";
import type { LaggbootError } from "../../errors.js";
import { bindError } from "../bind-error.js";
import type { DhcpDataPath, NativeDhcpAddon } from "./native.js";
import { NativeUdpSocket, type SendSettled } from "./native-socket.js";

export interface SocketLayout {
  /** Address of the receive-everything socket; "0.0.0.0" except in odd tests. */
  readonly wildcardAddress: string;
  readonly serverPort: number;
  /** Port for ProxyDHCP boot-server requests, or undefined when not in proxy mode. */
  readonly proxyPort: number | undefined;
  /** One bound socket per address (each directly attached network's server address). */
  readonly serverAddresses: readonly string[];
  /** SO_RCVBUF for each socket; the kernel caps it at net.core.rmem_max. Undefined keeps the kernel default. */
  readonly recvBufferBytes?: number | undefined;
  /** Receive coalescing window in ms on the native path (0 or undefined: off; dgram always reads at once). */
  readonly coalesceMs?: number | undefined;
}

export interface BoundSocket {
  /** undefined for the wildcard sockets. */
  readonly address: string | undefined;
  readonly port: number;
  /**
   * Sends one datagram. Returns null when it was sent, an Error when it failed
   * at once, or undefined when `settled` will say later (exactly once). Throws
   * when the socket is closed.
   */
  send(bytes: Uint8Array, port: number, address: string, settled: SendSettled): Error | null | undefined;
  /** The local address and port actually bound. */
  local(): { address: string; port: number };
  /** SO_RCVBUF as the kernel reports it. */
  recvBufferSize(): number;
  close(): Promise<void>;
}

/** `msg` is the datagram's own copy; `truncated`: it was longer than the receive slot and was cut. */
export type PacketHandler = (msg: Buffer, sourceAddress: string, sourcePort: number, on: BoundSocket, truncated: boolean) => void;

/** Which data path to bind with: the native addon (loaded by the caller) or Node's dgram. */
export type SocketBackend = { readonly path: "native"; readonly addon: NativeDhcpAddon } | { readonly path: "node" };

export class SocketSet {
  private readonly sockets: BoundSocket[] = [];

  private constructor(private readonly layout: SocketLayout, readonly dataPath: DhcpDataPath) {}

  /** Bind every socket of the layout; on any failure close those already bound and throw LB_ERR_BIND. */
  static async open(layout: SocketLayout, onPacket: PacketHandler, backend: SocketBackend = { path: "node" }): Promise<SocketSet> {
    const set = new SocketSet(layout, backend.path);
    const plan: Planned[] = [
      { service: "DHCP", address: undefined, bindAddress: layout.wildcardAddress, port: layout.serverPort },
      ...[...new Set(layout.serverAddresses)].map((a): Planned => ({ service: "DHCP", address: a, bindAddress: a, port: layout.serverPort })),
    ];
    const proxyPort = layout.proxyPort;
    if (proxyPort !== undefined) {
      plan.push({ service: "ProxyDHCP", address: undefined, bindAddress: layout.wildcardAddress, port: proxyPort });
      plan.push(...[...new Set(layout.serverAddresses)].map((a): Planned => ({ service: "ProxyDHCP", address: a, bindAddress: a, port: proxyPort })));
    }
    try {
      for (const p of plan) {
        set.sockets.push(backend.path === "native"
          ? bindNative(backend.addon, p, onPacket, layout.recvBufferBytes, layout.coalesceMs ?? 0)
          : await bindOne(p, onPacket, layout.recvBufferBytes));
      }
    } catch (e) {
      await set.close();
      throw e;
    }
    return set;
  }

  /**
   * The socket to send from: on the proxy port the one bound to `fromAddress`
   * (a reply from the 0.0.0.0 socket would take the interface's primary
   * address as its source, which is wrong when the server address is a
   * secondary one), else the wildcard 4011 socket; on 67 the one bound to
   * `fromAddress`, else the wildcard 67 socket.
   */
  pick(fromAddress: string | undefined, proxyPort: boolean): BoundSocket {
    if (proxyPort && this.layout.proxyPort !== undefined) {
      const port = this.layout.proxyPort;
      const s = this.sockets.find((b) => b.port === port && b.address === fromAddress && fromAddress !== undefined)
        ?? this.sockets.find((b) => b.port === port && b.address === undefined);
      if (s !== undefined) return s;
    }
    if (fromAddress !== undefined) {
      const s = this.sockets.find((b) => b.address === fromAddress && b.port === this.layout.serverPort);
      if (s !== undefined) return s;
    }
    return this.sockets[0]!;
  }

  /** The actual port the wildcard 67 socket is bound to (tests bind port 0). */
  get serverPort(): number {
    return this.sockets[0]!.local().port;
  }

  get all(): readonly BoundSocket[] {
    return this.sockets;
  }

  async close(): Promise<void> {
    const closing = this.sockets.map((b) => b.close());
    this.sockets.length = 0;
    await Promise.all(closing);
  }
}

/**
 * Every address a DHCP socket binds or sends to is an IPv4 literal (the
 * responder's destinations, the inventory's server addresses). dgram passes
 * each one through `lookup` before it sends; the default (dns.lookup) answers
 * a literal only on the next tick, so every reply cost a deferred call and
 * its closures. This one answers a literal at once; anything else still goes
 * to dns.lookup.
 */
const literalLookup: NonNullable<SocketOptions["lookup"]> = (host, options, callback) => {
  if (isIPv4(host)) callback(null, host, 4);
  else dnsLookup(host, options, callback);
};

/** One socket to bind: `address` is what BoundSocket reports (undefined for the wildcard ones). */
interface Planned {
  readonly service: "DHCP" | "ProxyDHCP";
  readonly address: string | undefined;
  readonly bindAddress: string;
  readonly port: number;
}

function bindFailed(p: Planned, cause: Error): LaggbootError {
  return bindError({ service: p.service, proto: "udp", address: p.bindAddress, port: p.port }, cause);
}

function bindNative(
  addon: NativeDhcpAddon, p: Planned, onPacket: PacketHandler, recvBufferBytes: number | undefined, coalesceMs: number,
): BoundSocket {
  const { address, bindAddress, port } = p;
  let sock: NativeUdpSocket;
  try {
    sock = new NativeUdpSocket(
      addon, bindAddress, port, recvBufferBytes, (msg, from, fromPort, truncated) => onPacket(msg, from, fromPort, bound, truncated), coalesceMs,
    );
  } catch (e) {
    throw bindFailed(p, e as Error);
  }
  const bound: BoundSocket = {
    address,
    port,
    send: (bytes, toPort, toAddress, settled) => sock.send(bytes, toPort, toAddress, settled),
    local: () => sock.local(),
    recvBufferSize: () => sock.recvBufferSize(),
    close: () => {
      sock.close();
      return Promise.resolve();
    },
  };
  return bound;
}

function dgramBound(socket: Socket, address: string | undefined, port: number): BoundSocket {
  return {
    address,
    port,
    send(bytes, toPort, toAddress, settled) {
      socket.send(bytes, toPort, toAddress, settled);
      return undefined;
    },
    local: () => {
      const a = socket.address();
      return { address: a.address, port: a.port };
    },
    recvBufferSize: () => socket.getRecvBufferSize(),
    close: () => new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    }),
  };
}

function bindOne(p: Planned, onPacket: PacketHandler, recvBufferBytes: number | undefined): Promise<BoundSocket> {
  const { address, bindAddress, port } = p;
  return new Promise((resolve, reject) => {
    // A larger receive buffer lets a boot storm queue instead of being dropped by the kernel.
    const socket = createSocket({ type: "udp4", reuseAddr: true, lookup: literalLookup, ...(recvBufferBytes === undefined ? {} : { recvBufferSize: recvBufferBytes }) });
    const bound = dgramBound(socket, address, port);
    const fail = (cause: Error): void => {
      socket.close();
      reject(bindFailed(p, cause));
    };
    socket.once("error", fail);
    socket.bind({ address: bindAddress, port, exclusive: true }, () => {
      socket.off("error", fail);
      socket.setBroadcast(true);
      // A send error is reported per send through its callback; an 'error'
      // event without a listener would crash the process.
      socket.on("error", () => undefined);
      socket.on("message", (msg, rinfo) => onPacket(msg, rinfo.address, rinfo.port, bound, false));
      resolve(bound);
    });
  });
}
