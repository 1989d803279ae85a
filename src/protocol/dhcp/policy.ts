/**
 * What the DHCP responder needs to know about the site: the policy input.
 * app.ts builds one `DhcpPolicy` from the inventory (config layer) and hands
 * it to `createResponder`. Plain values only: addresses are dotted quads,
 * MACs any case with ':' or '-' (normalised at compile time).
 */

export type DhcpMode = "full" | "proxy";

export type BootProtocol = "http" | "tftp";

/** The boot-file HTTP server, when the site runs one: where boot URLs point and who is sent there. */
export interface HttpBootPolicy {
  /** Host of boot URLs; undefined when the server listens on 0.0.0.0: the client network's serverAddress. */
  readonly address: string | undefined;
  readonly port: number;
  /** For clients that can choose (iPXE; UEFI HTTP Boot firmware is answered only under "http"). */
  readonly protocol: BootProtocol;
  /** By option 93 architecture of the PXE firmware or iPXE (HTTP Boot architectures count as their PXE ones). */
  readonly protocolByArch: ReadonlyMap<number, BootProtocol>;
}

export interface DhcpNetworkPolicy {
  /** Inventory name, copied into lease rows and events. */
  readonly name: string;
  readonly prefix: { readonly network: string; readonly length: number };
  /** Reached through a DHCP relay (requests carry giaddr inside this prefix). */
  readonly relayed: boolean;
  /**
   * laggboot's address on this network (server identifier, reply source);
   * for a relayed network the address the relay forwards to.
   */
  readonly serverAddress: string;
  readonly gateway: string | undefined;
  readonly dns: readonly string[];
  readonly domain: string | undefined;
  /** Optional dynamic pool, off (undefined) by default. */
  readonly pool: { readonly first: string; readonly last: string } | undefined;
  readonly poolLeaseSeconds: number;
  /** Interface MTU (option 26) to announce, when set. */
  readonly mtu?: number | undefined;
}

/** Boot programs by option 93 architecture (RFC 4578 2.1). */
export interface BootFilePolicy {
  /** e.g. 0 -> "pxeboot", 7 and 9 -> "loader.efi"; 6, 11 and others as configured. */
  readonly byArch: ReadonlyMap<number, string>;
  /** For a PXE client that sent no option 93 (treated as BIOS when absent here). */
  readonly default?: string | undefined;
}

export interface DhcpReservation {
  /** Inventory client name, for events and logs. */
  readonly clientName: string;
  /** Option 12; the FQDN. */
  readonly hostName: string;
  readonly ip: string;
  /** Every MAC of the client (wired first); all get the same address. */
  readonly macs: readonly string[];
  /** Option 17 ("server:/path" for the FreeBSD loader), when the client has one. */
  readonly rootPath?: string | undefined;
  /** Per-client boot programs by architecture, over `bootFile`; falls back to the site table. */
  readonly bootFiles?: ReadonlyMap<number, string> | undefined;
  /** Per-client boot program for every architecture `bootFiles` does not name (e.g. a Linux kernel via pxelinux). */
  readonly bootFile?: string | undefined;
  /** Per-client iPXE script; falls back to the site's. */
  readonly ipxeScript?: string | undefined;
  /** Per-client protocol; falls back to the site's (HttpBootPolicy). */
  readonly bootProtocol?: BootProtocol | undefined;
  /** false: UEFI PXE firmware (not iPXE) gets no boot program, so it goes on to UEFI HTTP Boot. Default true. */
  readonly uefiPxe?: boolean | undefined;
}

export interface DhcpPolicy {
  readonly mode: DhcpMode;
  readonly networks: readonly DhcpNetworkPolicy[];
  readonly reservations: readonly DhcpReservation[];
  /** Lease time given to reservations; a client's shorter request (the loader's 300 s) never shortens it. */
  readonly reservationLeaseSeconds: number;
  /** TFTP server: siaddr (next-server) and, when `file` is overloaded, option 66. */
  readonly nextServer: string;
  readonly bootFiles: BootFilePolicy;
  /** Script for clients already running iPXE (user class "iPXE" or option 175). */
  readonly ipxeScript: string | undefined;
  /** Undefined: no HTTP boot; every file goes over TFTP. */
  readonly httpBoot?: HttpBootPolicy | undefined;
  /** ProxyDHCP: also answer PXE firmware whose MAC is not reserved (default false). */
  readonly proxyAnswersUnknownClients?: boolean | undefined;
  /** How long an OFFERed pool address is held for its client (default 60 s). */
  readonly offerHoldSeconds?: number | undefined;
  /** How long a DECLINEd address stays unusable (default 3600 s; RFC 2131 4.3.3 leaves it to the server). */
  readonly declineHoldSeconds?: number | undefined;
}
