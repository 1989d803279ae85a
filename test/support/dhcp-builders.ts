/**
 * Packet builders for DHCP tests: a generic request builder, the clients
 * the suite imitates (the FreeBSD loader in its three forms, PXE firmware,
 * iPXE, a plain client), a DhcpPolicy for a two-network site, and an
 * in-memory LeaseView that applies the responder's writes. Usable by unit,
 * integration and interop tests alike.
 */
import {
  BootOp, DhcpOption, MessageType, IpxeSubOption, emptyPacket, encode, optionBytes,
  type DhcpPacket, type OptionValue, type TypedOption,
} from "../../src/wire/dhcp4/index.js";
import type { DhcpBadAddress, DhcpLease, DhcpPolicy, LeaseView, LeaseWrite, RequestContext } from "../../src/protocol/dhcp/index.js";

export function macBytes(mac: string): Uint8Array {
  const out = new Uint8Array(16);
  mac.split(/[:-]/).forEach((h, i) => { out[i] = parseInt(h, 16); });
  return out;
}

/** [code, typed value] pairs, in wire order. */
export type OptionSpec = readonly (readonly [TypedOption, unknown])[];

export function opts(...pairs: { [C in TypedOption]: readonly [C, OptionValue<C>] }[TypedOption][]): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const [code, value] of pairs) m.set(code, optionBytes(code, value as never));
  return m;
}

export interface RequestSpec {
  readonly mac: string;
  readonly xid?: number;
  readonly ciaddr?: string;
  readonly giaddr?: string;
  readonly flags?: number;
  readonly secs?: number;
  readonly options: Map<number, Uint8Array>;
}

export function request(s: RequestSpec): DhcpPacket {
  return {
    ...emptyPacket(BootOp.BootRequest),
    xid: s.xid ?? 0x1234abcd,
    secs: s.secs ?? 0,
    flags: s.flags ?? 0,
    ciaddr: s.ciaddr ?? "0.0.0.0",
    giaddr: s.giaddr ?? "0.0.0.0",
    hops: s.giaddr !== undefined ? 1 : 0,
    chaddr: macBytes(s.mac),
    options: s.options,
  };
}

/** Encoded as clients send them (>= 300 bytes; the loader pads to 548). */
export function requestBytes(p: DhcpPacket, minBytes = 300): Uint8Array {
  return encode(p, { maxBytes: 1472, minBytes });
}

// ---- The FreeBSD loader (stand/libsa/bootp.c; see docs/dhcp.md) ----

const LOADER_PRL = [
  DhcpOption.RootPath, DhcpOption.HostName, DhcpOption.SwapServer, DhcpOption.Router,
  DhcpOption.SubnetMask, DhcpOption.InterfaceMtu, DhcpOption.ServerIdentifier,
];
/** 13/14 UEFI loaders use the same xid for every client. */
export const LOADER_XID = 1;
/** The loader sends fixed 548-byte packets. */
export const LOADER_PACKET_BYTES = 548;
/** Option 124 (RFC 3925) as the newest loader sends it: enterprise 2238 (FreeBSD). The class data is UNVERIFIED. */
export const LOADER_VIVC = Uint8Array.of(0, 0, 0x08, 0xbe, 8, 7, ...new TextEncoder().encode("FreeBSD"));

export type LoaderForm = "current" | "newest" | "2011";

export interface LoaderSpec {
  readonly mac: string;
  readonly form?: LoaderForm;
  readonly xid?: number;
  /** Option 93 in the newest form (7 for x64 UEFI). */
  readonly arch?: number;
}

export function loaderDiscover(s: LoaderSpec): DhcpPacket {
  const form = s.form ?? "current";
  const o = opts([DhcpOption.DhcpMessageType, MessageType.Discover], [DhcpOption.VendorClassIdentifier, "PXEClient"]);
  if (form !== "2011") loaderExtras(o, form, s.arch);
  return request({ mac: s.mac, xid: s.xid ?? LOADER_XID, options: o });
}

export function loaderRequest(s: LoaderSpec & { readonly serverId: string; readonly requestedIp: string }): DhcpPacket {
  const form = s.form ?? "current";
  const o = opts(
    [DhcpOption.DhcpMessageType, MessageType.Request],
    [DhcpOption.RequestedIpAddress, s.requestedIp],
    [DhcpOption.ServerIdentifier, s.serverId],
    [DhcpOption.IpAddressLeaseTime, 300],
    [DhcpOption.VendorClassIdentifier, "PXEClient"],
  );
  if (form !== "2011") loaderExtras(o, form, s.arch);
  return request({ mac: s.mac, xid: s.xid ?? LOADER_XID, options: o });
}

function loaderExtras(o: Map<number, Uint8Array>, form: LoaderForm, arch: number | undefined): void {
  o.set(DhcpOption.UserClass, optionBytes(DhcpOption.UserClass, ["FreeBSD"]));
  const prl = form === "newest" ? [...LOADER_PRL, DhcpOption.VendorIdentifyingVendorSpecific] : LOADER_PRL;
  o.set(DhcpOption.ParameterRequestList, optionBytes(DhcpOption.ParameterRequestList, prl));
  if (form === "newest") {
    o.set(DhcpOption.MaximumMessageSize, optionBytes(DhcpOption.MaximumMessageSize, 1472));
    o.set(DhcpOption.VendorIdentifyingVendorClass, LOADER_VIVC);
    if (arch !== undefined) o.set(DhcpOption.ClientSystemArchitecture, optionBytes(DhcpOption.ClientSystemArchitecture, [arch]));
  }
}

// ---- PXE firmware and iPXE (what testbed.md records them sending) ----

export const UUID_97 = Uint8Array.of(0, ...Array.from({ length: 16 }, (_, i) => i + 1));

export interface PxeSpec {
  readonly mac: string;
  readonly arch: number;
  readonly type?: MessageType;
  readonly xid?: number;
  readonly ipxe?: boolean;
  readonly requestedIp?: string;
  readonly serverId?: string;
  readonly ciaddr?: string;
  readonly giaddr?: string;
  readonly maxMessageSize?: number;
}

export function pxeRequest(s: PxeSpec): DhcpPacket {
  const archField = String(s.arch).padStart(5, "0");
  const o = opts(
    [DhcpOption.DhcpMessageType, s.type ?? MessageType.Discover],
    [DhcpOption.MaximumMessageSize, s.maxMessageSize ?? 1472],
    [DhcpOption.ClientSystemArchitecture, [s.arch]],
    [DhcpOption.ClientNetworkInterfaceId, Uint8Array.of(1, 2, 1)],
    [DhcpOption.VendorClassIdentifier, `PXEClient:Arch:${archField}:UNDI:${s.ipxe === true ? "002001" : "003000"}`],
  );
  if (s.ipxe === true) {
    // iPXE sends its user class as the bare string, not in RFC 3004 form.
    o.set(DhcpOption.UserClass, new TextEncoder().encode("iPXE"));
  }
  o.set(DhcpOption.ParameterRequestList, optionBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 12, 15, 17, 43, 60, 66, 67, 175]));
  if (s.ipxe === true) {
    o.set(DhcpOption.IpxeEncapsulated, optionBytes(DhcpOption.IpxeEncapsulated, new Map([
      [IpxeSubOption.FeaturePxeExt, Uint8Array.of(2)], [IpxeSubOption.FeatureHttp, Uint8Array.of(1)],
    ])));
  }
  if (s.requestedIp !== undefined) o.set(DhcpOption.RequestedIpAddress, optionBytes(DhcpOption.RequestedIpAddress, s.requestedIp));
  if (s.serverId !== undefined) o.set(DhcpOption.ServerIdentifier, optionBytes(DhcpOption.ServerIdentifier, s.serverId));
  o.set(DhcpOption.ClientMachineId, UUID_97);
  return request({ mac: s.mac, xid: s.xid ?? 0x5a5a0001, ciaddr: s.ciaddr, giaddr: s.giaddr, options: o });
}

/**
 * UEFI HTTP Boot firmware (EDK2's HttpBootDxe): vendor class
 * "HTTPClient:Arch:00016:UNDI:003000", option 93 = 16, 94, 97 and a request
 * list that names 60 and 67.
 */
export function httpBootRequest(s: { mac: string; arch?: number; type?: MessageType; xid?: number; requestedIp?: string; serverId?: string; noArchOption?: boolean }): DhcpPacket {
  const arch = s.arch ?? 16;
  const o = opts(
    [DhcpOption.DhcpMessageType, s.type ?? MessageType.Discover],
    [DhcpOption.MaximumMessageSize, 1472],
    [DhcpOption.ClientNetworkInterfaceId, Uint8Array.of(1, 3, 0)],
    [DhcpOption.VendorClassIdentifier, `HTTPClient:Arch:${String(arch).padStart(5, "0")}:UNDI:003000`],
  );
  if (s.noArchOption !== true) o.set(DhcpOption.ClientSystemArchitecture, optionBytes(DhcpOption.ClientSystemArchitecture, [arch]));
  o.set(DhcpOption.ParameterRequestList, optionBytes(DhcpOption.ParameterRequestList, [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97]));
  if (s.requestedIp !== undefined) o.set(DhcpOption.RequestedIpAddress, optionBytes(DhcpOption.RequestedIpAddress, s.requestedIp));
  if (s.serverId !== undefined) o.set(DhcpOption.ServerIdentifier, optionBytes(DhcpOption.ServerIdentifier, s.serverId));
  o.set(DhcpOption.ClientMachineId, UUID_97);
  return request({ mac: s.mac, xid: s.xid ?? 0x48540001, options: o });
}

/** A plain client (dhclient-like): PRL, client id, host name. */
export function plainRequest(s: {
  mac: string; type: MessageType; xid?: number; requestedIp?: string; serverId?: string; ciaddr?: string; giaddr?: string;
  relayInfo?: Uint8Array; leaseSeconds?: number;
}): DhcpPacket {
  const o = opts([DhcpOption.DhcpMessageType, s.type]);
  if (s.requestedIp !== undefined) o.set(DhcpOption.RequestedIpAddress, optionBytes(DhcpOption.RequestedIpAddress, s.requestedIp));
  if (s.serverId !== undefined) o.set(DhcpOption.ServerIdentifier, optionBytes(DhcpOption.ServerIdentifier, s.serverId));
  if (s.leaseSeconds !== undefined) o.set(DhcpOption.IpAddressLeaseTime, optionBytes(DhcpOption.IpAddressLeaseTime, s.leaseSeconds));
  o.set(DhcpOption.ClientIdentifier, Uint8Array.of(1, ...macBytes(s.mac).subarray(0, 6)));
  o.set(DhcpOption.ParameterRequestList, optionBytes(DhcpOption.ParameterRequestList, [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]));
  if (s.relayInfo !== undefined) o.set(DhcpOption.RelayAgentInformation, s.relayInfo);
  return request({ mac: s.mac, xid: s.xid ?? 0x0badf00d, ciaddr: s.ciaddr, giaddr: s.giaddr, options: o });
}

// ---- A site ----

export const SITE = {
  serverLan: "198.18.10.1",
  serverRelayed: "198.18.10.1",
  tftp: "198.18.10.1",
  gatewayLan: "198.18.10.254",
  relayAgent: "198.18.20.1",
  c1: { name: "c1", fqdn: "c1.example.test", ip: "198.18.10.21", macs: ["02:00:00:00:10:21", "02:00:00:00:11:21"], rootPath: "198.18.10.1:/srv/roots/c1" },
  c2: { name: "c2", fqdn: "c2.example.test", ip: "198.18.20.22", macs: ["02:00:00:00:20:22"], rootPath: "198.18.10.1:/srv/roots/c2" },
  c3: { name: "c3", fqdn: "c3.example.test", ip: "198.18.10.23", macs: ["02:00:00:00:10:23"], rootPath: "198.18.10.1:/srv/roots/shared" },
  unknownMac: "02:00:00:00:99:99",
} as const;

export function sitePolicy(over: Partial<DhcpPolicy> = {}): DhcpPolicy {
  return {
    mode: "full",
    networks: [
      {
        name: "lan", prefix: { network: "198.18.10.0", length: 24 }, relayed: false, serverAddress: SITE.serverLan,
        gateway: SITE.gatewayLan, dns: ["198.18.10.53"], domain: "example.test", pool: undefined, poolLeaseSeconds: 3600,
      },
      {
        name: "far", prefix: { network: "198.18.20.0", length: 24 }, relayed: true, serverAddress: SITE.serverRelayed,
        gateway: SITE.relayAgent, dns: ["198.18.10.53"], domain: "far.example.test", pool: undefined, poolLeaseSeconds: 3600,
      },
    ],
    reservations: [
      { clientName: SITE.c1.name, hostName: SITE.c1.fqdn, ip: SITE.c1.ip, macs: SITE.c1.macs, rootPath: SITE.c1.rootPath },
      { clientName: SITE.c2.name, hostName: SITE.c2.fqdn, ip: SITE.c2.ip, macs: SITE.c2.macs, rootPath: SITE.c2.rootPath },
      { clientName: SITE.c3.name, hostName: SITE.c3.fqdn, ip: SITE.c3.ip, macs: SITE.c3.macs, rootPath: SITE.c3.rootPath },
    ],
    reservationLeaseSeconds: 86400,
    nextServer: SITE.tftp,
    bootFiles: { byArch: new Map([[0, "pxeboot"], [7, "loader.efi"], [9, "loader.efi"], [11, "loader-arm64.efi"]]) },
    ipxeScript: "boot.ipxe",
    ...over,
  };
}

/** The lan network with a pool, for dynamic-lease tests. */
export function poolPolicy(first = "198.18.10.100", last = "198.18.10.103"): DhcpPolicy {
  const base = sitePolicy();
  return { ...base, networks: base.networks.map((n) => (n.name === "lan" ? { ...n, pool: { first, last } } : n)) };
}

// ---- Lease state ----

/** A LeaseView over maps, applying LeaseWrites exactly as the store would. */
export class MemoryLeases implements LeaseView {
  readonly byIp = new Map<string, DhcpLease>();
  readonly bad = new Map<string, DhcpBadAddress>();

  leaseByIp(ip: string): DhcpLease | undefined {
    return this.byIp.get(ip);
  }

  leasesByMac(mac: string): readonly DhcpLease[] {
    return [...this.byIp.values()].filter((l) => l.mac === mac);
  }

  isBadAddress(ip: string, nowMs: number): boolean {
    const b = this.bad.get(ip);
    return b !== undefined && b.untilMs > nowMs;
  }

  apply(writes: readonly LeaseWrite[]): void {
    for (const w of writes) {
      if (w.kind === "commitLease") this.byIp.set(w.lease.ip, w.lease);
      else if (w.kind === "removeLease") this.byIp.delete(w.ip);
      else this.bad.set(w.bad.ip, w.bad);
    }
  }
}

export function ctxFor(leases: LeaseView, nowMs = 1_700_000_000_000, over: Partial<RequestContext> = {}): RequestContext {
  return { nowMs, leases, localPort: 67, source: { address: "0.0.0.0", port: 68 }, ...over };
}
