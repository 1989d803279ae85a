/**
 * Which boot program a client gets, and over which protocol. A client
 * already running iPXE gets the iPXE script, never a boot program (handing
 * iPXE its own ROM image again makes it loop); over HTTP its script is a URL,
 * and the names inside it resolve against that URL, so the kernel and initrd
 * come over HTTP too. UEFI HTTP Boot firmware (vendor class HTTPClient) gets
 * a URL or nothing. Everyone else gets the program for its option 93
 * architecture over TFTP: the reservation's own choice first (its program
 * for that architecture, then its program for all), then the site table; except UEFI PXE firmware of a client with uefiPxe false, which gets
 * nothing, so that the firmware goes on to its HTTP Boot.
 */
import { ClientArch } from "../../wire/dhcp4/codes.js";
import { urlPath } from "../http-boot/target.js";
import type { ClientFacts } from "./client.js";
import type { BootProtocol, DhcpPolicy, DhcpReservation, HttpBootPolicy } from "./policy.js";

export interface BootChoice {
  /** A name relative to the TFTP root, or an http:// URL. */
  readonly file: string;
  /** "ipxe-script", "ipxe-script-http", "arch-N" or "http-arch-N". */
  readonly why: string;
  readonly protocol: BootProtocol;
}

/** UEFI HTTP Boot architectures and the PXE architecture of the same machine (IANA registry). */
const PXE_ARCH_OF_HTTP_ARCH: ReadonlyMap<number, number> = new Map([
  [ClientArch.X86UefiHttp, ClientArch.EfiIa32],
  [ClientArch.X64UefiHttp, ClientArch.EfiBc],
  [ClientArch.EbcUefiHttp, ClientArch.EfiX8664],
  [ClientArch.Arm32UefiHttp, ClientArch.Arm32Uefi],
  [ClientArch.Arm64UefiHttp, ClientArch.Arm64Uefi],
]);

const HTTP_ARCH_OF_PXE_ARCH: ReadonlyMap<number, number> = new Map([...PXE_ARCH_OF_HTTP_ARCH].map(([h, p]) => [p, h]));

/** The PXE architecture number for `arch` (itself unless it is an HTTP Boot one). */
export function pxeArchOf(arch: number): number {
  return PXE_ARCH_OF_HTTP_ARCH.get(arch) ?? arch;
}

/** The client's own choice, else its architecture's, else the site's; always TFTP without an HTTP server. */
export function protocolFor(policy: DhcpPolicy, r: DhcpReservation | undefined, arch: number): BootProtocol {
  const h = policy.httpBoot;
  if (h === undefined) return "tftp";
  return r?.bootProtocol ?? h.protocolByArch.get(pxeArchOf(arch)) ?? h.protocol;
}

/** `http://HOST[:PORT]/path`; HOST is the server's address on the client's network unless the policy names one. */
export function bootUrl(h: HttpBootPolicy, networkServerAddress: string, file: string): string {
  return `http://${h.address ?? networkServerAddress}${h.port === 80 ? "" : `:${h.port}`}${urlPath(file)}`;
}

export function chooseBoot(policy: DhcpPolicy, r: DhcpReservation | undefined, c: ClientFacts, networkServerAddress: string): BootChoice | undefined {
  if (c.httpClient) {
    const arch = c.arch ?? ClientArch.X64UefiHttp;
    const h = policy.httpBoot;
    if (h === undefined || protocolFor(policy, r, arch) !== "http") return undefined;
    const pxeArch = pxeArchOf(arch);
    // The client's own programs first (for this architecture, its PXE one, then for all), then the site's.
    const file = r?.bootFiles?.get(arch) ?? r?.bootFiles?.get(pxeArch) ?? r?.bootFile ?? policy.bootFiles.byArch.get(arch) ?? policy.bootFiles.byArch.get(pxeArch);
    return file === undefined ? undefined : { file: bootUrl(h, networkServerAddress, file), why: `http-arch-${arch}`, protocol: "http" };
  }
  if (c.ipxe) {
    const script = r?.ipxeScript ?? policy.ipxeScript;
    if (script === undefined) return undefined;
    if (policy.httpBoot !== undefined && protocolFor(policy, r, c.arch ?? ClientArch.X86Bios) === "http") {
      return { file: bootUrl(policy.httpBoot, networkServerAddress, script), why: "ipxe-script-http", protocol: "http" };
    }
    return { file: script, why: "ipxe-script", protocol: "tftp" };
  }
  // No option 93 and no "Arch:" in the vendor class: a legacy BIOS PXE ROM or a non-PXE client.
  const arch = c.arch ?? ClientArch.X86Bios;
  // UEFI firmware that also has HTTP Boot tries PXE first; without a boot program it moves on.
  if (r?.uefiPxe === false && HTTP_ARCH_OF_PXE_ARCH.has(arch)) return undefined;
  const file = r?.bootFiles?.get(arch) ?? r?.bootFile ?? policy.bootFiles.byArch.get(arch) ?? policy.bootFiles.default;
  return file === undefined ? undefined : { file, why: `arch-${arch}`, protocol: "tftp" };
}
