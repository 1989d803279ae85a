/**
 * Bind failures, said one way for every listener laggboot opens (DHCP,
 * ProxyDHCP, TFTP, the HTTP status API, and any listener added later): one
 * sentence naming the service, the address and port and why, coded
 * LB_ERR_BIND (exit 2, an I/O error). `serve` fails with it; `doctor` uses
 * the same sentence and adds advice. A new listener calls `bindUdp` or
 * `listenTcp` with its `Listener` and gets all of this.
 */
import type { BindOptions, Socket as UdpSocket } from "node:dgram";
import type { AddressInfo, Server } from "node:net";
import { LaggbootError } from "../errors.js";
import { findPortHolder, type PortHolder } from "./port-owner.js";

export interface Listener {
  /** What listens, as a site knows it: "DHCP", "ProxyDHCP", "TFTP", "HTTP status API"... */
  readonly service: string;
  readonly proto: "udp" | "tcp";
  readonly address: string;
  readonly port: number;
}

export type BindReason = "in-use" | "permission" | "not-local" | "other";

export interface BindProblem {
  readonly reason: BindReason;
  /** The end of the sentence: "the port is in use by pid 812 (dnsmasq -k)". */
  readonly why: string;
  /** Who holds the port (in-use, Linux only). */
  readonly holder: PortHolder | undefined;
  /** What to do about it, for doctor. */
  readonly advice: string;
}

/** The programs that usually hold a service's port, for the advice. */
const USUAL_HOLDERS: Readonly<Record<string, string>> = {
  DHCP: "ISC dhcpd, Kea or dnsmasq",
  ProxyDHCP: "dnsmasq in proxy mode, or another PXE boot server",
  TFTP: "tftpd-hpa, atftpd, inetd's tftp or dnsmasq",
};

export type HolderLookup = (proto: "udp" | "tcp", port: number) => PortHolder | undefined;

/** Why `cause` (an error from bind or listen) happened, and what to do. */
export function bindProblem(l: Listener, cause: unknown, holderOf: HolderLookup = findPortHolder): BindProblem {
  const code = (cause as { code?: unknown } | undefined)?.code;
  switch (code) {
    case "EADDRINUSE": {
      const holder = holderOf(l.proto, l.port);
      const usual = USUAL_HOLDERS[l.service];
      return {
        reason: "in-use", holder,
        why: `the port is in use${holder ? ` by pid ${holder.pid} (${holder.command})` : ""}`,
        advice: holder?.laggboot === true
          ? "laggboot serve is already running: stop it first, or use 'laggboot reload' to load a changed inventory."
          : `Stop the other ${l.service} server${usual ? ` (for example ${usual})` : ""}, or move laggboot to another address or port.`,
      };
    }
    case "EACCES":
    case "EPERM":
      return {
        reason: "permission", holder: undefined,
        why: `permission denied${l.port > 0 && l.port < 1024 ? " (ports below 1024 need root)" : ""}`,
        advice: "Run laggboot serve as root: it binds every port first, then drops to server.runAs.",
      };
    case "EADDRNOTAVAIL":
      return {
        reason: "not-local", holder: undefined,
        why: "the address is not on this machine",
        advice: `Add ${l.address} to the interface facing its network (Linux: 'ip addr add ${l.address}/PREFIX dev IFACE'; FreeBSD: 'ifconfig IFACE inet ${l.address}/PREFIX alias' and an ifconfig_IFACE_alias0 line in rc.conf), or correct the inventory.`,
      };
    default:
      return {
        reason: "other", holder: undefined,
        why: cause instanceof Error ? cause.message : String(cause),
        advice: "See the operating system's message above.",
      };
  }
}

/** "TFTP cannot bind UDP 198.18.0.1:69: the port is in use by pid 812 (in.tftpd ...)" */
export function bindSentence(l: Listener, p: BindProblem): string {
  return `${l.service} cannot bind ${l.proto.toUpperCase()} ${l.address}:${l.port}: ${p.why}`;
}

/** The coded error every listener throws when it cannot bind. */
export function bindError(l: Listener, cause: unknown, holderOf: HolderLookup = findPortHolder): LaggbootError {
  return new LaggbootError("LB_ERR_BIND", bindSentence(l, bindProblem(l, cause, holderOf)), { cause });
}

/** Binds a dgram socket to the listener's address and port; rejects with `bindError`. The socket is left open either way. */
export function bindUdp(socket: UdpSocket, l: Listener, options: Omit<BindOptions, "address" | "port"> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void => reject(bindError(l, e));
    socket.once("error", fail);
    socket.bind({ ...options, address: l.address, port: l.port }, () => {
      socket.off("error", fail);
      resolve();
    });
  });
}

/** Starts a TCP server (net or http) on the listener's address and port; rejects with `bindError`. */
export function listenTcp(server: Server, l: Listener): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void => reject(bindError(l, e));
    server.once("error", fail);
    server.listen({ host: l.address, port: l.port, exclusive: true }, () => {
      server.off("error", fail);
      const a = server.address() as AddressInfo;
      resolve({ address: a.address, port: a.port });
    });
  });
}
