/**
 * dnsmasq.conf lines for DHCP (`laggboot render dnsmasq`), checked by
 * `dnsmasq --test -C FILE` in the test suite. DNS settings are left to the
 * site; add `port=0` when dnsmasq should serve DHCP only.
 *
 * Every boot line carries tags that exclude each other (iPXE or not, own file
 * or not, which architecture), so which dhcp-boot line dnsmasq tries first
 * never matters.
 */
import type { Client, Inventory, Network } from "../config/types.js";
import { generatedHeader } from "./header.js";
import { dnsmasqString, dnsmasqTag } from "./quote-dnsmasq.js";
import { archBootFiles, archLabel, BIOS_ARCH, clientsByNetwork, hasOwnBootProgram, httpBootPlan, ownArchs, ownBootFiles, ownHttpFile, pxeFileGroups, tftpServerFor } from "./site-common.js";

/** Option 175: only iPXE sends it (iPXE's encapsulated options). */
const OPT_IPXE_ENCAP = 175;
/** Option 12, host name (RFC 2132 section 3.14). */
const OPT_HOST_NAME = 12;

const TAG = {
  ipxe: "lb-ipxe",
  http: "lb-http",
  hasArch: "lb-arch",
  ownIpxe: "lb-own-ipxe",
  ownBoot: "lb-own-boot",
  arch: (n: number) => dnsmasqTag(`lb-arch-${n}`),
  net: (name: string) => dnsmasqTag(`lb-net-${name}`),
  client: (name: string) => dnsmasqTag(`lb-host-${name}`),
} as const;

const FULL_NOTE = `# Mode full: dnsmasq assigns the addresses and names the boot files.
# root-path and host-name go out with dhcp-option-force to FreeBSD clients:
# the loader's own DHCP exchange needs them in the first OFFER whether or not
# its parameter request list names them.`;

const PROXY_NOTE = `# Mode proxy: this file is for the SITE's dnsmasq, which keeps assigning
# addresses while laggboot answers as a ProxyDHCP server with the boot file
# and TFTP server. So no dhcp-boot lines here (a PXE ROM would take the boot
# file from this server), but fixed addresses, root-path and host-name,
# which the FreeBSD loader's own DHCP exchange needs (laggboot never answers
# the loader's bare "PXEClient" request).`;

function networkLines(inv: Inventory): string[] {
  const out: string[] = [];
  for (const { net } of clientsByNetwork(inv)) {
    const tag = TAG.net(net.name);
    out.push(`# Network ${net.name}${net.relayed ? " (reached through a DHCP relay; dnsmasq matches it by giaddr)" : ""}`);
    if (net.pool) {
      out.push(`dhcp-range=set:${tag},${net.pool.first},${net.pool.last},${net.netmask},${net.poolLeaseSeconds}`);
    } else {
      out.push(`dhcp-range=set:${tag},${net.prefix.network},static,${net.netmask},${inv.server.dhcp.reservationLeaseSeconds}`);
    }
    if (net.gateway) out.push(`dhcp-option=tag:${tag},option:router,${net.gateway}`);
    if (net.dns.length > 0) out.push(`dhcp-option=tag:${tag},option:dns-server,${net.dns.join(",")}`);
    if (net.domain) out.push(`dhcp-option=tag:${tag},option:domain-name,${dnsmasqString(`network ${net.name} domain`, net.domain)}`);
    out.push("");
  }
  return out;
}

type Scope = { readonly tag: string | undefined; readonly addr: string; readonly net: Network };
/** A boot file name, or one that depends on the network (a URL naming the server's address there). */
type BootName = string | ((net: Network) => string);

function bootLines(inv: Inventory): string[] {
  const plan = httpBootPlan(inv, "dnsmasq");
  const groups = pxeFileGroups(inv);
  const ownIpxe = groups.some((g) => g.ipxeScript !== undefined);
  const ownBoot = groups.some(hasOwnBootProgram);
  // dhcp-boot=FILE,SERVERNAME,SERVERADDRESS; the address goes into siaddr (next-server). When
  // the networks' clients use different TFTP (or HTTP) addresses, each boot line is repeated per network.
  const servers: Scope[] = clientsByNetwork(inv).map(({ net }) => ({ tag: TAG.net(net.name), addr: tftpServerFor(inv, net), net }));
  const scopes = new Set(servers.map((x) => x.addr)).size <= 1 && (plan?.oneHost ?? true) ? [{ ...servers[0]!, tag: undefined }] : servers;
  const line = (scope: Scope, tags: string[], file: BootName, what: string): string =>
    `dhcp-boot=${[...(scope.tag ? [scope.tag] : []), ...tags].map((t) => `tag:${t}`).join(",")},${dnsmasqString(what, typeof file === "string" ? file : file(scope.net))},,${scope.addr}`;
  const boot = (tags: string[], file: BootName, what: string): string[] => scopes.map((scope) => line(scope, tags, file, what));
  // A client's own line needs only its own network's server address.
  const bootFor = (c: Client, tags: string[], file: BootName, what: string): string =>
    line(scopes.length === 1 ? scopes[0]! : scopes.find((x) => x.tag === TAG.net(c.network.name))!, tags, file, what);
  const over = (protocol: "http" | "tftp" | undefined, file: string): BootName => (protocol === "http" && plan ? (net) => plan.url(net, file) : file);
  const archs = archBootFiles(inv);
  const matched = [...new Set([
    ...archs.map((a) => a.arch), ...groups.flatMap((g) => [...g.byArch.keys()]),
    ...(plan?.ipxeByArch ?? []).map((a) => a.arch), ...(plan?.httpArchs ?? []).map((a) => a.arch), ...(plan?.httpProtocolArchs ?? []),
  ])].sort((a, b) => a - b);
  const out = [
    "# Clients already running iPXE (user class \"iPXE\" or option 175) get the",
    "# iPXE script, or they would load iPXE again and loop.",
    `dhcp-userclass=set:${TAG.ipxe},iPXE`,
    `dhcp-match=set:${TAG.ipxe},${OPT_IPXE_ENCAP}`,
    "# UEFI HTTP Boot firmware (vendor class HTTPClient...) gets an http:// URL or no boot file.",
    `dhcp-vendorclass=set:${TAG.http},HTTPClient`,
    "# Boot program by client architecture (option 93, RFC 4578 section 2.1);",
    "# clients that send no option 93 are treated as BIOS.",
    `dhcp-match=set:${TAG.hasArch},option:client-arch`,
  ];
  for (const arch of matched) out.push(`dhcp-match=set:${TAG.arch(arch)},option:client-arch,${arch}`);
  const ipxeTags = ownIpxe ? [TAG.ipxe, `!${TAG.ownIpxe}`] : [TAG.ipxe];
  const script = inv.server.tftp.ipxeScript;
  for (const { arch, protocol } of plan?.ipxeByArch ?? []) out.push(...boot([...ipxeTags, TAG.arch(arch)], over(protocol, script), "server.tftp.ipxeScript"));
  out.push(...boot([...ipxeTags, ...(plan?.ipxeByArch ?? []).map((a) => `!${TAG.arch(a.arch)}`)], over(plan?.ipxe, script), "server.tftp.ipxeScript"));
  const notIpxe = [`!${TAG.ipxe}`, `!${TAG.http}`, ...(ownBoot ? [`!${TAG.ownBoot}`] : [])];
  for (const { arch, file } of archs) {
    out.push(`# ${archLabel(arch)}`);
    out.push(...boot([...notIpxe, TAG.arch(arch)], file, `the boot file for architecture ${arch}`));
    if (arch === BIOS_ARCH) out.push(...boot([...notIpxe, `!${TAG.hasArch}`], file, `the boot file for architecture ${arch}`));
  }
  for (const { arch, file } of plan?.httpArchs ?? []) {
    out.push(`# ${archLabel(arch)}: option 60 HTTPClient marks the offer as an HTTP Boot one`);
    out.push(...boot([TAG.http, TAG.arch(arch), ...(ownBoot ? [`!${TAG.ownBoot}`] : [])], over("http", file), `the boot file for architecture ${arch}`));
    out.push(`dhcp-option-force=tag:${TAG.http},tag:${TAG.arch(arch)},60,HTTPClient`);
  }
  if (groups.length > 0) out.push("# PXE clients with their own boot file or iPXE script.");
  for (const g of groups) {
    for (const c of g.clients) {
      const host = TAG.client(c.name);
      if (g.ipxeScript !== undefined) out.push(bootFor(c, [host, TAG.ipxe], over(plan?.ipxe, g.ipxeScript), `client ${c.name} ipxeScript`));
      if (!hasOwnBootProgram(g)) continue;
      // The client's tag keeps it off the site's boot lines (lb-own-boot): its own lines cover every architecture.
      const pxe = [host, `!${TAG.ipxe}`, `!${TAG.http}`];
      const own = ownArchs(g);
      const what = (arch: number | undefined): string => `client ${c.name} boot file${arch === undefined ? "" : ` for architecture ${arch}`}`;
      const table = g.bootFile !== undefined ? own : [...new Set([...archs.map((a) => a.arch), ...g.byArch.keys()])].sort((a, b) => a - b)
        .flatMap((arch) => {
          const file = g.byArch.get(arch) ?? archs.find((a) => a.arch === arch)?.file;
          return file === undefined ? [] : [{ arch, file }];
        });
      for (const { arch, file } of table) {
        out.push(bootFor(c, [...pxe, TAG.arch(arch)], file, what(arch)));
        if (arch === BIOS_ARCH) out.push(bootFor(c, [...pxe, `!${TAG.hasArch}`], file, what(arch)));
      }
      if (g.bootFile !== undefined) {
        // Every other architecture: none of the tags above.
        const others = [...own.map((a) => `!${TAG.arch(a.arch)}`), ...(g.byArch.has(BIOS_ARCH) ? [TAG.hasArch] : [])];
        out.push(bootFor(c, [...pxe, ...others], g.bootFile, what(undefined)));
      }
      for (const arch of plan?.httpProtocolArchs ?? []) {
        const file = ownHttpFile(g, arch) ?? plan?.httpArchs.find((a) => a.arch === arch)?.file;
        if (file === undefined) continue;
        out.push(bootFor(c, [host, TAG.http, TAG.arch(arch)], over("http", file), what(arch)));
        out.push(`dhcp-option-force=tag:${host},tag:${TAG.http},tag:${TAG.arch(arch)},60,HTTPClient`);
      }
    }
  }
  out.push("");
  return out;
}

function hostLines(inv: Inventory, c: Client, proxy: boolean): string[] {
  const tag = TAG.client(c.name);
  const sets = [`set:${tag}`];
  const own = ownBootFiles(c);
  if (!proxy && own?.ipxeScript !== undefined) sets.push(`set:${TAG.ownIpxe}`);
  if (!proxy && hasOwnBootProgram(own)) sets.push(`set:${TAG.ownBoot}`);
  // dnsmasq wants the short name here; the FQDN goes out as option 12 below.
  const out = [`dhcp-host=${c.macs.join(",")},${sets.join(",")},${c.ip},${dnsmasqString(`client ${c.name} name`, c.name)},${inv.server.dhcp.reservationLeaseSeconds}`];
  // FreeBSD loaders may not ask for 17 and 12 but need them: force. Other PXE clients ask for what they use.
  const opt = c.kind === "freebsd-lagg" ? "dhcp-option-force" : "dhcp-option";
  // dnsmasq has no name for option 12 (it normally sends the dhcp-host name); by number it sends this value.
  out.push(`${opt}=tag:${tag},${OPT_HOST_NAME},${dnsmasqString(`client ${c.name} fqdn`, c.fqdn)}`);
  if (c.rootPath !== undefined) out.push(`${opt}=tag:${tag},option:root-path,${dnsmasqString(`client ${c.name} root path`, c.rootPath)}`);
  return out;
}

export function renderDnsmasq(inv: Inventory): string {
  const proxy = inv.server.dhcp.mode === "proxy";
  const out = [generatedHeader("dnsmasq DHCP configuration (laggboot render dnsmasq)"), proxy ? PROXY_NOTE : FULL_NOTE, ""];
  out.push(...networkLines(inv));
  if (!proxy) out.push(...bootLines(inv));
  out.push("# Reservations (one address per client; all its MACs share it).");
  for (const { net, clients } of clientsByNetwork(inv)) {
    if (clients.length === 0) continue;
    out.push(`# Network ${net.name}`);
    for (const c of clients) out.push(...hostLines(inv, c, proxy));
  }
  return `${out.join("\n")}\n`;
}
