/**
 * DHCPv4 packets: `decode`, `encode`, `encodingLength` (RFC 2131, RFC 2132,
 * RFC 3396). Options are framed here; their values are read and written by
 * option-values.ts.
 */
import { BootOp, DhcpOption, MAGIC_COOKIE, Overload, optionName } from "./codes.js";
import { DecodeError, EncodeError } from "./decode-error.js";
import { concatBytes, ipv4FromBytes, ipv4ToInt, latin1 } from "./bytes.js";
import {
  BOOTP_MIN_BYTES,
  CHADDR_BYTES,
  DEFAULT_MAX_BYTES,
  FILE_BYTES,
  FieldOffset,
  HEADER_BYTES,
  OPTIONS_OFFSET,
  SNAME_BYTES,
  type DhcpPacket,
} from "./types.js";

/**
 * Options whose length the responder relies on; a wrong length makes the
 * whole packet malformed (RFC 2132 gives each a fixed size).
 */
const FIXED_LENGTH: ReadonlyMap<number, number> = new Map([
  [DhcpOption.DhcpMessageType, 1],
  [DhcpOption.OptionOverload, 1],
  [DhcpOption.RequestedIpAddress, 4],
  [DhcpOption.ServerIdentifier, 4],
  [DhcpOption.IpAddressLeaseTime, 4],
  [DhcpOption.MaximumMessageSize, 2],
]);

/** The same pairs as an array: decode checks them for every packet, and a Map iterator costs more than the checks. */
const FIXED_LENGTH_PAIRS: readonly (readonly [number, number])[] = [...FIXED_LENGTH];

/**
 * Options as read: the first part of each option in `first` (nearly every
 * option has only one), later parts of a split option (RFC 3396) in `more`,
 * created only when a code repeats.
 */
interface RawOptions {
  readonly first: Map<number, Uint8Array>;
  more: Map<number, Uint8Array[]> | undefined;
}

/** Reads one options area (RFC 2132 section 2): TLVs, PAD skipped, stops at END. */
function readArea(b: Uint8Array, start: number, end: number, area: string, into: RawOptions): void {
  let i = start;
  while (i < end) {
    const code = b[i]!;
    if (code === DhcpOption.Pad) {
      i++;
      continue;
    }
    if (code === DhcpOption.End) return;
    if (i + 1 >= end) throw new DecodeError(`${area} ${optionName(code)} length`, i + 1, "option has no length byte");
    const len = b[i + 1]!;
    if (i + 2 + len > end) {
      throw new DecodeError(`${area} ${optionName(code)}`, i, `option length ${len} runs past the end of the ${area} field`);
    }
    // A view, not a copy: a packet's options share the received bytes (never written to).
    const part = b.subarray(i + 2, i + 2 + len);
    if (!into.first.has(code)) {
      into.first.set(code, part);
    } else {
      const more = (into.more ??= new Map());
      const list = more.get(code);
      if (list === undefined) more.set(code, [part]);
      else list.push(part);
    }
    i += 2 + len;
  }
  // No END before the field ends: tolerated (several firmwares omit it when the field is full).
}

/**
 * Offset of the first TLV with `code`, in the order the areas were read
 * (options, then file, then sname per `overload`). Only for error messages:
 * the areas were already read once without error, so the walk is safe.
 */
function firstOffsetOf(b: Uint8Array, code: number, overload: number): number {
  const areas: [number, number][] = [[OPTIONS_OFFSET, b.length]];
  if (overload & Overload.File) areas.push([FieldOffset.file, FieldOffset.file + FILE_BYTES]);
  if (overload & Overload.Sname) areas.push([FieldOffset.sname, FieldOffset.sname + SNAME_BYTES]);
  for (const [start, end] of areas) {
    let i = start;
    while (i < end && b[i] !== DhcpOption.End) {
      if (b[i] === DhcpOption.Pad) {
        i++;
        continue;
      }
      if (b[i] === code) return i;
      i += 2 + b[i + 1]!;
    }
  }
  return OPTIONS_OFFSET;
}

/** Big-endian; the caller has checked the bounds. No DataView: building one per packet cost more than the reads. */
function readU32(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

function cString(b: Uint8Array, start: number, size: number): string {
  let end = start;
  while (end < start + size && b[end] !== 0) end++;
  return latin1(b.subarray(start, end));
}

/** Decodes a DHCP packet. Throws only DecodeError. */
export function decode(bytes: Uint8Array): DhcpPacket {
  // Views of a Uint8Array subclass (Node's Buffer) are built through its species
  // constructor, several times slower than plain views; every option is a view,
  // so read through a plain Uint8Array over the same bytes.
  const b = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < HEADER_BYTES) throw new DecodeError("header", b.length, `packet has ${b.length} bytes, BOOTP needs ${HEADER_BYTES}`);
  if (b.length < OPTIONS_OFFSET) throw new DecodeError("cookie", b.length, "packet ends before the magic cookie");
  if (readU32(b, FieldOffset.cookie) !== MAGIC_COOKIE) {
    throw new DecodeError("cookie", FieldOffset.cookie, "not the DHCP magic cookie 99.130.83.99");
  }
  const hlen = b[FieldOffset.hlen]!;
  if (hlen > CHADDR_BYTES) throw new DecodeError("hlen", FieldOffset.hlen, `hlen ${hlen} exceeds the 16-byte chaddr field`);

  const raw: RawOptions = { first: new Map(), more: undefined };
  readArea(b, OPTIONS_OFFSET, b.length, "options", raw);
  let overload = 0;
  const ov = raw.first.get(DhcpOption.OptionOverload);
  if (ov !== undefined) {
    const v = raw.more?.has(DhcpOption.OptionOverload) !== true && ov.length === 1 ? ov[0]! : -1;
    if (v < Overload.File || v > Overload.Both) {
      throw new DecodeError("options OptionOverload", firstOffsetOf(b, DhcpOption.OptionOverload, 0), "option 52 must be one byte, 1..3");
    }
    overload = v;
    raw.first.delete(DhcpOption.OptionOverload);
    raw.more?.delete(DhcpOption.OptionOverload);
  }
  // RFC 3396 section 7: options, then file, then sname, concatenated in that order.
  if (overload & Overload.File) readArea(b, FieldOffset.file, FieldOffset.file + FILE_BYTES, "file", raw);
  if (overload & Overload.Sname) readArea(b, FieldOffset.sname, FieldOffset.sname + SNAME_BYTES, "sname", raw);
  // An overload option inside an overloaded field has no meaning (RFC 2132 9.3); drop it.
  raw.first.delete(DhcpOption.OptionOverload);
  raw.more?.delete(DhcpOption.OptionOverload);

  // Split options (rare) are joined in place; the map keeps the order in which codes first appeared.
  const options = raw.first;
  if (raw.more !== undefined) {
    for (const [code, rest] of raw.more) options.set(code, concatBytes([options.get(code)!, ...rest]));
  }
  let wrongLength = false;
  for (let k = 0; k < FIXED_LENGTH_PAIRS.length; k++) {
    const [code, want] = FIXED_LENGTH_PAIRS[k]!;
    const value = options.get(code);
    if (value !== undefined && value.length !== want) wrongLength = true;
  }
  if (wrongLength) {
    // Report the first offending option in the packet's own order.
    for (const [code, value] of options) {
      const want = FIXED_LENGTH.get(code);
      if (want !== undefined && value.length !== want) {
        throw new DecodeError(`options ${optionName(code)}`, firstOffsetOf(b, code, overload), `length ${value.length}, want ${want}`);
      }
    }
  }
  return {
    op: b[FieldOffset.op]!,
    htype: b[FieldOffset.htype]!,
    hlen,
    hops: b[FieldOffset.hops]!,
    xid: readU32(b, FieldOffset.xid),
    secs: (b[FieldOffset.secs]! << 8) | b[FieldOffset.secs + 1]!,
    flags: (b[FieldOffset.flags]! << 8) | b[FieldOffset.flags + 1]!,
    ciaddr: ipv4FromBytes(b, FieldOffset.ciaddr),
    yiaddr: ipv4FromBytes(b, FieldOffset.yiaddr),
    siaddr: ipv4FromBytes(b, FieldOffset.siaddr),
    giaddr: ipv4FromBytes(b, FieldOffset.giaddr),
    // A view like the options: the received bytes are never written to.
    chaddr: b.subarray(FieldOffset.chaddr, FieldOffset.chaddr + CHADDR_BYTES),
    sname: overload & Overload.Sname ? "" : cString(b, FieldOffset.sname, SNAME_BYTES),
    file: overload & Overload.File ? "" : cString(b, FieldOffset.file, FILE_BYTES),
    options,
  };
}

export interface EncodeOptions {
  /**
   * Largest DHCP message (UDP payload) allowed, default 548 (RFC 2131 section
   * 2). For a reply, pass the client's option 57 value minus 28.
   */
  readonly maxBytes?: number;
  /** Zero-fill after END up to this size; default 300 (RFC 1542 section 2.1). */
  readonly minBytes?: number;
}

/** One option piece placed in one area. */
interface Piece {
  readonly code: number;
  readonly data: Uint8Array;
}

interface Layout {
  /** The options field's pieces; undefined when every option fits there as given (then `p.options` is written in order). */
  readonly main: Piece[] | undefined;
  readonly file: Piece[] | undefined;
  readonly sname: Piece[] | undefined;
  readonly overload: number;
  readonly mainBytes: number;
}

const MAX_OPTION_DATA = 255;

/** Wire size of one option: a value over 255 bytes takes several code/length headers (RFC 3396). */
function optionWireBytes(data: Uint8Array): number {
  return data.length === 0 ? 2 : data.length + 2 * Math.ceil(data.length / MAX_OPTION_DATA);
}

function piecesBytes(pieces: readonly Piece[]): number {
  let n = 0;
  for (const p of pieces) n += optionWireBytes(p.data);
  return n;
}

/**
 * Places the options into the options field and, only when they do not fit
 * and the field is empty, into `file` and `sname` as well (RFC 2132 9.3,
 * RFC 3396 section 7). Options longer than 255 bytes are split into
 * consecutive pieces (RFC 3396 section 6); shorter ones are never split,
 * because clients without RFC 3396 support would misread them. PAD is never emitted between
 * options: the FreeBSD loader's parser does not skip it.
 */
function layout(p: DhcpPacket, maxBytes: number): Layout {
  // First pass without building anything: every reply normally fits the options field as it is.
  let simpleBytes = 0;
  for (const [code, data] of p.options) {
    if (isSkipped(code)) continue;
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new EncodeError(`option ${code}`, "option code must be 1..254");
    simpleBytes += optionWireBytes(data);
  }
  const mainCap = maxBytes - OPTIONS_OFFSET; // includes END
  if (mainCap < 1) throw new EncodeError("maxBytes", `maxBytes ${maxBytes} leaves no room for options`);
  // Everything in the options field: values may exceed 255 bytes here; the writer splits them.
  if (simpleBytes + 1 <= mainCap) return { main: undefined, file: undefined, sname: undefined, overload: 0, mainBytes: simpleBytes + 1 };

  const entries: [number, Uint8Array][] = [];
  for (const [code, data] of p.options) if (!isSkipped(code)) entries.push([code, data]);
  return overloadLayout(p, entries, mainCap, maxBytes);
}

/** PAD, END and the overload option are framing, never values: the encoder places them itself. */
function isSkipped(code: number): boolean {
  return code === DhcpOption.Pad || code === DhcpOption.End || code === DhcpOption.OptionOverload;
}

interface Area {
  readonly name: "main" | "file" | "sname";
  readonly pieces: (Piece & { readonly order: number })[];
  cap: number;
}

/** Puts a long option's pieces into the areas from the first with room on (RFC 3396 section 6). */
function placeLong(e: Piece & { readonly order: number }, areas: Area[], tooBig: () => EncodeError): void {
  let at = 0;
  let a = areas.findIndex((x) => x.cap >= 3);
  if (a < 0) throw tooBig();
  while (at < e.data.length) {
    const area = areas[a];
    if (area === undefined) throw tooBig();
    const n = Math.min(area.cap - 2, MAX_OPTION_DATA, e.data.length - at);
    if (n < 1) {
      a++;
      continue;
    }
    area.pieces.push({ code: e.code, data: e.data.subarray(at, at + n), order: e.order });
    area.cap -= 2 + n;
    at += n;
  }
}

/**
 * First fit, largest first, so a big root path is not stranded behind small
 * options; the message type and server identifier stay in the options
 * field, where every client looks first. Each area keeps wire order.
 */
function overloadLayout(p: DhcpPacket, entries: readonly [number, Uint8Array][], mainCap: number, maxBytes: number): Layout {
  // The option 52 itself (3 bytes) must stay in the options field.
  const areas: Area[] = [{ name: "main", pieces: [], cap: mainCap - 1 - 3 }];
  if (p.file === "") areas.push({ name: "file", pieces: [], cap: FILE_BYTES - 1 });
  if (p.sname === "") areas.push({ name: "sname", pieces: [], cap: SNAME_BYTES - 1 });
  const tooBig = (): EncodeError => new EncodeError("options", `options need more than ${maxBytes} bytes even with file/sname overloaded`);
  const indexed = entries.map(([code, data], order) => ({ code, data, order }));
  const isPinned = (code: number): boolean => code === DhcpOption.DhcpMessageType || code === DhcpOption.ServerIdentifier;
  const pinned = indexed.filter((e) => isPinned(e.code));
  const rest = indexed.filter((e) => !isPinned(e.code)).sort((a, b) => b.data.length - a.data.length);
  for (const e of [...pinned, ...rest]) {
    if (e.data.length > MAX_OPTION_DATA) {
      placeLong(e, areas, tooBig);
      continue;
    }
    const area = (isPinned(e.code) ? areas.slice(0, 1) : areas).find((x) => x.cap >= 2 + e.data.length);
    if (area === undefined) throw tooBig();
    area.pieces.push(e);
    area.cap -= 2 + e.data.length;
  }
  for (const area of areas) area.pieces.sort((x, y) => x.order - y.order);
  const used = (name: "file" | "sname") => areas.find((x) => x.name === name && x.pieces.length > 0)?.pieces;
  const file = used("file");
  const sname = used("sname");
  const overload = (file ? Overload.File : 0) | (sname ? Overload.Sname : 0);
  const main = areas[0]!.pieces;
  return { main, file, sname, overload, mainBytes: piecesBytes(main) + 3 + 1 };
}

function checkInteger(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new EncodeError(name, `${value} is not an integer 0..${max}`);
}

function checkHeader(p: DhcpPacket): void {
  // Field by field, without a table built per call (this runs for every reply).
  checkInteger("op", p.op, 255);
  checkInteger("htype", p.htype, 255);
  checkInteger("hlen", p.hlen, CHADDR_BYTES);
  checkInteger("hops", p.hops, 255);
  checkInteger("xid", p.xid, 0xffffffff);
  checkInteger("secs", p.secs, 0xffff);
  checkInteger("flags", p.flags, 0xffff);
  if (p.chaddr.length > CHADDR_BYTES) throw new EncodeError("chaddr", "longer than 16 bytes");
  if (p.sname.length > SNAME_BYTES) throw new EncodeError("sname", "longer than 64 bytes");
  if (p.file.length > FILE_BYTES) throw new EncodeError("file", "longer than 128 bytes");
}

/** The encoded size of `p` under `opts`. Throws EncodeError when it cannot be encoded. */
export function encodingLength(p: DhcpPacket, opts: EncodeOptions = {}): number {
  checkHeader(p);
  const l = layout(p, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  return Math.max(OPTIONS_OFFSET + l.mainBytes, opts.minBytes ?? BOOTP_MIN_BYTES);
}

function writeAddress(out: Uint8Array, at: number, s: string, field: string): void {
  // Straight into the packet: no intermediate byte array per address (four per reply).
  const n = ipv4ToInt(s);
  if (n === undefined) throw new EncodeError(field, `"${s}" is not a dotted-quad IPv4 address`);
  writeU32(out, at, n);
}

function writeString(out: Uint8Array, at: number, s: string, field: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new EncodeError(field, "characters outside latin1");
    out[at + i] = c;
  }
}

function writeU32(out: Uint8Array, at: number, n: number): void {
  out[at] = n >>> 24;
  out[at + 1] = (n >>> 16) & 255;
  out[at + 2] = (n >>> 8) & 255;
  out[at + 3] = n & 255;
}

/**
 * Encoded packets are carved from shared zero-filled slabs: a typed array of
 * a few hundred bytes gets its own off-heap backing store, whose allocation
 * cost more than the rest of encode. Each packet is its own view (offset and
 * length), never reused, so callers see an ordinary zero-filled array; a slab
 * is freed when the last packet cut from it is.
 */
const SLAB_BYTES = 16 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function zeroedBytes(size: number): Uint8Array {
  if (size > SLAB_BYTES / 4) return new Uint8Array(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, size);
  slabUsed += size;
  return out;
}

/** Writes pieces as code/length/value; a value over 255 bytes continues in further pieces (RFC 3396). */
function writePieces(out: Uint8Array, at: number, pieces: readonly Piece[]): number {
  for (const piece of pieces) at = writeOption(out, at, piece.code, piece.data);
  return at;
}

/** The options map in its own order, framing codes skipped (the layout that needs no overload). */
function writeOptions(out: Uint8Array, at: number, options: DhcpPacket["options"]): number {
  for (const [code, data] of options) if (!isSkipped(code)) at = writeOption(out, at, code, data);
  return at;
}

function writeOption(out: Uint8Array, at: number, code: number, d: Uint8Array): number {
  let from = 0;
  do {
    const n = Math.min(MAX_OPTION_DATA, d.length - from);
    out[at] = code;
    out[at + 1] = n;
    for (let i = 0; i < n; i++) out[at + 2 + i] = d[from + i]!;
    at += 2 + n;
    from += n;
  } while (from < d.length);
  return at;
}

/**
 * Encodes a packet: options in map order, END, then zeros up to `minBytes`.
 * Throws EncodeError when a field is out of range or the options do not fit.
 */
export function encode(p: DhcpPacket, opts: EncodeOptions = {}): Uint8Array {
  checkHeader(p);
  const l = layout(p, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  const size = Math.max(OPTIONS_OFFSET + l.mainBytes, opts.minBytes ?? BOOTP_MIN_BYTES);
  const out = zeroedBytes(size);
  out[FieldOffset.op] = p.op;
  out[FieldOffset.htype] = p.htype;
  out[FieldOffset.hlen] = p.hlen;
  out[FieldOffset.hops] = p.hops;
  writeU32(out, FieldOffset.xid, p.xid);
  out[FieldOffset.secs] = p.secs >>> 8;
  out[FieldOffset.secs + 1] = p.secs & 255;
  out[FieldOffset.flags] = p.flags >>> 8;
  out[FieldOffset.flags + 1] = p.flags & 255;
  writeAddress(out, FieldOffset.ciaddr, p.ciaddr, "ciaddr");
  writeAddress(out, FieldOffset.yiaddr, p.yiaddr, "yiaddr");
  writeAddress(out, FieldOffset.siaddr, p.siaddr, "siaddr");
  writeAddress(out, FieldOffset.giaddr, p.giaddr, "giaddr");
  out.set(p.chaddr, FieldOffset.chaddr);
  if (l.sname) out[writePieces(out, FieldOffset.sname, l.sname)] = DhcpOption.End;
  else writeString(out, FieldOffset.sname, p.sname, "sname");
  if (l.file) out[writePieces(out, FieldOffset.file, l.file)] = DhcpOption.End;
  else writeString(out, FieldOffset.file, p.file, "file");
  writeU32(out, FieldOffset.cookie, MAGIC_COOKIE);
  let at = l.main === undefined ? writeOptions(out, OPTIONS_OFFSET, p.options) : writePieces(out, OPTIONS_OFFSET, l.main);
  if (l.overload !== 0) {
    out[at] = DhcpOption.OptionOverload;
    out[at + 1] = 1;
    out[at + 2] = l.overload;
    at += 3;
  }
  out[at] = DhcpOption.End;
  return out;
}

/** An empty BOOTREQUEST/BOOTREPLY skeleton, for builders. */
export function emptyPacket(op: BootOp = BootOp.BootRequest): DhcpPacket {
  return {
    op, htype: 1, hlen: 6, hops: 0, xid: 0, secs: 0, flags: 0,
    ciaddr: "0.0.0.0", yiaddr: "0.0.0.0", siaddr: "0.0.0.0", giaddr: "0.0.0.0",
    chaddr: new Uint8Array(CHADDR_BYTES), sname: "", file: "", options: new Map(),
  };
}
