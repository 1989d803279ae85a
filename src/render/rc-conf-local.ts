/**
 * rc.conf.local for a freebsd-lagg client: the wlan, the lagg and the flip
 * script's knobs. It never names the boot NIC: rc.d/netif would configure it
 * and cut the NFS root (docs/client-flip.md; design notes section 1.8).
 */
import type { FreebsdLaggClient } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { shAssign } from "./quote-sh.js";

/** FreeBSD 11 made the wireless parent a non-interface: its MAC is set at wlan creation. */
export const WLANADDR_SINCE_RELEASE = 11;

export function renderRcConfLocal(c: FreebsdLaggClient): string {
  const wiredMac = c.macs[0]!;
  const lines: string[] = [generatedHeader(`rc.conf.local for ${c.name} (${c.ip})`)];
  lines.push(`# The boot NIC ${c.wired} is left alone on purpose: any ifconfig_${c.wired} line would cut the NFS root.`);
  lines.push("");
  const lagg = c.lagg.interface;
  if (c.wifi) {
    const w = c.wifi;
    lines.push(`# Wi-Fi: ${w.wlan} on ${w.parent}, with the wired MAC so lagg failover keeps one address.`);
    lines.push(shAssign(`wlans_${w.parent}`, w.wlan));
    const createArgs: string[] = [];
    if (c.freebsdRelease >= WLANADDR_SINCE_RELEASE) createArgs.push(`wlanaddr ${wiredMac}`);
    else lines.push(shAssign(`ifconfig_${w.parent}`, `ether ${wiredMac}`));
    if (w.country) createArgs.push(`country ${w.country}`);
    if (createArgs.length > 0) lines.push(shAssign(`create_args_${w.wlan}`, createArgs.join(" ")));
    lines.push(shAssign(`ifconfig_${w.wlan}`, "WPA"));
  }
  lines.push("");
  lines.push(`# ${lagg}: failover. /etc/rc.d/lagg moves the boot address onto it and adds ${c.wired}.`);
  lines.push(shAssign("cloned_interfaces", lagg));
  lines.push(shAssign(`ifconfig_${lagg}`, c.wifi ? `laggproto failover laggport ${c.wifi.wlan}` : "laggproto failover"));
  lines.push(shAssign("lagg_enable", "YES"));
  lines.push(shAssign("lagg_interface", lagg));
  lines.push(shAssign("lagg_bootif", c.lagg.bootif));
  lines.push(shAssign("lagg_wired_primary", c.lagg.wiredPrimary ? "YES" : "NO"));
  return lines.join("\n") + "\n";
}
