/**
 * The site-level render targets, by name, for `laggboot render TARGET` and its
 * listing. Each is a pure function of the inventory.
 */
import type { Inventory } from "../config/types.js";
import { renderDnsmasq } from "./dnsmasq.js";
import { renderExportsFreebsd, renderExportsLinux } from "./exports.js";
import { renderIscDhcpd } from "./isc-dhcpd.js";
import { renderKea } from "./kea.js";

export interface SiteTarget {
  readonly description: string;
  readonly render: (inv: Inventory) => string;
}

export const SITE_TARGETS: Record<string, SiteTarget> = {
  "isc-dhcpd": { description: "dhcpd.conf for ISC dhcpd 4.x: subnets, reservations, boot file by architecture", render: renderIscDhcpd },
  kea: { description: "Kea DHCPv4 configuration (JSON): subnets, reservations, client classes for boot files", render: renderKea },
  dnsmasq: { description: "dnsmasq.conf DHCP lines: ranges, dhcp-host, dhcp-boot by architecture and iPXE", render: renderDnsmasq },
  exports: { description: "FreeBSD exports(5) lines for the client roots (-maproot=root, by client address)", render: renderExportsFreebsd },
  "exports-linux": { description: "Linux exports(5) lines for the client roots (no_root_squash, by client address)", render: renderExportsLinux },
};
