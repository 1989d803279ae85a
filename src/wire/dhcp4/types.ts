/**
 * The decoded form of a DHCPv4 packet. Header fields keep their RFC 2131
 * names (section 2, figure 1) so a reviewer can hold them against the RFC.
 * Addresses are dotted quads ("0.0.0.0" when unset).
 */

/** Options by code, in wire order. A code sent several times (RFC 3396) holds the concatenation. */
export type DhcpOptions = ReadonlyMap<number, Uint8Array>;

export interface DhcpPacket {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** Always 16 bytes; the hardware address is the first `hlen` of them. */
  readonly chaddr: Uint8Array;
  /**
   * Server host name and boot file name, read up to the first NUL (latin1,
   * so any byte round-trips). Empty when option 52 overloaded the field.
   */
  readonly sname: string;
  readonly file: string;
  /** Options with PAD, END and the overload option (52) already applied and removed. */
  readonly options: DhcpOptions;
}

export const ZERO_ADDRESS = "0.0.0.0";
export const BROADCAST_ADDRESS = "255.255.255.255";

/** Field sizes (RFC 2131 figure 1). */
export const HEADER_BYTES = 236;
export const COOKIE_BYTES = 4;
export const SNAME_BYTES = 64;
export const FILE_BYTES = 128;
export const CHADDR_BYTES = 16;
/** Header plus magic cookie: where the options field starts. */
export const OPTIONS_OFFSET = HEADER_BYTES + COOKIE_BYTES;
/** RFC 1542 section 2.1: BOOTP relays and old clients expect at least 300 bytes. */
export const BOOTP_MIN_BYTES = 300;
/**
 * RFC 2131 section 2: every client accepts a 576-byte IP datagram, i.e. a
 * DHCP message of 576 - 20 (IP) - 8 (UDP) = 548 bytes. Option 57 (RFC 2132
 * 9.10) counts the same way, so its value minus 28 is the payload limit.
 */
export const IP_UDP_HEADER_BYTES = 28;
export const MIN_MAX_MESSAGE_SIZE = 576;
export const DEFAULT_MAX_BYTES = MIN_MAX_MESSAGE_SIZE - IP_UDP_HEADER_BYTES;

/** Byte offsets of the header fields (RFC 2131 figure 1). */
export const FieldOffset = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  sname: 44,
  file: 108,
  cookie: 236,
} as const;
