/**
 * Quoting for wpa_supplicant.conf(5). hostap's line reader (src/utils/config.c,
 * wpa_config_get_line) strips leading white space, treats '#' as a comment
 * only after the LAST double quote of the line, and a quoted string value is
 * everything between the first and the last double quote: no escapes exist, so
 * any printable ASCII (quotes and '#' included) is safe inside quotes. Other
 * bytes (UTF-8 SSIDs) use the unquoted hex form that ssid= accepts.
 */
import { LaggbootError } from "../errors.js";
import { checkPassphrase } from "../config/values.js";

const PRINTABLE = /^[\x20-\x7e]+$/;

export function wpaSsid(ssid: string): string {
  const bytes = Buffer.from(ssid, "utf8");
  if (bytes.length < 1 || bytes.length > 32) throw new LaggbootError("LB_ERR_UNSAFE_VALUE", "an SSID has 1 to 32 bytes");
  return PRINTABLE.test(ssid) ? `"${ssid}"` : bytes.toString("hex");
}

/** psk=: a quoted 8..63 character passphrase, or 64 hex digits unquoted (the raw key). */
export function wpaPsk(passphrase: string): string {
  const bad = checkPassphrase(passphrase);
  if (bad) throw new LaggbootError("LB_ERR_WPA_PASSPHRASE", bad);
  return /^[0-9a-fA-F]{64}$/.test(passphrase) ? passphrase.toLowerCase() : `"${passphrase}"`;
}
