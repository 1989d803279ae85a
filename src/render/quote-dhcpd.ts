/**
 * Quoting for ISC dhcpd.conf (dhcpd.conf(5), dhcp-eval(5)). Strings are
 * double-quoted; dhcpd's lexer reads \" and \\ inside them, so both are
 * escaped. Control characters and non-ASCII bytes are refused: dhcpd would
 * either end the token or copy bytes the FreeBSD loader cannot use.
 */
import { hasControlChar } from "../config/values.js";
import { refuse, safeIdent } from "./quote-common.js";

const FORMAT = "dhcpd.conf";

/** A double-quoted dhcpd string constant. */
export function dhcpdString(what: string, value: string): string {
  if (value.length === 0) refuse(FORMAT, what, value, "it is empty");
  if (hasControlChar(value)) refuse(FORMAT, what, value, "it contains a control character (newline, NUL, ...)");
  if (!/^[\x20-\x7e]+$/.test(value)) refuse(FORMAT, what, value, "it contains non-ASCII characters");
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A declaration name (host NAME { ... }): dhcpd reads it as dotted identifiers. */
export function dhcpdName(what: string, value: string): string {
  safeIdent(FORMAT, what, value);
  if (value.includes("..") || value.endsWith(".")) refuse(FORMAT, what, value, "empty label");
  return value;
}

/** An unsigned 16-bit option value as dhcpd's colon-separated hex data, e.g. 7 -> 00:07. */
export function dhcpdHex16(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) refuse(FORMAT, "a 16-bit value", String(n), "out of range 0..65535");
  return [n >> 8, n & 0xff].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
