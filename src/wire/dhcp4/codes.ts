/**
 * Every DHCPv4 wire number laggboot knows, named once. Each table is an
 * `as const` object (name -> number), a union type of its values, and a
 * reverse lookup used by the text dumps and logs. Policy code refers to these
 * names, never to bare numbers.
 */

function reverse<T extends Record<string, number>>(table: T): ReadonlyMap<number, keyof T & string> {
  return new Map(Object.entries(table).map(([k, v]) => [v, k as keyof T & string]));
}

/** BOOTP `op` (RFC 951; RFC 2131 section 2). */
export const BootOp = { BootRequest: 1, BootReply: 2 } as const;
export type BootOp = (typeof BootOp)[keyof typeof BootOp];

/** `htype` values we name (IANA ARP hardware types; RFC 1700). */
export const HardwareType = { Ethernet: 1, Ieee802: 6, Infiniband: 32 } as const;
export type HardwareType = (typeof HardwareType)[keyof typeof HardwareType];

/** The broadcast bit of `flags` (RFC 2131 section 2, figure 2). */
export const BROADCAST_FLAG = 0x8000;

/** RFC 2131 section 3: the options field starts with this magic cookie (99.130.83.99). */
export const MAGIC_COOKIE = 0x63825363;

/** UDP ports: RFC 2131 section 4.1 (67, 68) and the PXE specification 2.1 (4011). */
export const DhcpPort = { Server: 67, Client: 68, PxeBootServer: 4011 } as const;
export type DhcpPort = (typeof DhcpPort)[keyof typeof DhcpPort];

/**
 * DHCP option codes. RFC 2132 unless noted; PXE ones from RFC 4578; 175 is
 * iPXE's (Etherboot) encapsulated space, a site-specific code per RFC 3942.
 */
export const DhcpOption = {
  Pad: 0, // RFC 2132 3.1
  SubnetMask: 1,
  TimeOffset: 2,
  Router: 3,
  TimeServer: 4,
  NameServer: 5,
  DomainNameServer: 6,
  LogServer: 7,
  HostName: 12,
  BootFileSize: 13,
  DomainName: 15,
  SwapServer: 16,
  RootPath: 17,
  ExtensionsPath: 18,
  InterfaceMtu: 26,
  BroadcastAddress: 28,
  StaticRoute: 33,
  NtpServers: 42,
  VendorSpecific: 43, // RFC 2132 8.4; PXE sub-options per PXE 2.1 spec
  RequestedIpAddress: 50,
  IpAddressLeaseTime: 51,
  OptionOverload: 52,
  DhcpMessageType: 53,
  ServerIdentifier: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaximumMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClassIdentifier: 60,
  ClientIdentifier: 61,
  TftpServerName: 66,
  BootFileName: 67,
  UserClass: 77, // RFC 3004
  RapidCommit: 80, // RFC 4039
  ClientFqdn: 81, // RFC 4702
  RelayAgentInformation: 82, // RFC 3046
  ClientSystemArchitecture: 93, // RFC 4578 2.1
  ClientNetworkInterfaceId: 94, // RFC 4578 2.2
  ClientMachineId: 97, // RFC 4578 2.3
  AutoConfigure: 116, // RFC 2563
  SubnetSelection: 118, // RFC 3011
  DomainSearch: 119, // RFC 3397
  ClasslessStaticRoute: 121, // RFC 3442
  VendorIdentifyingVendorClass: 124, // RFC 3925
  VendorIdentifyingVendorSpecific: 125, // RFC 3925
  TftpServerAddress: 150, // RFC 5859
  IpxeEncapsulated: 175, // iPXE include/ipxe/dhcp.h
  End: 255, // RFC 2132 3.2
} as const;
export type DhcpOptionName = keyof typeof DhcpOption;
export type DhcpOptionCode = (typeof DhcpOption)[DhcpOptionName];
const OPTION_NAMES = reverse(DhcpOption);
/** Name of a known option code, or `option-N`. */
export function optionName(code: number): string {
  return OPTION_NAMES.get(code) ?? `option-${code}`;
}

/** Option 53 values: RFC 2132 9.6, RFC 3203 (9), RFC 4388 (10-13). */
export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
  ForceRenew: 9,
  LeaseQuery: 10,
  LeaseUnassigned: 11,
  LeaseUnknown: 12,
  LeaseActive: 13,
} as const;
export type MessageTypeName = keyof typeof MessageType;
export type MessageType = (typeof MessageType)[MessageTypeName];
const MESSAGE_TYPE_NAMES = reverse(MessageType);
export function messageTypeName(t: number): string {
  return MESSAGE_TYPE_NAMES.get(t)?.toUpperCase() ?? `TYPE-${t}`;
}
export function isMessageType(t: number): t is MessageType {
  return MESSAGE_TYPE_NAMES.has(t);
}

/** Option 52 values (RFC 2132 9.3): which header fields carry options. */
export const Overload = { File: 1, Sname: 2, Both: 3 } as const;
export type Overload = (typeof Overload)[keyof typeof Overload];

/**
 * Option 93 client architectures: RFC 4578 2.1 and the IANA "Processor
 * Architecture Types" registry.
 */
export const ClientArch = {
  X86Bios: 0,
  NecPc98: 1,
  EfiItanium: 2,
  DecAlpha: 3,
  ArcX86: 4,
  IntelLeanClient: 5,
  EfiIa32: 6,
  EfiBc: 7, // x64 UEFI in practice (EDK2 and most firmware)
  EfiXscale: 8,
  EfiX8664: 9,
  Arm32Uefi: 10,
  Arm64Uefi: 11,
  // UEFI HTTP Boot (IANA registry, "boot from http"): the same machines as 6, 7, 9, 10 and 11.
  X86UefiHttp: 15,
  X64UefiHttp: 16,
  EbcUefiHttp: 17,
  Arm32UefiHttp: 18,
  Arm64UefiHttp: 19,
} as const;
export type ClientArchName = keyof typeof ClientArch;
export type ClientArch = (typeof ClientArch)[ClientArchName];
const ARCH_NAMES = reverse(ClientArch);
export function clientArchName(a: number): string {
  return ARCH_NAMES.get(a) ?? `arch-${a}`;
}

/** Option 43 sub-options for PXE clients (PXE specification 2.1, table 2-1). */
export const PxeSubOption = {
  MtftpIp: 1,
  MtftpClientPort: 2,
  MtftpServerPort: 3,
  MtftpTimeout: 4,
  MtftpDelay: 5,
  DiscoveryControl: 6,
  DiscoveryMulticastAddress: 7,
  BootServers: 8,
  BootMenu: 9,
  MenuPrompt: 10,
  MulticastAddressAllocation: 11,
  CredentialTypes: 12,
  BootItem: 71,
  End: 255,
} as const;
export type PxeSubOption = (typeof PxeSubOption)[keyof typeof PxeSubOption];
const PXE_SUB_NAMES = reverse(PxeSubOption);
export function pxeSubOptionName(c: number): string {
  return PXE_SUB_NAMES.get(c) ?? `pxe-${c}`;
}

/**
 * PXE_DISCOVERY_CONTROL bits (PXE 2.1 table 2-1, sub-option 6). Bit 3: "use
 * the boot file name in this offer and do not discover boot servers".
 */
export const PxeDiscoveryControl = {
  DisableBroadcast: 1,
  DisableMulticast: 2,
  OnlyListedServers: 4,
  UseBootFileInOffer: 8,
} as const;
export type PxeDiscoveryControl = (typeof PxeDiscoveryControl)[keyof typeof PxeDiscoveryControl];

/** Option 175 sub-options (iPXE include/ipxe/dhcp.h, DHCP_EB_*). */
export const IpxeSubOption = {
  Priority: 1,
  KeepSan: 8,
  SkipSanBoot: 9,
  FeaturePxeExt: 16,
  FeatureIscsi: 17,
  FeatureAoe: 18,
  FeatureHttp: 19,
  FeatureHttps: 20,
  FeatureTftp: 21,
  FeatureFtp: 22,
  FeatureDns: 23,
  FeatureBzImage: 24,
  FeatureMultiboot: 25,
  FeatureSlam: 26,
  FeatureSrp: 27,
  FeatureNbi: 32,
  FeaturePxe: 33,
  FeatureElf: 34,
  FeatureComboot: 35,
  FeatureEfi: 36,
  FeatureFcoe: 37,
  FeatureVlan: 38,
  FeatureMenu: 39,
  FeatureSdi: 40,
  FeatureNfs: 41,
  /** "ipxe.no-pxedhcp": 1 = do not wait for ProxyDHCP offers. */
  NoPxeDhcp: 176,
  BusId: 177,
  SanFilename: 188,
  BiosDrive: 189,
  Username: 190,
  Password: 191,
  ReverseUsername: 192,
  ReversePassword: 193,
  Version: 235,
} as const;
export type IpxeSubOption = (typeof IpxeSubOption)[keyof typeof IpxeSubOption];
const IPXE_SUB_NAMES = reverse(IpxeSubOption);
export function ipxeSubOptionName(c: number): string {
  return IPXE_SUB_NAMES.get(c) ?? `ipxe-${c}`;
}

/** Option 82 sub-options: RFC 3046 (1, 2) and later RFCs as noted. */
export const RelayAgentSubOption = {
  CircuitId: 1,
  RemoteId: 2,
  DocsisDeviceClass: 4, // RFC 3256
  LinkSelection: 5, // RFC 3527
  SubscriberId: 6, // RFC 3993
  RadiusAttributes: 7, // RFC 4014
  Authentication: 8, // RFC 4030
  VendorSpecific: 9, // RFC 4243
  RelayAgentFlags: 10, // RFC 5010
  ServerIdentifierOverride: 11, // RFC 5107
  VirtualSubnetSelection: 151, // RFC 6607
  VirtualSubnetSelectionControl: 152, // RFC 6607
} as const;
export type RelayAgentSubOption = (typeof RelayAgentSubOption)[keyof typeof RelayAgentSubOption];
const RELAY_SUB_NAMES = reverse(RelayAgentSubOption);
export function relayAgentSubOptionName(c: number): string {
  return RELAY_SUB_NAMES.get(c) ?? `relay-${c}`;
}

/** Option 94 interface types (RFC 4578 2.2): 1 = UNDI. */
export const NetworkInterfaceType = { Undi: 1 } as const;
/** Option 97 type byte (RFC 4578 2.3): 0 = GUID/UUID follows. */
export const MachineIdType = { Uuid: 0 } as const;
