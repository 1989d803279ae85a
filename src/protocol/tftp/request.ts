/**
 * Pure checks on a request before any file is touched: the transfer mode and
 * the shape of the file name. The file name rules are the first half of the
 * path jail (the second half, realpath and open, lives in src/servers/tftp).
 */
import { ERROR_CODE, MODE, type RequestPacket } from "../../wire/tftp/index.js";

export type TransferMode = typeof MODE.OCTET | typeof MODE.NETASCII;

export type Refusal = { readonly ok: false; readonly code: number; readonly message: string; readonly reason: string };

export function checkMode(req: RequestPacket): { readonly ok: true; readonly mode: TransferMode } | Refusal {
  if (req.mode === MODE.OCTET || req.mode === MODE.NETASCII) return { ok: true, mode: req.mode };
  // "mail" is obsolete (RFC 1350 section 1); anything else is not a mode.
  return { ok: false, code: ERROR_CODE.ILLEGAL_OPERATION, message: "transfer mode not supported", reason: "mode" };
}

/**
 * Turns a requested name into path segments relative to the root, or refuses.
 * - Only printable ASCII: no NUL, control characters, DEL or bytes >= 0x80.
 * - `\` counts as a separator (DOS-style clients), so `..\` is caught too.
 * - A leading `/` means the TFTP root, as tftpd-hpa -s and PXELINUX use it:
 *   `/etc/passwd` names `<root>/etc/passwd`, never the host's file.
 * - Any `..` segment is refused outright, even one that would stay inside.
 * - Percent escapes are not decoded: `%2e%2e` is a literal name.
 */
export function checkPath(
  filename: string,
  maxPathBytes: number,
): { readonly ok: true; readonly segments: readonly string[]; readonly path: string } | Refusal {
  const refuse = (reason: string): Refusal => ({
    ok: false,
    code: ERROR_CODE.ACCESS_VIOLATION,
    message: "access violation",
    reason,
  });
  if (filename.length === 0) return refuse("empty name");
  if (filename.length > maxPathBytes) return refuse("name too long");
  for (let i = 0; i < filename.length; i++) {
    const c = filename.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return refuse("control or non-ASCII character");
  }
  const segments: string[] = [];
  for (const s of filename.replaceAll("\\", "/").split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") return refuse("parent directory");
    segments.push(s);
  }
  if (segments.length === 0) return refuse("names the root");
  return { ok: true, segments, path: segments.join("/") };
}
