/**
 * Values for dnsmasq.conf (dnsmasq(8)). Every option is one line of
 * comma-separated fields; dnsmasq strips quotes, reads backslash escapes inside
 * them and guesses the type of unquoted option data (an address, hex bytes,
 * a number). So values are limited to the safe token set and option strings
 * are always double-quoted, which makes dnsmasq send them as text.
 */
import { refuse, safeIdent, safeToken } from "./quote-common.js";

const FORMAT = "dnsmasq.conf";

/** A bare field: a file name, a host name. */
export function dnsmasqToken(what: string, value: string): string {
  return safeToken(FORMAT, what, value);
}

/** Option data that must reach the client as text, e.g. root-path "198.18.0.1:/srv/x". */
export function dnsmasqString(what: string, value: string): string {
  return `"${safeToken(FORMAT, what, value)}"`;
}

/** A tag name made by laggboot (set:TAG / tag:TAG). */
export function dnsmasqTag(value: string): string {
  safeIdent(FORMAT, "a tag", value);
  if (value.includes(".")) refuse(FORMAT, "a tag", value, "tags are letters, digits, '_' and '-'");
  return value;
}
