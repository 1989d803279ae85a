/**
 * loader.conf.local lines: lagg(4), wlan(4) and the Wi-Fi driver as modules.
 * The loader reads /boot/loader.conf.local after loader.conf (default
 * loader_conf_files), so the site's own loader.conf stays untouched.
 */
import type { FreebsdLaggClient } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { shAssign } from "./quote-sh.js";

/** Wi-Fi drivers whose module name differs from the device name's letters (if_<dev>.ko otherwise). */
const MODULE_BY_DRIVER: Readonly<Record<string, string>> = {
  ath: "if_ath",
  iwm: "if_iwm",
  iwn: "if_iwn",
  iwlwifi: "if_iwlwifi",
  rtwn: "if_rtwn_pci",
  run: "if_run",
  urtw: "if_urtw",
  wpi: "if_wpi",
  ral: "if_ral",
  bwi: "if_bwi",
  bwn: "if_bwn",
  malo: "if_malo",
  mwl: "if_mwl",
  otus: "if_otus",
  rum: "if_rum",
  uath: "if_uath",
  upgt: "if_upgt",
  ural: "if_ural",
  zyd: "if_zyd",
  rsu: "if_rsu",
  mtw: "if_mtw",
};

export function wifiModule(parent: string): string {
  const driver = parent.replace(/[0-9]+$/, "");
  return MODULE_BY_DRIVER[driver] ?? `if_${driver}`;
}

/** Modules for the clients given (one client's own root, or every client of a shared root). */
export function renderLoaderConfLocal(clients: readonly FreebsdLaggClient[], what: string): string {
  const modules = new Set<string>(["if_lagg"]);
  for (const c of clients) {
    if (c.wifi) {
      // net80211 loads its cipher modules (wlan_ccmp...) itself when WPA asks for them.
      modules.add("wlan");
      modules.add(wifiModule(c.wifi.parent));
    }
  }
  const lines = [generatedHeader(`loader.conf.local for ${what}`)];
  for (const m of [...modules].sort()) lines.push(shAssign(`${m}_load`, "YES"));
  return lines.join("\n") + "\n";
}
