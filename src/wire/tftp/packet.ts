/**
 * TFTP packet codec (RFC 1350 section 5, RFC 2347 OACK). Pure: bytes <-> values.
 * Strings are carried byte for byte (latin1), so the path jail sees exactly what
 * the client sent; option names and the mode are lower-cased because RFC 1350
 * and RFC 2347 make them case-insensitive.
 */
import { DecodeError } from "./decode-error.js";
import { LIMITS, OPCODE, opcodeName } from "./constants.js";

export interface TftpOption {
  readonly name: string;
  readonly value: string;
}

export interface RequestPacket {
  readonly type: "RRQ" | "WRQ";
  readonly filename: string;
  readonly mode: string;
  readonly options: readonly TftpOption[];
}
export interface DataPacket {
  readonly type: "DATA";
  readonly block: number;
  /** A view into the decoded buffer, not a copy. */
  readonly data: Uint8Array;
}
export interface AckPacket {
  readonly type: "ACK";
  readonly block: number;
}
export interface ErrorPacket {
  readonly type: "ERROR";
  readonly code: number;
  readonly message: string;
}
export interface OackPacket {
  readonly type: "OACK";
  readonly options: readonly TftpOption[];
}
export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

function stringBytes(s: string, field: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0xff) throw new RangeError(`tftp encode: ${field} has a NUL or non-latin1 character`);
  }
  return s.length + 1;
}

function optionsLength(options: readonly TftpOption[]): number {
  let n = 0;
  for (const o of options) n += stringBytes(o.name, "option name") + stringBytes(o.value, "option value");
  return n;
}

export function encodingLength(p: TftpPacket): number {
  switch (p.type) {
    case "RRQ":
    case "WRQ":
      return 2 + stringBytes(p.filename, "filename") + stringBytes(p.mode, "mode") + optionsLength(p.options);
    case "DATA":
      return LIMITS.DATA_HEADER_BYTES + p.data.length;
    case "ACK":
      return 4;
    case "ERROR":
      return 4 + stringBytes(p.message, "message");
    case "OACK":
      return 2 + optionsLength(p.options);
  }
}

function checkU16(v: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`tftp encode: ${field} ${v} is not 0..65535`);
}

/** Writes the 4-byte DATA header into `target` at `offset` (hot path: no allocation). */
export function encodeDataHeader(target: Uint8Array, block: number, offset = 0): void {
  target[offset] = 0;
  target[offset + 1] = OPCODE.DATA;
  target[offset + 2] = (block >>> 8) & 0xff;
  target[offset + 3] = block & 0xff;
}

export function encode(p: TftpPacket, target?: Buffer, offset = 0): Buffer {
  const len = encodingLength(p);
  const buf = target ?? Buffer.allocUnsafe(len);
  if (buf.length - offset < len) throw new RangeError("tftp encode: target buffer too small");
  let o = offset;
  const u16 = (v: number): void => {
    buf.writeUInt16BE(v, o);
    o += 2;
  };
  const str = (s: string): void => {
    o += buf.write(s, o, "latin1");
    buf[o++] = 0;
  };
  u16(OPCODE[p.type]);
  switch (p.type) {
    case "RRQ":
    case "WRQ":
      str(p.filename);
      str(p.mode);
      for (const opt of p.options) {
        str(opt.name);
        str(opt.value);
      }
      break;
    case "DATA":
      checkU16(p.block, "block");
      u16(p.block);
      buf.set(p.data, o);
      break;
    case "ACK":
      checkU16(p.block, "block");
      u16(p.block);
      break;
    case "ERROR":
      checkU16(p.code, "error code");
      u16(p.code);
      str(p.message);
      break;
    case "OACK":
      for (const opt of p.options) {
        str(opt.name);
        str(opt.value);
      }
      break;
  }
  return buf;
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  u16(field: string): number {
    if (this.remaining < 2) throw new DecodeError(field, this.pos, "packet too short");
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  /** A NUL-terminated string; `allowUnterminated` accepts a string that runs to the end. */
  str(field: string, allowUnterminated = false): string {
    const start = this.pos;
    const end = this.buf.indexOf(0, start);
    if (end < 0) {
      if (!allowUnterminated) throw new DecodeError(field, start, "missing NUL terminator");
      this.pos = this.buf.length;
      return latin1(this.buf, start, this.buf.length);
    }
    this.pos = end + 1;
    return latin1(this.buf, start, end);
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
}

function decodeOptions(r: Reader): TftpOption[] {
  const options: TftpOption[] = [];
  while (r.remaining > 0) {
    const nameAt = r.pos;
    const name = r.str("option name");
    if (name.length === 0) throw new DecodeError("option name", nameAt, "empty option name");
    const value = r.str("option value");
    options.push({ name: name.toLowerCase(), value });
  }
  return options;
}

/** Decodes one TFTP packet; throws only DecodeError. */
export function decode(buf: Uint8Array): TftpPacket {
  const r = new Reader(buf, 0);
  const op = r.u16("opcode");
  const name = opcodeName(op);
  switch (name) {
    case "RRQ":
    case "WRQ": {
      const filename = r.str("filename");
      const modeAt = r.pos;
      const mode = r.str("mode").toLowerCase();
      if (mode.length === 0) throw new DecodeError("mode", modeAt, "empty mode");
      return { type: name, filename, mode, options: decodeOptions(r) };
    }
    case "DATA": {
      const block = r.u16("block");
      if (r.remaining > LIMITS.MAX_BLOCK_SIZE) throw new DecodeError("data", r.pos, "more than 65464 data bytes");
      return { type: "DATA", block, data: buf.subarray(r.pos) };
    }
    case "ACK":
      // Trailing bytes after the block number are tolerated: some firmware pads.
      return { type: "ACK", block: r.u16("block") };
    case "ERROR": {
      const code = r.u16("error code");
      // Some clients omit the final NUL of the message; accept that.
      return { type: "ERROR", code, message: r.str("error message", true) };
    }
    case "OACK":
      return { type: "OACK", options: decodeOptions(r) };
    case undefined:
      throw new DecodeError("opcode", 0, `unknown opcode ${op}`);
  }
}
