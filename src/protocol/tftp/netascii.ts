/**
 * Netascii (RFC 1350 section 1, Telnet NVT rules of RFC 764): on the wire a
 * line ends in CR LF and a lone CR is sent as CR NUL. The server stores files
 * with Unix line ends, so reads convert LF -> CR LF and CR -> CR NUL, writes
 * the reverse.
 */
const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export function toNetascii(data: Uint8Array): Buffer {
  let extra = 0;
  for (const b of data) if (b === CR || b === LF) extra++;
  const out = Buffer.allocUnsafe(data.length + extra);
  let o = 0;
  for (const b of data) {
    if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (b === CR) {
      out[o++] = CR;
      out[o++] = NUL;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/** Streaming netascii decoder: a CR at the end of one chunk is resolved by the next. */
export class NetasciiDecoder {
  private pendingCr = false;

  push(chunk: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let o = 0;
    for (const b of chunk) {
      if (this.pendingCr) {
        this.pendingCr = false;
        if (b === LF) {
          out[o++] = LF;
          continue;
        }
        out[o++] = CR;
        if (b === NUL) continue;
      }
      if (b === CR) this.pendingCr = true;
      else out[o++] = b;
    }
    return out.subarray(0, o);
  }

  /** Bytes still owed at the end of the stream (a trailing lone CR). */
  end(): Buffer {
    const out = this.pendingCr ? Buffer.from([CR]) : Buffer.alloc(0);
    this.pendingCr = false;
    return out;
  }
}
