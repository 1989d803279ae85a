/**
 * Builds reply packets: the BOOTP header copied per RFC 2131 table 3, the
 * options in a fixed order (so retransmissions are answered byte for byte
 * the same), and the encoding fitted to the client's size limit.
 */
import { BootOp, BROADCAST_FLAG, DhcpOption, type MessageType } from "../../wire/dhcp4/codes.js";
import { EncodeError } from "../../wire/dhcp4/decode-error.js";
import { encode } from "../../wire/dhcp4/packet.js";
import { optionBytes, type OptionValue, type TypedOption } from "../../wire/dhcp4/option-values.js";
import { BOOTP_MIN_BYTES, ZERO_ADDRESS, type DhcpPacket } from "../../wire/dhcp4/types.js";

/** An ordered option list under construction. */
export class OptionList {
  private readonly map = new Map<number, Uint8Array>();
  /** Options that may be dropped, last first, when a reply is too big. */
  private readonly droppable: number[] = [];

  set<C extends TypedOption>(code: C, value: OptionValue<C> | undefined, opts: { droppable?: boolean } = {}): this {
    if (value === undefined) return this;
    this.map.set(code, optionBytes(code, value));
    if (opts.droppable === true) this.droppable.push(code);
    return this;
  }

  setRaw(code: number, value: Uint8Array | undefined, opts: { droppable?: boolean } = {}): this {
    if (value === undefined) return this;
    this.map.set(code, value);
    if (opts.droppable === true) this.droppable.push(code);
    return this;
  }

  has(code: number): boolean {
    return this.map.has(code);
  }

  toMap(): Map<number, Uint8Array> {
    return new Map(this.map);
  }

  /** The list's own map, not a copy: for a draft packet built once the list is complete (fitReply copies before it changes the list). */
  shared(): ReadonlyMap<number, Uint8Array> {
    return this.map;
  }

  /** Drops the least important droppable option; false when none is left. */
  dropOne(): boolean {
    const code = this.droppable.pop();
    if (code === undefined) return false;
    this.map.delete(code);
    return true;
  }
}

export interface ReplyHeader {
  readonly type: MessageType;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly ciaddr: string;
  readonly file: string;
  readonly sname: string;
}

/** Header of a reply to `request` (RFC 2131 table 3). */
export function replyPacket(request: DhcpPacket, h: ReplyHeader, options: ReadonlyMap<number, Uint8Array>, isNak: boolean): DhcpPacket {
  // Table 3: flags copied from the request; a NAK through a relay sets the broadcast bit (4.3.2).
  const flags = isNak && request.giaddr !== ZERO_ADDRESS ? request.flags | BROADCAST_FLAG : request.flags;
  return {
    op: BootOp.BootReply,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags,
    ciaddr: h.ciaddr,
    yiaddr: h.yiaddr,
    siaddr: h.siaddr,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: h.sname,
    file: h.file,
    options,
  };
}

/**
 * Encodes within `maxBytes`. When the options do not fit, the boot file and
 * server name move into options 67 and 66 so that `file` and `sname` can be
 * overloaded (RFC 2132 9.3, 9.4, 9.5), then droppable options go, last first.
 */
export function fitReply(packet: DhcpPacket, list: OptionList, maxBytes: number): { packet: DhcpPacket; bytes: Uint8Array } {
  let p = packet;
  for (;;) {
    try {
      return { packet: p, bytes: encode(p, { maxBytes, minBytes: BOOTP_MIN_BYTES }) };
    } catch (e) {
      if (!(e instanceof EncodeError) || e.field !== "options") throw e;
    }
    if (p.file !== "" || p.sname !== "") {
      if (p.file !== "") list.set(DhcpOption.BootFileName, p.file);
      if (p.sname !== "") list.set(DhcpOption.TftpServerName, p.sname);
      p = { ...p, file: "", sname: "", options: list.toMap() };
      continue;
    }
    if (!list.dropOne()) throw new EncodeError("options", `the essential options do not fit in ${maxBytes} bytes`);
    p = { ...p, options: list.toMap() };
  }
}
