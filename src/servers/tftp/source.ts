/** Where a read transfer's bytes come from: an open file (streamed) or memory. */
import type { promises as fsp } from "node:fs";

export interface BlockSource {
  readonly sizeBytes: number;
  /** The whole content, when it is held in memory (virtual and netascii files). */
  readonly memory: Buffer | undefined;
  /** Fills target[0..length) from `position`; resolves the bytes read (short only at end of file). */
  read(target: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export function memorySource(data: Buffer): BlockSource {
  return {
    sizeBytes: data.length,
    memory: data,
    read: (target, length, position) => Promise.resolve(data.copy(target, 0, position, position + length)),
    close: () => Promise.resolve(),
  };
}

export function fileSource(file: fsp.FileHandle, sizeBytes: number): BlockSource {
  return {
    sizeBytes,
    memory: undefined,
    async read(target, length, position) {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await file.read(target, got, length - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
    },
    close: () => file.close().catch(() => undefined),
  };
}
