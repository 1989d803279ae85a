/** wpa_supplicant.conf for a client's Wi-Fi port (mode 0600: it holds the key). */
import type { FreebsdLaggClient } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { wpaPsk, wpaSsid } from "./quote-wpa.js";

export function renderWpaSupplicantConf(c: FreebsdLaggClient): string | undefined {
  if (!c.wifi) return undefined;
  const psk = wpaPsk(c.wifi.passphrase, c.wifi.ssid);
  return [
    generatedHeader(`wpa_supplicant.conf for ${c.name}`),
    "ctrl_interface=/var/run/wpa_supplicant",
    "ctrl_interface_group=wheel",
    "network={",
    `\tssid=${wpaSsid(c.wifi.ssid)}`,
    "\tkey_mgmt=WPA-PSK",
    // A passphrase holding both '"' and '#' cannot be quoted for wpa_supplicant (quote-wpa.ts).
    ...(psk.derived ? ["\t# psk: the key derived from the inventory's passphrase (it holds both '\"' and '#')"] : []),
    `\tpsk=${psk.value}`,
    "}",
    "",
  ].join("\n");
}
