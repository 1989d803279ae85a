/**
 * wpa_supplicant.conf (mode 0600: it holds the key) for a client's Wi-Fi
 * port: a FreeBSD client's wlan, a Linux client's Wi-Fi backup NIC. One
 * WPA-PSK network; the SSID and passphrase are written by quote-wpa.ts.
 */
import type { FreebsdLaggClient, LinuxLaggClient, WpaNetwork } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { wpaPsk, wpaSsid } from "./quote-wpa.js";

/** The global settings before the network block, in order. */
export type WpaGlobals = readonly (readonly [name: string, value: string])[];

export function renderWpaConf(title: string, globals: WpaGlobals, net: Pick<WpaNetwork, "ssid" | "passphrase">): string {
  const psk = wpaPsk(net.passphrase, net.ssid);
  return [
    generatedHeader(title),
    ...globals.map(([name, value]) => `${name}=${value}`),
    "network={",
    `\tssid=${wpaSsid(net.ssid)}`,
    "\tkey_mgmt=WPA-PSK",
    // A passphrase holding both '"' and '#' cannot be quoted for wpa_supplicant (quote-wpa.ts).
    ...(psk.derived ? ["\t# psk: the key derived from the inventory's passphrase (it holds both '\"' and '#')"] : []),
    `\tpsk=${psk.value}`,
    "}",
    "",
  ].join("\n");
}

/** FreeBSD: /etc/wpa_supplicant.conf, read by rc.d's wpa_supplicant for wlan0 (the country goes to rc.conf). */
export function renderWpaSupplicantConf(c: FreebsdLaggClient): string | undefined {
  if (!c.wifi) return undefined;
  return renderWpaConf(`wpa_supplicant.conf for ${c.name}`, [["ctrl_interface", "/var/run/wpa_supplicant"], ["ctrl_interface_group", "wheel"]], c.wifi);
}

/**
 * Linux: the configuration laggboot-wifi runs wpa_supplicant with on the
 * Wi-Fi backup NIC. The control socket is root's only (no group: Debian has
 * no wheel); the country sets the regulatory domain.
 */
export function renderLinuxWpaConf(c: LinuxLaggClient): string | undefined {
  const w = c.backupWifi;
  if (w === undefined) return undefined;
  const globals: [string, string][] = [["ctrl_interface", "/run/wpa_supplicant"]];
  if (w.country !== undefined) globals.push(["country", w.country]);
  return renderWpaConf(`wpa_supplicant.conf for the Wi-Fi backup port of ${c.name} (laggboot-wifi)`, globals, w);
}
