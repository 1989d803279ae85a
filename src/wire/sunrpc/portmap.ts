/**
 * Portmapper version 2 (RFC 1833 section 3): which port a program listens on.
 * rpcbind (versions 3 and 4) still answers version 2 on port 111, and v2's
 * GETPORT is the one call every implementation has.
 */
import { XdrReader, XdrWriter, DecodeError } from "./xdr.js";

/** RFC 1833 section 3: program number, version and well-known port. */
export const PMAP_PROGRAM = 100000;
export const PMAP_VERSION = 2;
export const PMAP_PORT = 111;

/** RFC 1833 section 3.2, procedures of PMAP_PROG version 2. */
export const PMAP_PROC = { NULL: 0, SET: 1, UNSET: 2, GETPORT: 3, DUMP: 4, CALLIT: 5 } as const;

/** RFC 1833 section 3: `IPPROTO_TCP = 6`, `IPPROTO_UDP = 17` in `struct mapping`. */
export const IPPROTO = { TCP: 6, UDP: 17 } as const;
export type Transport = "udp" | "tcp";

export function protocolNumber(t: Transport): number {
  return t === "udp" ? IPPROTO.UDP : IPPROTO.TCP;
}

export interface Mapping {
  readonly prog: number;
  readonly vers: number;
  readonly prot: number;
  /** Ignored by GETPORT. */
  readonly port: number;
}

/** RFC 1833 section 3: `struct mapping`, the argument of GETPORT. */
export function encodeMapping(m: Mapping): Uint8Array {
  return new XdrWriter().uint32(m.prog).uint32(m.vers).uint32(m.prot).uint32(m.port).bytes();
}

export function decodeMapping(buf: Uint8Array): Mapping {
  const r = new XdrReader(buf);
  return { prog: r.uint32("mapping.prog"), vers: r.uint32("mapping.vers"), prot: r.uint32("mapping.prot"), port: r.uint32("mapping.port") };
}

/** GETPORT's result: the port, 0 when the program is not registered. */
export function decodeGetportResult(buf: Uint8Array): number {
  const r = new XdrReader(buf);
  const port = r.uint32("port");
  if (port > 0xffff) throw new DecodeError("port", 0, `port ${port} is not a port`);
  return port;
}

export function encodeGetportResult(port: number): Uint8Array {
  return new XdrWriter().uint32(port).bytes();
}
