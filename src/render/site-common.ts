/**
 * Decisions the site generators (isc-dhcpd, kea, dnsmasq, exports) share, so
 * the four dialects cannot drift apart: which TFTP server a network's clients
 * are sent to, which boot file an architecture gets, which PXE clients carry
 * their own files, and which clients use which NFS root.
 */
import { ipv4ToInt, type Ipv4, type Mac } from "../config/addr.js";
import type { Client, FreebsdLaggClient, Inventory, LinuxLaggClient, Network } from "../config/types.js";
import { ARCH } from "../config/types.js";
import { LaggbootError } from "../errors.js";
import { bootUrl, pxeArchOf } from "../protocol/dhcp/boot.js";

/** The TFTP server a network's clients are sent to (next-server, siaddr). */
export function tftpServerFor(inv: Inventory, net: Network): Ipv4 {
  // A TFTP server bound to 0.0.0.0 answers on every address; clients then use the one on their network.
  return inv.server.tftp.address === "0.0.0.0" ? net.serverAddress : inv.server.tftp.address;
}

/** Boot files by option 93 architecture, in numeric order (RFC 4578 section 2.1). */
export function archBootFiles(inv: Inventory): readonly { arch: number; file: string }[] {
  return [...inv.server.tftp.bootFiles.byArch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([arch, file]) => ({ arch, file }));
}

/** UEFI HTTP Boot architectures (IANA registry), whose firmware sends vendor class "HTTPClient...". */
const HTTP_BOOT_ARCHS = [15, 16, 17, 18, 19] as const;

/**
 * The generators' HTTP boot answers: the URL base per network, which UEFI
 * HTTP Boot architectures get which URL, and over which protocol iPXE gets
 * its script (the site's protocol, and the architectures that differ).
 * Undefined without server.httpBoot. Per-client settings (bootProtocol,
 * uefiPxe) are refused: the generated files cannot tell clients apart there.
 */
export interface HttpBootPlan {
  /** Boot URL for `file` as a network's clients reach the server. */
  url(net: Network, file: string): string;
  /** One URL host for every network (false: the listener is on 0.0.0.0 and the networks' addresses differ). */
  readonly oneHost: boolean;
  readonly httpArchs: readonly { readonly arch: number; readonly file: string }[];
  /** Every HTTP Boot architecture whose protocol is http (a PXE client's own boot file goes to them as a URL). */
  readonly httpProtocolArchs: readonly number[];
  readonly ipxe: "http" | "tftp";
  /** iPXE architectures whose protocol differs from `ipxe`. */
  readonly ipxeByArch: readonly { readonly arch: number; readonly protocol: "http" | "tftp" }[];
}

export function httpBootPlan(inv: Inventory, target: string): HttpBootPlan | undefined {
  const h = inv.server.httpBoot;
  if (h === undefined) return undefined;
  const own = inv.clients.find((c) => c.bootProtocol !== undefined || !c.uefiPxe);
  if (own) {
    throw new LaggbootError("LB_ERR_RENDER", `render ${target}: client ${own.name} sets bootProtocol or uefiPxe, which the generated ${target} configuration cannot express per client yet; set server.httpBoot.protocol / protocolByArch instead, or let laggboot serve answer DHCP`);
  }
  const ownScript = inv.clients.find((c) => c.kind === "pxe" && c.ipxeScript !== undefined);
  if (ownScript && [...h.protocolByArch.values()].some((p) => p !== h.protocol)) {
    throw new LaggbootError("LB_ERR_RENDER", `render ${target}: client ${ownScript.name} has its own ipxeScript and server.httpBoot.protocolByArch differs by architecture; the generated ${target} configuration cannot express both yet`);
  }
  const policy = { address: h.address === "0.0.0.0" ? undefined : h.address, port: h.port, protocol: h.protocol, protocolByArch: h.protocolByArch };
  const byArch = inv.server.tftp.bootFiles.byArch;
  const protocolOf = (arch: number): "http" | "tftp" => h.protocolByArch.get(pxeArchOf(arch)) ?? h.protocol;
  const httpArchs = HTTP_BOOT_ARCHS.flatMap((arch) => {
    const file = byArch.get(arch) ?? byArch.get(pxeArchOf(arch));
    return file !== undefined && protocolOf(arch) === "http" ? [{ arch, file }] : [];
  });
  const hosts = new Set(inv.server.networks.map((n) => policy.address ?? n.serverAddress));
  return {
    url: (net, file) => bootUrl(policy, net.serverAddress, file),
    oneHost: hosts.size <= 1,
    httpArchs,
    httpProtocolArchs: HTTP_BOOT_ARCHS.filter((arch) => protocolOf(arch) === "http"),
    ipxe: h.protocol,
    ipxeByArch: [...h.protocolByArch].filter(([, p]) => p !== h.protocol).sort((a, b) => a[0] - b[0]).map(([arch, protocol]) => ({ arch, protocol })),
  };
}

/** For generators whose boot answers are global (ISC dhcpd, Kea): the plan, with the one URL host it needs. */
export function oneHostHttpBootPlan(inv: Inventory, target: string): { plan: HttpBootPlan; url: (file: string) => string } | undefined {
  const p = httpBootPlan(inv, target);
  if (p === undefined) return undefined;
  if (!p.oneHost) throw new LaggbootError("LB_ERR_RENDER", `render ${target}: server.httpBoot listens on 0.0.0.0 and the networks' server addresses differ; give server.httpBoot.address (the boot URLs name one host)`);
  const net = inv.server.networks[0]!;
  return { plan: p, url: (file) => p.url(net, file) };
}

/** Option 93 = 0 is x86 BIOS; clients that send no option 93 at all are treated as BIOS too. */
export const BIOS_ARCH = ARCH.bios;

/** The boot programs and iPXE script a client names for itself. */
export interface OwnBootFiles {
  /** For PXE firmware of every architecture `byArch` does not name. */
  readonly bootFile: string | undefined;
  /** For PXE firmware by option 93 architecture (a Linux client's boot.bootFiles; 0 also covers no option 93). */
  readonly byArch: ReadonlyMap<number, string>;
  readonly ipxeScript: string | undefined;
}

const NO_ARCH_FILES: ReadonlyMap<number, string> = new Map();

/**
 * The boot programs and iPXE script a client names for itself, overriding the
 * site's: a pxe client's own, a Linux client's (its programs by architecture,
 * and its per-client script, which laggboot's TFTP server renders). FreeBSD
 * clients use the site's.
 */
export function ownBootFiles(c: Client): OwnBootFiles | undefined {
  const own: OwnBootFiles | undefined = c.kind === "pxe" ? { bootFile: c.bootFile, byArch: NO_ARCH_FILES, ipxeScript: c.ipxeScript }
    : c.kind === "linux-lagg" ? { bootFile: c.boot.bootFile, byArch: c.boot.bootFiles, ipxeScript: c.boot.ipxeScript } : undefined;
  return own && (own.bootFile !== undefined || own.byArch.size > 0 || own.ipxeScript !== undefined) ? own : undefined;
}

/** The client's own program for PXE firmware of `arch` (as laggboot's DHCP chooses it), else undefined: the site's. */
export function ownPxeFile(own: OwnBootFiles, arch: number): string | undefined {
  return own.byArch.get(arch) ?? own.bootFile;
}

/** The client's own program for UEFI HTTP Boot firmware of `arch`: for it, for its PXE architecture, for all. */
export function ownHttpFile(own: OwnBootFiles, arch: number): string | undefined {
  return own.byArch.get(arch) ?? own.byArch.get(pxeArchOf(arch)) ?? own.bootFile;
}

/** True when the client names a boot program for some PXE firmware (not only an iPXE script). */
export function hasOwnBootProgram(own: OwnBootFiles | undefined): boolean {
  return own !== undefined && (own.bootFile !== undefined || own.byArch.size > 0);
}

/** Architectures `byArch` names, in numeric order. */
export function ownArchs(own: OwnBootFiles): readonly { arch: number; file: string }[] {
  return [...own.byArch].sort((a, b) => a[0] - b[0]).map(([arch, file]) => ({ arch, file }));
}

/** PXE clients that name their own boot files or iPXE script, grouped by them. */
export interface PxeFileGroup extends OwnBootFiles {
  /** 1-based, in order of first appearance: stable for a given inventory. */
  readonly index: number;
  readonly clients: readonly Client[];
}

export function pxeFileGroups(inv: Inventory): readonly PxeFileGroup[] {
  const groups = new Map<string, { own: OwnBootFiles; clients: Client[] }>();
  for (const c of inv.clients) {
    const own = ownBootFiles(c);
    if (own === undefined) continue;
    const key = JSON.stringify([own.bootFile ?? null, own.ipxeScript ?? null, ownArchs(own)]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { own, clients: [] }));
    g.clients.push(c);
  }
  return [...groups.values()].map((g, i) => ({ index: i + 1, ...g.own, clients: g.clients }));
}

/** Option 17 for a client, if it has one. */
export function rootPathOf(c: Client): string | undefined {
  return c.rootPath;
}

/** One entry per MAC: a client with several NICs gets several reservations for one address. */
export function macEntries(c: Client): readonly { mac: Mac; ordinal: number }[] {
  return c.macs.map((mac, i) => ({ mac, ordinal: i + 1 }));
}

/** Sorted by address, each address converted once (10,000-client sites sort often). */
export function sortByIp<T extends { readonly ip: Ipv4 }>(xs: readonly T[]): T[] {
  return xs.map((x) => ({ x, n: ipv4ToInt(x.ip) })).sort((a, b) => a.n - b.n).map((e) => e.x);
}

/** Clients of each network, in the inventory's network order. */
export function clientsByNetwork(inv: Inventory): readonly { net: Network; clients: readonly Client[] }[] {
  const m = new Map<Network, Client[]>(inv.server.networks.map((n) => [n, []]));
  for (const c of inv.clients) m.get(c.network)?.push(c);
  return [...m.entries()].map(([net, clients]) => ({ net, clients }));
}

/** An NFS export: one root directory (plus the subdirectories mounted from it) and who mounts it. */
export interface RootExport {
  readonly path: string;
  readonly layout: "own" | "shared";
  readonly readOnly: boolean;
  readonly clients: readonly (FreebsdLaggClient | LinuxLaggClient)[];
}

/**
 * Every root, once per (path, read-only) pair, clients in address order.
 * Sorted by path so the file does not change when clients are reordered.
 */
export function rootExports(inv: Inventory): readonly RootExport[] {
  const m = new Map<string, { path: string; layout: "own" | "shared"; readOnly: boolean; clients: (FreebsdLaggClient | LinuxLaggClient)[] }>();
  for (const c of inv.clients) {
    if (c.kind === "pxe") continue;
    const key = `${c.root.path}\0${c.root.readOnly ? "ro" : "rw"}`;
    const layout = c.kind === "freebsd-lagg" ? c.root.layout : "own";
    let e = m.get(key);
    if (!e) m.set(key, (e = { path: c.root.path, layout, readOnly: c.root.readOnly, clients: [] }));
    e.clients.push(c);
  }
  return [...m.values()]
    .map((e) => ({ ...e, clients: sortByIp(e.clients) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : Number(a.readOnly) - Number(b.readOnly)));
}

/** The directory a shared root's /conf/base/etc/diskless_remount names ("/etc", relative to the root). */
export const SHARED_ROOT_REMOUNTED = ["etc"] as const;

/** The option 93 numbers inventory files name, for comments. */
export function archLabel(arch: number): string {
  switch (arch) {
    case ARCH.bios: return "x86 BIOS";
    case ARCH.ia32Uefi: return "IA32 UEFI";
    case ARCH.x64Uefi: return "x64 UEFI (registered as EFI BC)";
    case ARCH.ebcX64Uefi: return "x64 UEFI";
    case ARCH.arm64Uefi: return "arm64 UEFI";
    case 15: return "IA32 UEFI HTTP Boot";
    case 16: return "x64 UEFI HTTP Boot";
    case 17: return "EBC UEFI HTTP Boot";
    case 18: return "ARM32 UEFI HTTP Boot";
    case 19: return "arm64 UEFI HTTP Boot";
    default: return `architecture ${arch}`;
  }
}
