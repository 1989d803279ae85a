/**
 * A Kea DHCPv4 configuration (`laggboot render kea`), checked by
 * `kea-dhcp4 -t FILE` in the test suite. Plain JSON (no comments), so other
 * tools can read it too; the notes Kea keeps are in "comment" entries.
 *
 * Boot files are chosen by client classes only, never by a reservation's
 * boot-file-name: Kea lets a reservation's fixed fields override every class,
 * so a reservation naming a boot program would hand it again to the same
 * client once it runs iPXE, and it would loop. The classes' tests exclude each
 * other, so no class order rule decides anything.
 */
import type { Client, Inventory, Network } from "../config/types.js";
import { archBootFiles, archLabel, BIOS_ARCH, clientsByNetwork, oneHostHttpBootPlan, macEntries, ownArchs, ownHttpFile, pxeFileGroups, tftpServerFor, type PxeFileGroup } from "./site-common.js";
import { keaClassName, keaExprString, keaMacLiteral, keaText } from "./quote-kea.js";

/** Option codes used in class tests, by their RFC names. */
const OPT = {
  vendorClass: 60, // RFC 2132 section 9.13; UEFI HTTP Boot sends "HTTPClient:Arch:..."
  userClass: 77, // RFC 3004; iPXE sends the bare text "iPXE"
  clientArch: 93, // RFC 4578 section 2.1
  ipxeEncap: 175, // iPXE's encapsulated options: only iPXE sends it
} as const;

const CLASS_IPXE = "laggboot-ipxe";
const CLASS_HTTP = "laggboot-http-boot";
const CLASS_OWN_IPXE = "laggboot-own-ipxe";
const CLASS_OWN_BOOT = "laggboot-own-boot";
const CLASS_RESERVED = "laggboot-reserved";

/** Debian's and Kea's default memfile location. */
const KEA_LEASE_FILE = "/var/lib/kea/kea-leases4.csv";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, "0")}`;

function groupMacTest(g: PxeFileGroup): string {
  return g.clients.flatMap((c) => c.macs.map((m) => `pkt4.mac == ${keaMacLiteral(m)}`)).join(" or ");
}

/** Option 60 "HTTPClient" marks an offer as an HTTP Boot one (EDK2 HttpBootDhcp4.c); always sent with the URL. */
const HTTP_CLIENT_OPTION: Json[] = [{ name: "vendor-class-identifier", data: "HTTPClient", "always-send": true }];

function bootClasses(inv: Inventory): Json[] {
  const tftp = inv.server.tftp;
  const h = oneHostHttpBootPlan(inv, "kea");
  const groups = pxeFileGroups(inv);
  const archIs = (arch: number): string => `option[${OPT.clientArch}].hex == ${hex16(arch)}`;
  // BIOS also stands for clients that send no option 93.
  const archOrBios = (arch: number): string => (arch === BIOS_ARCH ? `(${archIs(arch)} or not option[${OPT.clientArch}].exists)` : archIs(arch));
  const overHttp = (protocol: "http" | "tftp" | undefined, file: string): string => (protocol === "http" && h ? h.url(file) : file);
  const classes: Json[] = [{
    name: CLASS_IPXE,
    comment: "Clients already running iPXE: they send user class iPXE or option 175.",
    test: `option[${OPT.userClass}].hex == ${keaExprString("the iPXE user class", "iPXE")} or option[${OPT.ipxeEncap}].exists`,
  }, {
    name: CLASS_HTTP,
    comment: "UEFI HTTP Boot firmware: vendor class HTTPClient:Arch:...; it gets an http:// URL or no boot file.",
    test: `substring(option[${OPT.vendorClass}].hex,0,10) == ${keaExprString("the HTTP Boot vendor class", "HTTPClient")}`,
  }];
  // PXE clients with their own files, matched by MAC so the match needs no reservation lookup.
  const ownIpxe: string[] = [], ownBoot: string[] = [];
  const httpArchs = h?.plan.httpProtocolArchs ?? [];
  for (const g of groups) {
    const macs = groupMacTest(g);
    if (g.ipxeScript !== undefined) {
      const name = keaClassName(`laggboot-pxe${g.index}-ipxe`);
      ownIpxe.push(name);
      classes.push({ name, test: `member('${CLASS_IPXE}') and (${macs})`, "boot-file-name": keaText("a client's ipxeScript", overHttp(h?.plan.ipxe, g.ipxeScript)) });
    }
    // PXE firmware: the group's program for its architecture, else its program for all; neither: the site's classes.
    const pxeBase = `not member('${CLASS_IPXE}') and not member('${CLASS_HTTP}')`;
    const archs = ownArchs(g);
    for (const { arch, file } of archs) {
      const name = keaClassName(`laggboot-pxe${g.index}-arch-${arch}`);
      ownBoot.push(name);
      classes.push({ name, comment: archLabel(arch), test: `${pxeBase} and ${archOrBios(arch)} and (${macs})`, "boot-file-name": keaText(`a client's boot file for architecture ${arch}`, file) });
    }
    if (g.bootFile !== undefined) {
      const name = keaClassName(`laggboot-pxe${g.index}-boot`);
      ownBoot.push(name);
      const others = archs.length > 0 ? ` and not (${archs.map((a) => archOrBios(a.arch)).join(" or ")})` : "";
      classes.push({ name, test: `${pxeBase}${others} and (${macs})`, "boot-file-name": keaText("a client's bootFile", g.bootFile) });
    }
    // UEFI HTTP Boot firmware: the group's program as a URL, architectures with the same program in one class.
    const httpFiles = new Map<string, number[]>();
    for (const arch of httpArchs) {
      const file = ownHttpFile(g, arch);
      if (file !== undefined) httpFiles.set(file, [...(httpFiles.get(file) ?? []), arch]);
    }
    [...httpFiles].forEach(([file, fileArchs], i) => {
      const httpName = keaClassName(`laggboot-pxe${g.index}-http${i === 0 ? "" : `-${i + 1}`}`);
      ownBoot.push(httpName);
      classes.push({
        name: httpName, test: `member('${CLASS_HTTP}') and (${fileArchs.map(archIs).join(" or ")}) and (${macs})`,
        "boot-file-name": keaText("a client's boot file", h!.url(file)), "option-data": HTTP_CLIENT_OPTION,
      });
    });
  }
  // Marker classes, only when some PXE client has its own file: Kea has no "false" literal.
  const anyOf = (names: string[]): string => names.map((n) => `member('${n}')`).join(" or ");
  if (ownIpxe.length > 0) classes.push({ name: CLASS_OWN_IPXE, test: anyOf(ownIpxe) });
  if (ownBoot.length > 0) classes.push({ name: CLASS_OWN_BOOT, test: anyOf(ownBoot) });
  const ipxeBase = ownIpxe.length > 0 ? `member('${CLASS_IPXE}') and not member('${CLASS_OWN_IPXE}')` : `member('${CLASS_IPXE}')`;
  const ipxeByArch = h?.plan.ipxeByArch ?? [];
  for (const { arch, protocol } of ipxeByArch) {
    classes.push({ name: keaClassName(`laggboot-ipxe-script-arch-${arch}`), test: `${ipxeBase} and ${archIs(arch)}`, "boot-file-name": keaText("server.tftp.ipxeScript", overHttp(protocol, tftp.ipxeScript)) });
  }
  classes.push({
    name: keaClassName("laggboot-ipxe-script"),
    test: [ipxeBase, ...ipxeByArch.map((a) => `not ${archIs(a.arch)}`)].join(" and "),
    "boot-file-name": keaText("server.tftp.ipxeScript", overHttp(h?.plan.ipxe, tftp.ipxeScript)),
  });
  const notOwnBoot = ownBoot.length > 0 ? ` and not member('${CLASS_OWN_BOOT}')` : "";
  for (const { arch, file } of h?.plan.httpArchs ?? []) {
    classes.push({
      name: keaClassName(`laggboot-http-arch-${arch}`), comment: archLabel(arch), test: `member('${CLASS_HTTP}') and ${archIs(arch)}${notOwnBoot}`,
      "boot-file-name": keaText(`the boot file for architecture ${arch}`, h!.url(file)), "option-data": HTTP_CLIENT_OPTION,
    });
  }
  const base = `not member('${CLASS_IPXE}') and not member('${CLASS_HTTP}')${notOwnBoot}`;
  for (const { arch, file } of archBootFiles(inv)) {
    classes.push({
      name: keaClassName(`laggboot-arch-${arch}`),
      comment: arch === BIOS_ARCH ? `${archLabel(arch)}, and clients that send no option 93` : archLabel(arch),
      test: `${base} and ${archOrBios(arch)}`,
      "boot-file-name": keaText(`the boot file for architecture ${arch}`, file),
    });
  }
  return classes;
}

function reservations(inv: Inventory, net: Network, clients: readonly Client[], proxy: boolean): Json[] {
  const out: Json[] = [];
  for (const c of clients) {
    // always-send: Kea sends only requested options otherwise, and the FreeBSD loader
    // needs both in the first OFFER whether or not it asked (design notes, section 1).
    const fqdn = keaText(`client ${c.name} fqdn`, c.fqdn);
    const options: Json[] = [{ name: "host-name", data: fqdn, "always-send": true }];
    if (c.rootPath !== undefined) options.push({ name: "root-path", data: keaText(`client ${c.name} root path`, c.rootPath), "always-send": true });
    for (const { mac } of macEntries(c)) {
      const r: { [k: string]: Json } = { "hw-address": mac, "ip-address": c.ip, hostname: fqdn };
      if (!proxy) r["next-server"] = tftpServerFor(inv, net);
      r["option-data"] = options;
      out.push(r);
    }
  }
  return out;
}

function subnets(inv: Inventory, proxy: boolean): Json[] {
  return clientsByNetwork(inv).map(({ net, clients }, i) => {
    const options: Json[] = [];
    if (net.gateway) options.push({ name: "routers", data: net.gateway });
    if (net.dns.length > 0) options.push({ name: "domain-name-servers", data: net.dns.join(", ") });
    if (net.domain) options.push({ name: "domain-name", data: keaText(`network ${net.name} domain`, net.domain) });
    const s: { [k: string]: Json } = {
      id: i + 1,
      subnet: `${net.prefix.network}/${net.prefix.length}`,
      comment: `Network ${net.name}${net.relayed ? " (reached through a DHCP relay; Kea selects it by giaddr)" : ""}`,
      "valid-lifetime": net.poolLeaseSeconds,
    };
    if (!proxy) s["next-server"] = tftpServerFor(inv, net);
    s["pools"] = net.pool ? [{ pool: `${net.pool.first} - ${net.pool.last}` }] : [];
    s["option-data"] = options;
    s["reservations"] = reservations(inv, net, clients, proxy);
    return s;
  });
}

export function renderKea(inv: Inventory): string {
  const proxy = inv.server.dhcp.mode === "proxy";
  const sharedAddress = inv.clients.some((c) => c.macs.length > 1);
  const classes: Json[] = [{
    name: CLASS_RESERVED,
    comment: "Reservations get the reservation lease time; the FreeBSD loader never renews.",
    test: "member('KNOWN')",
    "valid-lifetime": inv.server.dhcp.reservationLeaseSeconds,
  }];
  if (!proxy) classes.push(...bootClasses(inv));
  const dhcp4: { [k: string]: Json } = {
    comment: proxy
      ? "Written by laggboot (render kea), mode proxy: for the SITE's DHCP server. laggboot sends boot files as a ProxyDHCP server; this server assigns the fixed addresses and sends root-path and host-name, which the FreeBSD loader's own DHCP exchange needs. No boot file or next-server here, so PXE ROMs take them from laggboot."
      : "Written by laggboot (render kea), mode full. Change the inventory, not this file.",
    "interfaces-config": { comment: "List the interfaces that face the client networks (or relays) here.", interfaces: [] },
    // Reservations need no lease memory; a pool does, or a restarted server could hand out an address twice.
    "lease-database": inv.server.networks.some((n) => n.pool)
      ? { type: "memfile", persist: true, name: KEA_LEASE_FILE }
      : { type: "memfile", persist: false },
    "valid-lifetime": inv.server.dhcp.poolLeaseSeconds,
    "host-reservation-identifiers": ["hw-address"],
  };
  // Several MACs (wired and Wi-Fi NIC) share one address: one reservation per MAC.
  if (sharedAddress) dhcp4["ip-reservations-unique"] = false;
  dhcp4["client-classes"] = classes;
  dhcp4["subnet4"] = subnets(inv, proxy);
  return `${JSON.stringify({ Dhcp4: dhcp4 }, null, 2)}\n`;
}
