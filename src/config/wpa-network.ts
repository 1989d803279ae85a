/**
 * The checks every WPA-PSK network in the inventory gets, FreeBSD's
 * wifi and a Linux client's backup.wifi alike: the passphrase from the
 * inventory or its file, and an SSID that can be configured safely.
 */
import type { KeyPath } from "./findings.js";
import type { Reporter, SiteProbe } from "./load.js";
import { checkPassphrase } from "./values.js";

export interface WpaNetworkInput {
  readonly ssid: string;
  readonly passphrase?: string | undefined;
  readonly passphraseFile?: string | undefined;
}

/** The passphrase (empty when there is none to use); every problem is reported at `wpath`. */
export function resolveWpaPassphrase(w: WpaNetworkInput, wpath: KeyPath, rep: Reporter, probe: SiteProbe): string {
  let passphrase = "";
  if (w.passphrase !== undefined && w.passphraseFile !== undefined) {
    rep.add("LB_ERR_SCHEMA", [...wpath, "passphraseFile"], "give passphrase or passphraseFile, not both");
  } else if (w.passphrase !== undefined) {
    passphrase = w.passphrase;
    const bad = checkPassphrase(passphrase);
    if (bad) rep.add("LB_ERR_WPA_PASSPHRASE", [...wpath, "passphrase"], bad);
  } else if (w.passphraseFile !== undefined) {
    const r = probe.readSecret(w.passphraseFile);
    if (!r.ok) rep.add("LB_ERR_REFERENCE", [...wpath, "passphraseFile"], `cannot read ${w.passphraseFile}: ${r.error}`);
    else {
      passphrase = r.value;
      const bad = checkPassphrase(passphrase);
      if (bad) rep.add("LB_ERR_WPA_PASSPHRASE", [...wpath, "passphraseFile"], `${w.passphraseFile}: ${bad}`);
    }
  } else {
    rep.add("LB_ERR_SCHEMA", wpath, "wifi needs passphrase or passphraseFile (WPA-PSK)");
  }
  if (/[\0\n\r]/.test(w.ssid)) rep.add("LB_ERR_UNSAFE_VALUE", [...wpath, "ssid"], "an SSID with NUL or line breaks cannot be configured safely");
  if (Buffer.byteLength(w.ssid, "utf8") > 32) rep.add("LB_ERR_SCHEMA", [...wpath, "ssid"], "an SSID is at most 32 bytes");
  return passphrase;
}
