/**
 * What a request tells us about its sender: identity, the kind of boot
 * program talking (PXE firmware, iPXE, the FreeBSD loader, anything else)
 * and its limits. Every quirk test keys on these facts, not on raw options.
 */
import { DhcpOption, HardwareType } from "../../wire/dhcp4/codes.js";
import { hex, macString } from "../../wire/dhcp4/bytes.js";
import { getOption } from "../../wire/dhcp4/option-values.js";
import { DEFAULT_MAX_BYTES, IP_UDP_HEADER_BYTES, MIN_MAX_MESSAGE_SIZE, ZERO_ADDRESS, type DhcpPacket } from "../../wire/dhcp4/types.js";

/** PXE firmware announces itself as "PXEClient:Arch:xxxxx:UNDI:yyyzzz" (PXE 2.1 spec, section 2.2). */
const PXE_FIRMWARE_PREFIX = "PXEClient:Arch:";
/** UEFI HTTP Boot firmware (UEFI 2.5+, section 24.7): "HTTPClient:Arch:xxxxx:UNDI:yyyzzz". */
const HTTP_BOOT_PREFIX = "HTTPClient";
/** The FreeBSD loader (stand/libsa/bootp.c) sends the bare string, without ":Arch:". */
const BARE_PXE_CLIENT = "PXEClient";
const FREEBSD_USER_CLASS = "FreeBSD";
const IPXE_USER_CLASS = "iPXE";

export interface ClientFacts {
  /** chaddr as lower-case colon hex (its first hlen bytes). */
  readonly mac: string;
  /** Option 61 as hex, when sent. */
  readonly clientId: string | undefined;
  readonly vendorClass: string | undefined;
  readonly userClasses: readonly string[];
  /** PXE ROM or UEFI firmware: vendor class "PXEClient:Arch:...". iPXE says so too. */
  readonly pxeFirmware: boolean;
  /** UEFI HTTP Boot firmware: vendor class "HTTPClient..."; it fetches its boot file from a URL. */
  readonly httpClient: boolean;
  /** The FreeBSD loader: bare "PXEClient", or user class "FreeBSD". */
  readonly freebsdLoader: boolean;
  /** iPXE: user class "iPXE" or option 175 present. */
  readonly ipxe: boolean;
  /** First option 93 entry, else the "Arch:" field of a PXE or HTTPClient vendor class. */
  readonly arch: number | undefined;
  readonly parameterRequestList: readonly number[];
  /** Largest reply (UDP payload) the client accepts (option 57 - 28; 548 by default). */
  readonly maxReplyBytes: number;
  readonly requestedIp: string | undefined;
  readonly serverId: string | undefined;
  readonly relayed: boolean;
}

function archFromVendorClass(vc: string | undefined): number | undefined {
  if (vc === undefined) return undefined;
  const m = /^(?:PXEClient|HTTPClient):Arch:(\d{5})/.exec(vc);
  return m ? Number(m[1]) : undefined;
}

export function clientMac(p: DhcpPacket): string {
  const len = p.htype === HardwareType.Ethernet && p.hlen === 0 ? 6 : p.hlen;
  return macString(p.chaddr, len);
}

/** `mac`: clientMac(p), when the caller has it already. */
export function clientFacts(p: DhcpPacket, mac: string = clientMac(p)): ClientFacts {
  const o = p.options;
  const vendorClass = getOption(o, DhcpOption.VendorClassIdentifier);
  const userClasses = getOption(o, DhcpOption.UserClass) ?? [];
  const archs = getOption(o, DhcpOption.ClientSystemArchitecture);
  const maxSize = getOption(o, DhcpOption.MaximumMessageSize);
  const id = o.get(DhcpOption.ClientIdentifier);
  return {
    mac,
    clientId: id === undefined ? undefined : hex(id),
    vendorClass,
    userClasses,
    pxeFirmware: vendorClass?.startsWith(PXE_FIRMWARE_PREFIX) ?? false,
    httpClient: vendorClass?.startsWith(HTTP_BOOT_PREFIX) ?? false,
    freebsdLoader: vendorClass === BARE_PXE_CLIENT || userClasses.includes(FREEBSD_USER_CLASS),
    ipxe: userClasses.includes(IPXE_USER_CLASS) || o.has(DhcpOption.IpxeEncapsulated),
    arch: archs?.[0] ?? archFromVendorClass(vendorClass),
    parameterRequestList: getOption(o, DhcpOption.ParameterRequestList) ?? [],
    // RFC 2132 9.10: values under 576 are illegal; fall back to the minimum every client accepts.
    maxReplyBytes: maxSize !== undefined && maxSize >= MIN_MAX_MESSAGE_SIZE ? maxSize - IP_UDP_HEADER_BYTES : DEFAULT_MAX_BYTES,
    requestedIp: getOption(o, DhcpOption.RequestedIpAddress),
    serverId: getOption(o, DhcpOption.ServerIdentifier),
    relayed: p.giaddr !== ZERO_ADDRESS,
  };
}
