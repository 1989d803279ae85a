/**
 * sysctl.conf.local for a freebsd-lagg client. rc.d/sysctl applies
 * /etc/sysctl.conf, then /etc/sysctl.conf.local (libexec/rc/rc.d/sysctl), so
 * the site's own sysctl.conf stays untouched; it runs early in the boot,
 * when if_lagg is already there (loader.conf.local preloads it).
 */
import type { FreebsdLaggClient } from "../config/types.js";
import { generatedHeader } from "./header.js";

export function renderSysctlConfLocal(c: FreebsdLaggClient): string {
  return [
    generatedHeader(`sysctl.conf.local for ${c.name} (${c.ip})`),
    "# lagg(4) failover accepts frames only on the active port unless this is",
    "# set (lagg_fail_input). wlan0 carries the wired MAC: when the switch or the",
    "# access point learns it behind the other port, the server's replies would",
    "# arrive there and be dropped until the client sends on the cable again.",
    "net.link.lagg.failover_rx_all=1",
    "",
  ].join("\n");
}
