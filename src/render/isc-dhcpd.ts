/**
 * dhcpd.conf for ISC dhcpd 4.x (`laggboot render isc-dhcpd`): for sites that
 * keep ISC dhcpd as their DHCP server. Checked by `dhcpd -t -cf FILE` in the
 * test suite. Never writes the seed recipe's `vendor-option-space FreeBSD`
 * line: the stock loader ignores it and the seed's copy lacked its `;`
 * (docs: /work/shared/design/freebsd-diskless.md, section 1 item 4).
 */
import type { Client, Inventory, Network } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { dhcpdHex16, dhcpdName, dhcpdString } from "./quote-dhcpd.js";
import { archBootFiles, archLabel, BIOS_ARCH, clientsByNetwork, oneHostHttpBootPlan, macEntries, ownArchs, ownBootFiles, ownHttpFile, pxeFileGroups, tftpServerFor } from "./site-common.js";

/** Option names this file defines; dhcpd knows neither code by default. */
const OPT_ARCH = "arch"; // option 93, client system architecture (RFC 4578 section 2.1)
const OPT_IPXE = "laggboot-ipxe-encap"; // option 175, iPXE's encapsulated options: present only when iPXE runs
/** Option codes as dhcpd's hex data (PRL entries are single bytes). */
const PRL_ROOT_PATH = "11"; // option 17, RFC 2132 section 3.19
const PRL_HOST_NAME = "0c"; // option 12, RFC 2132 section 3.14

const FULL_NOTE = `# Mode full: this server assigns the addresses and names the boot files.
# The FreeBSD loader runs its own DHCP exchange after pxeboot/loader.efi and
# needs root-path (17) and host-name (12) in the very first OFFER: old
# loaders send no parameter request list (dhcpd then sends every option in
# scope), newer ones send one; clients whose list lacks 17 or 12 get them
# appended below, so dhcpd sends them anyway.`;

const PROXY_NOTE = `# Mode proxy: this file is for the SITE's DHCP server, which keeps assigning
# addresses while laggboot answers as a ProxyDHCP server (PXE spec, port 4011)
# with the boot file and TFTP server. It therefore names no filename and no
# next-server (a PXE ROM would otherwise take the boot file from this server).
# What it must still do is answer the FreeBSD loader's own DHCP exchange with
# a fixed address, root-path (17) and host-name (12): laggboot never answers
# the loader's bare "PXEClient" request, so this server's reply is the one the
# loader boots from.`;

function globals(inv: Inventory): string[] {
  return [
    "ddns-update-style none;",
    `default-lease-time ${inv.server.dhcp.poolLeaseSeconds};`,
    `max-lease-time ${inv.server.dhcp.poolLeaseSeconds};`,
    "",
    "# Option 93, the client's architecture (RFC 4578 section 2.1), and option 175,",
    "# which only iPXE sends: dhcpd knows neither by default.",
    `option ${OPT_ARCH} code 93 = unsigned integer 16;`,
    `option ${OPT_IPXE} code 175 = string;`,
    "",
    "# Send root-path and host-name to clients whose parameter request list",
    "# lacks them (RFC 2131 section 4.3.1 lets a server add options); clients",
    "# that send no list at all already get every option in scope.",
    "if exists dhcp-parameter-request-list {",
    `  option dhcp-parameter-request-list = concat(option dhcp-parameter-request-list, ${PRL_ROOT_PATH}, ${PRL_HOST_NAME});`,
    "}",
  ];
}

function subnet(inv: Inventory, net: Network, proxy: boolean): string[] {
  const out = [`# Network ${net.name}${net.relayed ? " (reached through a DHCP relay)" : ""}`];
  out.push(`subnet ${net.prefix.network} netmask ${net.netmask} {`);
  out.push(`  option subnet-mask ${net.netmask};`, `  option broadcast-address ${net.broadcast};`);
  if (net.gateway) out.push(`  option routers ${net.gateway};`);
  if (net.dns.length > 0) out.push(`  option domain-name-servers ${net.dns.join(", ")};`);
  if (net.domain) out.push(`  option domain-name ${dhcpdString(`network ${net.name} domain`, net.domain)};`);
  if (!proxy) out.push(`  next-server ${tftpServerFor(inv, net)};`);
  if (net.pool) {
    out.push("  pool {", `    range ${net.pool.first} ${net.pool.last};`);
    out.push(`    default-lease-time ${net.poolLeaseSeconds};`, `    max-lease-time ${net.poolLeaseSeconds};`, "  }");
  } else {
    out.push("  # No pool: only the reservations below get addresses here.");
  }
  out.push("}");
  return out;
}

/** dhcpd reads a leading "(" after if/elsif as the whole condition, so conditions are wrapped entirely. */
const IPXE_TEST = `((exists user-class and option user-class = "iPXE") or exists ${OPT_IPXE})`;
/** UEFI HTTP Boot firmware: vendor class "HTTPClient:Arch:...". */
const HTTP_TEST = `(exists vendor-class-identifier and substring(option vendor-class-identifier, 0, 10) = "HTTPClient")`;
const archTest = (archs: readonly number[]): string => `(${archs.map((a) => `option ${OPT_ARCH} = ${dhcpdHex16(a)}`).join(" or ")})`;

/** Statements that answer UEFI HTTP Boot firmware: option 60 marks the offer as an HTTP Boot one (EDK2 HttpBootDhcp4.c). */
function httpAnswer(url: string, what: string, indent: string): string[] {
  return [`${indent}option vendor-class-identifier "HTTPClient";`, `${indent}filename ${dhcpdString(what, url)};`];
}

/** Global boot file choice: iPXE first (it also sends option 93 and would loop), then by architecture. */
function bootChain(inv: Inventory, h: Plan): string[] {
  const script = inv.server.tftp.ipxeScript;
  const scriptName = (protocol: "http" | "tftp" | undefined): string => dhcpdString("server.tftp.ipxeScript", protocol === "http" && h ? h.url(script) : script);
  const out = [
    "# Boot file by client architecture (option 93). Clients already running",
    "# iPXE (user class \"iPXE\" or option 175) get the iPXE script instead of a",
    "# boot program, or they would load iPXE again and loop. UEFI HTTP Boot",
    "# firmware (vendor class HTTPClient) gets a URL or nothing. Clients that",
    "# send no option 93 are treated as BIOS. A host block below may override.",
  ];
  let first = true;
  const branch = (cond: string): string => {
    const b = `${first ? "if" : "} elsif"} ${cond} {`;
    first = false;
    return b;
  };
  for (const { arch, protocol } of h?.plan.ipxeByArch ?? []) out.push(branch(`(${IPXE_TEST} and option ${OPT_ARCH} = ${dhcpdHex16(arch)})`), `  filename ${scriptName(protocol)};`);
  out.push(branch(IPXE_TEST), `  filename ${scriptName(h?.plan.ipxe)};`);
  for (const { arch, file } of h?.plan.httpArchs ?? []) {
    out.push(branch(`(${HTTP_TEST} and option ${OPT_ARCH} = ${dhcpdHex16(arch)})`), `  # ${archLabel(arch)}`, ...httpAnswer(h!.url(file), `the boot file for architecture ${arch}`, "  "));
  }
  out.push(branch(HTTP_TEST), "  # UEFI HTTP Boot firmware of another architecture: no boot file.");
  for (const { arch, file } of archBootFiles(inv)) {
    const cond = arch === BIOS_ARCH ? `((not exists ${OPT_ARCH}) or option ${OPT_ARCH} = ${dhcpdHex16(arch)})` : `option ${OPT_ARCH} = ${dhcpdHex16(arch)}`;
    out.push(`} elsif ${cond} {`, `  # ${archLabel(arch)}`, `  filename ${dhcpdString(`the boot file for architecture ${arch}`, file)};`);
  }
  out.push("}");
  return out;
}

type Plan = ReturnType<typeof oneHostHttpBootPlan>;

/**
 * Host-scope statements that override the global boot file for clients with
 * their own files; where none matches, the global choice stands.
 */
function ownBootFile(c: Client, h: Plan): string[] {
  const own = ownBootFiles(c);
  if (own === undefined) return [];
  const out: string[] = [];
  let first = true;
  const branch = (cond: string): void => {
    out.push(`  ${first ? "if" : "} elsif"} ${cond} {`);
    first = false;
  };
  if (own.ipxeScript !== undefined) {
    branch(IPXE_TEST);
    out.push(`    filename ${dhcpdString(`client ${c.name} ipxeScript`, h?.plan.ipxe === "http" ? h.url(own.ipxeScript) : own.ipxeScript)};`);
  }
  // UEFI HTTP Boot firmware: the client's own program as a URL, architectures with the same program together.
  for (const { file, archs } of byFile((h?.plan.httpProtocolArchs ?? []).map((arch) => ({ arch, file: ownHttpFile(own, arch) })))) {
    branch(`(${HTTP_TEST} and ${archTest(archs)})`);
    out.push(...httpAnswer(h!.url(file), `client ${c.name} boot file`, "    "));
  }
  // PXE firmware: its program for this architecture, else its program for all; neither: the site's (above).
  const notIpxeOrHttp = `not (${IPXE_TEST} or ${HTTP_TEST})`;
  for (const { arch, file } of ownArchs(own)) {
    branch(`((${notIpxeOrHttp}) and ${arch === BIOS_ARCH ? `((not exists ${OPT_ARCH}) or option ${OPT_ARCH} = ${dhcpdHex16(arch)})` : `option ${OPT_ARCH} = ${dhcpdHex16(arch)}`})`);
    out.push(`    # ${archLabel(arch)}`, `    filename ${dhcpdString(`client ${c.name} boot file for architecture ${arch}`, file)};`);
  }
  if (own.bootFile !== undefined) {
    branch(notIpxeOrHttp);
    out.push(`    filename ${dhcpdString(`client ${c.name} bootFile`, own.bootFile)};`);
  }
  if (!first) out.push("  }");
  return out;
}

/** Architectures grouped by the file they get (undefined files left out), in first-seen order. */
function byFile(entries: readonly { arch: number; file: string | undefined }[]): { file: string; archs: number[] }[] {
  const m = new Map<string, number[]>();
  for (const { arch, file } of entries) if (file !== undefined) m.set(file, [...(m.get(file) ?? []), arch]);
  return [...m].map(([file, archs]) => ({ file, archs }));
}

function hostBlocks(c: Client, proxy: boolean, h: Plan): string[] {
  const out: string[] = [];
  const body: string[] = [`  fixed-address ${c.ip};`, `  option host-name ${dhcpdString(`client ${c.name} fqdn`, c.fqdn)};`];
  if (c.rootPath !== undefined) body.push(`  option root-path ${dhcpdString(`client ${c.name} root path`, c.rootPath)};`);
  if (!proxy) body.push(...ownBootFile(c, h));
  for (const { mac, ordinal } of macEntries(c)) {
    // One host block per MAC (dhcpd matches one hardware address per host); they share the address.
    const name = dhcpdName("a host name", ordinal === 1 ? c.name : `${c.name}.mac${ordinal}`);
    out.push(`host ${name} {`, `  hardware ethernet ${mac};`, ...body, "}");
  }
  return out;
}

export function renderIscDhcpd(inv: Inventory): string {
  const proxy = inv.server.dhcp.mode === "proxy";
  // Proxy mode names no boot files: laggboot answers HTTP Boot and iPXE as the ProxyDHCP server.
  const h = proxy ? undefined : oneHostHttpBootPlan(inv, "isc-dhcpd");
  const out: string[] = [generatedHeader("ISC dhcpd 4.x configuration (laggboot render isc-dhcpd)"), proxy ? PROXY_NOTE : FULL_NOTE, ""];
  out.push(...globals(inv), "");
  const nets = clientsByNetwork(inv);
  for (const { net } of nets) out.push(...subnet(inv, net, proxy), "");
  if (!proxy) {
    out.push(...bootChain(inv, h), "");
    if (pxeFileGroups(inv).length > 0) out.push("# PXE clients with their own boot file or iPXE script override it in their host block.", "");
  }
  out.push("# Reservations: the loader never renews its lease, so every client has a fixed address.");
  out.push("group {", `  default-lease-time ${inv.server.dhcp.reservationLeaseSeconds};`, `  max-lease-time ${inv.server.dhcp.reservationLeaseSeconds};`);
  for (const { net, clients } of nets) {
    if (clients.length === 0) continue;
    out.push("", `  # Network ${net.name}`);
    for (const c of clients) for (const line of hostBlocks(c, proxy, h)) out.push(`  ${line}`);
  }
  out.push("}");
  return out.join("\n") + "\n";
}
