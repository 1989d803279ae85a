/** Where a read transfer's bytes come from: an open file (streamed) or memory. */
import type { promises as fsp } from "node:fs";

export interface BlockSource {
  readonly sizeBytes: number;
  /** The open file's descriptor, for the native data path (which reads it with preadv); memory sources have none. */
  readonly fd?: number;
  /** Fills the buffers in order from `position`; resolves the bytes read (short only at end of file). */
  readv(buffers: Buffer[], position: number): Promise<number>;
  close(): Promise<void>;
}

export function memorySource(data: Buffer): BlockSource {
  return {
    sizeBytes: data.length,
    readv(buffers, position) {
      let p = position;
      for (const b of buffers) p += data.copy(b, 0, p, p + b.length);
      return Promise.resolve(p - position);
    },
    close: () => Promise.resolve(),
  };
}

export function fileSource(file: fsp.FileHandle, sizeBytes: number): BlockSource {
  return {
    sizeBytes,
    fd: file.fd,
    async readv(buffers, position) {
      // One preadv(2) for the whole chunk: the data lands straight in the packets.
      const { bytesRead } = await file.readv(buffers, position);
      return bytesRead;
    },
    close: () => file.close().catch(() => undefined),
  };
}
