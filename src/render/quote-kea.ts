/**
 * Values for a Kea DHCPv4 JSON configuration. JSON.stringify escapes what JSON
 * needs; what is refused here is what Kea itself reads further: option data in
 * csv-format is split at commas, and client-class test expressions quote string
 * literals with single quotes that cannot be escaped.
 */
import { hasControlChar } from "../config/values.js";
import { refuse, safeIdent } from "./quote-common.js";
import type { Mac } from "../config/addr.js";

const FORMAT = "Kea";

/** Text for option-data "data" (csv-format) or a fixed field such as boot-file-name. */
export function keaText(what: string, value: string): string {
  if (value.length === 0) refuse(FORMAT, what, value, "it is empty");
  if (hasControlChar(value)) refuse(FORMAT, what, value, "it contains a control character (newline, NUL, ...)");
  if (!/^[\x20-\x7e]+$/.test(value)) refuse(FORMAT, what, value, "it contains non-ASCII characters");
  if (value.includes(",")) refuse(FORMAT, what, value, "option data in csv-format is split at commas");
  if (value.includes("\\")) refuse(FORMAT, what, value, "Kea reads backslashes in option data as escapes");
  return value;
}

/** A string literal inside a client-class test expression. */
export function keaExprString(what: string, value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value) || value.includes("'") || value.includes("\\")) {
    refuse(FORMAT, what, value, "a test expression string cannot hold quotes, backslashes or control characters");
  }
  return `'${value}'`;
}

/** A hardware address as a hex literal for `pkt4.mac == 0x...`. */
export function keaMacLiteral(mac: Mac): string {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) refuse(FORMAT, "a MAC", mac, "not a normalised MAC");
  return `0x${mac.replace(/:/g, "")}`;
}

/** A client class name made by laggboot. */
export function keaClassName(value: string): string {
  return safeIdent(FORMAT, "a client class name", value);
}
