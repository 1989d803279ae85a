/**
 * Turns a checked read request into a BlockSource: a per-client virtual file,
 * or a file from the root behind the jail; netascii content is converted in
 * memory (bounded by maxNetasciiBytes).
 */
import { ERROR_CODE } from "../../wire/tftp/index.js";
import { toNetascii, type TransferMode } from "../../protocol/tftp/index.js";
import { openInJail } from "./jail.js";
import { fileSource, memorySource, type BlockSource } from "./source.js";
import type { ClientRef, VirtualFileProvider } from "./types.js";

export type SourceResult =
  | { readonly ok: true; readonly source: BlockSource; readonly virtual: boolean }
  | { readonly ok: false; readonly code: number; readonly message: string; readonly reason: string };

export async function openReadSource(
  realRoot: string,
  path: string,
  mode: TransferMode,
  client: ClientRef,
  virtualFiles: VirtualFileProvider | undefined,
  maxNetasciiBytes: number,
): Promise<SourceResult> {
  if (virtualFiles) {
    let content: Buffer | string | undefined;
    try {
      content = await virtualFiles(client, path);
    } catch (e) {
      return { ok: false, code: ERROR_CODE.NOT_DEFINED, message: "internal error", reason: `virtual file: ${String(e)}` };
    }
    if (content !== undefined) {
      const buf = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      return { ok: true, source: memorySource(mode === "netascii" ? toNetascii(buf) : buf), virtual: true };
    }
  }
  const opened = await openInJail(realRoot, path);
  if (!opened.ok) {
    return opened.notFound
      ? { ok: false, code: ERROR_CODE.FILE_NOT_FOUND, message: "file not found", reason: opened.reason }
      : { ok: false, code: ERROR_CODE.ACCESS_VIOLATION, message: "access violation", reason: opened.reason };
  }
  if (mode === "octet") return { ok: true, source: fileSource(opened.file, opened.sizeBytes), virtual: false };
  try {
    if (opened.sizeBytes > maxNetasciiBytes) {
      return {
        ok: false,
        code: ERROR_CODE.NOT_DEFINED,
        message: `netascii mode is limited to ${maxNetasciiBytes} bytes; use octet`,
        reason: "netascii file too large",
      };
    }
    const raw = await opened.file.readFile();
    return { ok: true, source: memorySource(toNetascii(raw)), virtual: false };
  } finally {
    await opened.file.close().catch(() => undefined);
  }
}
