/**
 * XDR (RFC 4506): the encoding under ONC RPC. Everything is a multiple of four
 * bytes, big-endian; variable-length opaque data and strings carry a 4-byte
 * length and are zero-padded to a 4-byte boundary (RFC 4506 sections 4.10,
 * 4.11). The reader trusts no length: every read is bounds-checked and any
 * failure is a DecodeError naming the field and the byte offset.
 */

/** Bytes that are not valid XDR for what was expected. The only error decoders throw. */
export class DecodeError extends Error {
  readonly offset: number;
  readonly field: string;
  constructor(field: string, offset: number, message: string) {
    super(`sunrpc: ${field} at byte ${offset}: ${message}`);
    this.name = "DecodeError";
    this.field = field;
    this.offset = offset;
  }
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export class XdrReader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) throw new DecodeError(field, this.pos, `needs ${n} bytes, ${this.remaining} left`);
  }

  uint32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
  }

  /** RFC 4506 section 4.4: 0 or 1, nothing else. */
  bool(field: string): boolean {
    const at = this.pos;
    const v = this.uint32(field);
    if (v > 1) throw new DecodeError(field, at, `boolean is ${v}`);
    return v === 1;
  }

  /** Variable-length opaque<max>: length, bytes, zero padding. */
  opaque(field: string, maxBytes: number): Uint8Array {
    const at = this.pos;
    const len = this.uint32(`${field}.length`);
    if (len > maxBytes) throw new DecodeError(field, at, `length ${len} over the limit ${maxBytes}`);
    this.need(len + pad4(len), field);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len + pad4(len);
    return out;
  }

  /**
   * string<max>. XDR strings are ASCII by the RFC; servers send path names in
   * whatever bytes the file system holds, so decode as UTF-8 (lossy, never throws).
   */
  string(field: string, maxBytes: number): string {
    return new TextDecoder("utf-8").decode(this.opaque(field, maxBytes));
  }

  /** The bytes not read yet (procedure results after an RPC reply header). */
  rest(): Uint8Array {
    return this.buf.subarray(this.pos);
  }
}

export class XdrWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  uint32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uint32 out of range: ${v}`);
    const b = new Uint8Array(4);
    b[0] = v >>> 24;
    b[1] = (v >>> 16) & 0xff;
    b[2] = (v >>> 8) & 0xff;
    b[3] = v & 0xff;
    return this.push(b);
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  opaque(data: Uint8Array, maxBytes: number): this {
    if (data.length > maxBytes) throw new RangeError(`opaque of ${data.length} bytes over the limit ${maxBytes}`);
    this.uint32(data.length);
    this.push(data);
    return this.push(new Uint8Array(pad4(data.length)));
  }

  string(s: string, maxBytes: number): this {
    return this.opaque(new TextEncoder().encode(s), maxBytes);
  }

  /** Bytes already XDR-encoded (procedure arguments). */
  raw(data: Uint8Array): this {
    return this.push(data);
  }

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}
