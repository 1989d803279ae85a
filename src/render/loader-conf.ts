/**
 * loader.conf.local: every module the lagg and the Wi-Fi need, preloaded by
 * the loader so that none of them is read from /boot on the NFS root once
 * the boot address has moved (docs/client-flip.md, "Modules"): lagg(4),
 * wlan(4), the Wi-Fi driver, net80211's cipher and rate-control modules
 * (which it otherwise kldloads when wpa_supplicant installs keys or the vap
 * starts), and the driver's firmware (src/config/wifi-drivers.ts).
 * The loader reads /boot/loader.conf.local after loader.conf (default
 * loader_conf_files), so the site's own loader.conf stays untouched.
 */
import { LaggbootError } from "../errors.js";
import type { FreebsdLaggClient } from "../config/types.js";
import { firmwareModules, wifiDriver } from "../config/wifi-drivers.js";
import { generatedHeader } from "./header.js";

/** net80211 modules for WPA-PSK (CCMP, TKIP) and the usual rate control. */
const NET80211_MODULES = ["wlan", "wlan_ccmp", "wlan_tkip", "wlan_amrr"] as const;

/**
 * The lines that preload one module. Module names are letters, digits, '_'
 * and '-' (rsu-rtl8712fw). The Lua loader of FreeBSD 12 and later reads
 * '-' in a `<module>_load` key, but its first version and the Forth loader
 * take only letters, digits and '_' there; a name with '-' is therefore
 * preloaded under a key with '_' and named by `<key>_name`, which every
 * loader reads (stand/lua/config.lua MODULEEXPR; loader.conf(5)).
 */
function loadLines(module: string): string[] {
  if (!/^[A-Za-z0-9_-]+$/.test(module)) throw new LaggbootError("LB_ERR_RENDER", `"${module}" is not a module name the loader can preload`);
  if (!module.includes("-")) return [`${module}_load="YES"`];
  const key = module.replaceAll("-", "_");
  return [`${key}_load="YES"`, `${key}_name="${module}"`];
}

/** A comment saying which firmware a Wi-Fi card gets, and why. */
function firmwareNote(c: FreebsdLaggClient & { wifi: NonNullable<FreebsdLaggClient["wifi"]> }): string {
  const { parent, firmware } = c.wifi;
  const drv = wifiDriver(parent);
  if (firmware !== undefined) return `# ${parent} firmware (wifi.firmware): ${firmware.length > 0 ? firmware.join(", ") : "none"}`;
  const fw = drv.firmware;
  switch (fw.kind) {
    case "fixed": return `# ${parent} firmware: ${fw.modules.join(", ")} (${drv.source})`;
    case "none": return `# ${parent} firmware: none needed (${fw.why}; ${drv.source})`;
    case "chip": return `# ${parent} firmware: depends on the chip, none preloaded; set wifi.firmware to one of ${fw.candidates.join(", ")}`;
    case "unknown": return `# ${parent} firmware: unknown (${fw.why}), none preloaded; set wifi.firmware`;
  }
}

/** Modules for the clients given (one client's own root, or every client of a shared root). */
export function renderLoaderConfLocal(clients: readonly FreebsdLaggClient[], what: string): string {
  const modules = new Set<string>(["if_lagg"]);
  const notes = new Set<string>();
  for (const c of clients) {
    if (!c.wifi) continue;
    for (const m of NET80211_MODULES) modules.add(m);
    modules.add(wifiDriver(c.wifi.parent).module);
    for (const m of firmwareModules(c.wifi.parent, c.wifi.firmware)) modules.add(m);
    notes.add(firmwareNote({ ...c, wifi: c.wifi }));
  }
  const lines = [generatedHeader(`loader.conf.local for ${what}`), ...[...notes].sort()];
  for (const m of [...modules].sort()) lines.push(...loadLines(m));
  return lines.join("\n") + "\n";
}
