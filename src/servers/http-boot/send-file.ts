/**
 * Streams a byte range of an open file into a response with two buffers of
 * `chunkBytes`, reused for the whole transfer: one is read from disk (a
 * positioned read on libuv's thread pool) while the other is being written
 * to the socket, and a buffer is read into again only after the socket took
 * all of it. So a transfer holds at most 2 x chunkBytes whatever the file's
 * size or the client's speed, and allocates nothing per chunk.
 */
import type { promises as fsp } from "node:fs";
import type { ServerResponse } from "node:http";

/**
 * `end` is inclusive; `onRead` hears of every chunk read. Closes the file and
 * ends the response. Resolves with a read error (the file got shorter, the
 * disk failed: the caller destroys the response) or undefined (sent, or the
 * client left). Never rejects.
 */
export async function sendFileRange(
  file: fsp.FileHandle, start: number, end: number, res: ServerResponse, chunkBytes: number, onRead: (bytes: number) => void,
): Promise<string | undefined> {
  const size = Math.max(1, Math.min(chunkBytes, end - start + 1));
  const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)] as const;
  // When buffer i may be read into again: after the socket took its last write.
  const free: [Promise<boolean>, Promise<boolean>] = [Promise.resolve(true), Promise.resolve(true)];
  const gone = new Promise<boolean>((resolve) => res.once("close", () => resolve(false)));
  let pos = start;
  let i = 0;
  try {
    while (pos <= end) {
      if (!(await Promise.race([free[i]!, gone]))) return undefined;
      const buf = buffers[i]!;
      const { bytesRead: n } = await file.read(buf, 0, Math.min(size, end - pos + 1), pos);
      if (n === 0) return "read: the file got shorter while it was sent";
      if (res.destroyed) return undefined;
      onRead(n);
      pos += n;
      free[i] = new Promise((resolve) => res.write(n === size ? buf : buf.subarray(0, n), (err) => resolve(err == null)));
      i = 1 - i;
    }
    res.end();
    return undefined;
  } catch (e) {
    return `read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  } finally {
    await file.close().catch(() => undefined);
  }
}
