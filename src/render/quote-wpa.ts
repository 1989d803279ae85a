/**
 * Quoting for wpa_supplicant.conf(5), as hostap 2.10 (FreeBSD 14's and
 * Debian 12's wpa_supplicant) reads a line: src/utils/config.c
 * wpa_config_get_line cuts a '#' comment unless the '#' lies inside a pair
 * of double quotes, pairing quotes from the left; then a quoted value is
 * everything between its first and its last quote, with no escapes
 * (src/utils/common.c wpa_config_parse_string, wpa_supplicant/config.c
 * wpa_config_parse_psk). So `ssid="home"#x"` pairs `"home"`, cuts `#x"` as a
 * comment and joins the network "home", silently. Older hostap cut only
 * after the last quote. A value with a '"' or a '#' alone reads back exactly
 * under both rules; a value with both may not. Such values, and SSIDs that
 * are not printable ASCII, are written in forms without quotes:
 * - ssid= as hex digits, the SSID's bytes;
 * - psk= as the 256-bit key the passphrase stands for (IEEE 802.11i H.4:
 *   PBKDF2-HMAC-SHA1, the SSID as salt, 4096 iterations, 32 bytes), the 64
 *   hex digits psk= takes unquoted. That is what wpa_supplicant derives from
 *   a quoted passphrase itself.
 * Proven against wpa_supplicant's own parser in test/interop/wpa-supplicant.test.ts.
 */
import { pbkdf2Sync } from "node:crypto";
import { LaggbootError } from "../errors.js";
import { checkPassphrase } from "../config/values.js";

const PRINTABLE = /^[\x20-\x7e]+$/;
const RAW_KEY = /^[0-9a-fA-F]{64}$/;

/** True when hostap's line reader may cut the quoted value short: it holds a quote and a '#'. */
export function needsUnquotedForm(value: string): boolean {
  return value.includes('"') && value.includes("#");
}

export function wpaSsid(ssid: string): string {
  const bytes = Buffer.from(ssid, "utf8");
  if (bytes.length < 1 || bytes.length > 32) throw new LaggbootError("LB_ERR_UNSAFE_VALUE", "an SSID has 1 to 32 bytes");
  return PRINTABLE.test(ssid) && !needsUnquotedForm(ssid) ? `"${ssid}"` : bytes.toString("hex");
}

/** The WPA-PSK key for a passphrase on a network (IEEE 802.11i H.4), as 64 hex digits. */
export function derivedPsk(passphrase: string, ssid: string): string {
  return pbkdf2Sync(Buffer.from(passphrase, "ascii"), Buffer.from(ssid, "utf8"), 4096, 32, "sha1").toString("hex");
}

/**
 * psk=: a quoted 8..63 character passphrase; 64 hex digits unquoted (the
 * raw key, as given, or derived from a passphrase that cannot be quoted).
 */
export function wpaPsk(passphrase: string, ssid: string): { value: string; derived: boolean } {
  const bad = checkPassphrase(passphrase);
  if (bad) throw new LaggbootError("LB_ERR_WPA_PASSPHRASE", bad);
  if (RAW_KEY.test(passphrase)) return { value: passphrase.toLowerCase(), derived: false };
  if (needsUnquotedForm(passphrase)) return { value: derivedPsk(passphrase, ssid), derived: true };
  return { value: `"${passphrase}"`, derived: false };
}
