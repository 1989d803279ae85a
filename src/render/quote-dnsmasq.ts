/**
 * Values for dnsmasq.conf (dnsmasq(8)). Every option is one line of
 * comma-separated fields, and dnsmasq tells most fields apart by their form:
 * in dhcp-host a field is a MAC, a tag (`set:`, `tag:`, `net:`), an
 * address, the keywords `ignore` or `infinite`, a lease time (`123`, `12h`)
 * or else a host name; in dhcp-boot the fields before the file name are read
 * as tags while they start with `tag:` or `net:`. So a client named
 * `ignore`, `12h` or `123`, or a boot file named `tag:x`, would be read as
 * something else. Every field laggboot takes from the inventory is therefore
 * written in double quotes: inside quotes dnsmasq's config reader hides
 * `,:.#` (documented in dnsmasq(8), "Quoting is allowed in a config file")
 * and, with them, the digits and the letters a-f, so no quoted value matches
 * a keyword, a time or a tag; dnsmasq restores the characters when it stores
 * the value (src/option.c: hide_meta, opt_string_alloc, canonicalise_opt).
 * test/interop/render-dnsmasq-fields.test.ts proves it with a live dnsmasq.
 * Values are also limited to the safe token set, so no quote or backslash
 * ever needs escaping.
 */
import { refuse, safeIdent, safeToken } from "./quote-common.js";

const FORMAT = "dnsmasq.conf";

/** A field from the inventory (a host name, a boot file) or option data sent as text, quoted. */
export function dnsmasqString(what: string, value: string): string {
  return `"${safeToken(FORMAT, what, value)}"`;
}

/** A tag name made by laggboot (set:TAG / tag:TAG). */
export function dnsmasqTag(value: string): string {
  safeIdent(FORMAT, "a tag", value);
  if (value.includes(".")) refuse(FORMAT, "a tag", value, "tags are letters, digits, '_' and '-'");
  return value;
}
