/**
 * The resolved inventory: what every other layer consumes. Readonly, with
 * branded addresses, defaults applied and derived values (network, FQDN, NFS
 * root path) filled in, so no consumer repeats a rule.
 */
import type { Ipv4, Ipv4Prefix, Mac } from "./addr.js";

export interface Network {
  readonly name: string;
  readonly prefix: Ipv4Prefix;
  readonly netmask: Ipv4;
  readonly broadcast: Ipv4;
  readonly relayed: boolean;
  /** laggboot's address on a direct network; for a relayed one the address the relay forwards to. */
  readonly serverAddress: Ipv4;
  readonly gateway: Ipv4 | undefined;
  readonly dns: readonly Ipv4[];
  readonly domain: string | undefined;
  readonly pool: { readonly first: Ipv4; readonly last: Ipv4 } | undefined;
  readonly poolLeaseSeconds: number;
}

export interface BootFiles {
  readonly bios: string;
  readonly ia32Uefi: string | undefined;
  readonly x64Uefi: string;
  readonly arm64Uefi: string | undefined;
  /** Explicit entries by option 93 number; bios/ia32Uefi/x64Uefi/arm64Uefi are folded in (0, 6, 7, 9, 11). */
  readonly byArch: ReadonlyMap<number, string>;
}

export type BootProtocol = "http" | "tftp";

/** The boot-file HTTP server (server.httpBoot). */
export interface HttpBootConfig {
  readonly address: Ipv4;
  readonly port: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly listDirectories: boolean;
  readonly protocol: BootProtocol;
  readonly protocolByArch: ReadonlyMap<number, BootProtocol>;
}

export interface Instance {
  readonly name: string;
  readonly addresses: readonly Ipv4[];
}

export interface ServerConfig {
  readonly address: Ipv4;
  readonly networks: readonly Network[];
  readonly dhcp: {
    readonly mode: "full" | "proxy";
    readonly reservationLeaseSeconds: number;
    readonly poolLeaseSeconds: number;
    readonly unknownClientLogSeconds: number;
  };
  readonly tftp: {
    readonly root: string;
    readonly address: Ipv4;
    readonly port: number;
    readonly bootFiles: BootFiles;
    readonly ipxeScript: string;
    readonly writableDir: string | undefined;
    readonly singlePort: boolean;
    readonly maxTransfers: number;
    readonly maxTransfersPerClient: number;
  };
  readonly nfs: { readonly server: Ipv4; readonly rootsDir: string };
  readonly http: { readonly address: Ipv4; readonly port: number; readonly allowedHosts: readonly string[] };
  /** Undefined: no HTTP boot listener, everything over TFTP. */
  readonly httpBoot: HttpBootConfig | undefined;
  readonly storage: {
    readonly kind: "sqlite" | "postgres";
    readonly path: string;
    readonly postgres: { readonly connection: string | undefined; readonly connectionFile: string | undefined; readonly eventQueue: number } | undefined;
  };
  /** Servers sharing this inventory (and a postgres store); empty for one server. */
  readonly instances: readonly Instance[];
  /** The instance this inventory was resolved for (src/config/instance.ts), if any. */
  readonly instance: string | undefined;
  readonly runAs: { readonly user: string; readonly group: string | undefined } | undefined;
}

interface ClientCommon {
  readonly name: string;
  readonly fqdn: string;
  readonly ip: Ipv4;
  /** The first MAC is the wired NIC's (the PXE boot NIC). */
  readonly macs: readonly Mac[];
  readonly network: Network;
  /** Overrides server.httpBoot.protocol for this client. */
  readonly bootProtocol: BootProtocol | undefined;
  /** false: the client's UEFI PXE firmware gets no boot program (it goes on to UEFI HTTP Boot). */
  readonly uefiPxe: boolean;
}

export interface WifiConfig {
  readonly parent: string;
  readonly wlan: string;
  readonly ssid: string;
  /** The passphrase text (read from passphraseFile when given). */
  readonly passphrase: string;
  readonly country: string | undefined;
  /** wifi.firmware as written; undefined means: from the driver table. */
  readonly firmware: readonly string[] | undefined;
}

export interface FreebsdLaggClient extends ClientCommon {
  readonly kind: "freebsd-lagg";
  readonly wired: string;
  readonly wifi: WifiConfig | undefined;
  readonly root: {
    readonly layout: "own" | "shared";
    readonly path: string;
    readonly readOnly: boolean;
    readonly etcMdSize: number;
  };
  readonly nfsServer: Ipv4;
  /** Option 17 value, "server:/path" (the FreeBSD loader's NFS form). */
  readonly rootPath: string;
  readonly freebsdRelease: number;
  readonly lagg: { readonly interface: string; readonly bootif: string; readonly wiredPrimary: boolean };
}

/**
 * A diskless Linux client (inventory `kind: lagg`, `os: linux`): its root's
 * network path is an active-backup bond of the wired NIC (macs[0], the
 * bond's MAC and primary) and an optional backup NIC.
 */
/** A Wi-Fi network joined with WPA-PSK (a Linux client's Wi-Fi backup port). */
export interface WpaNetwork {
  readonly ssid: string;
  /** The passphrase text (read from passphraseFile when given). */
  readonly passphrase: string;
  readonly country: string | undefined;
}

export interface LinuxLaggClient extends ClientCommon {
  readonly kind: "linux-lagg";
  readonly backupMac: Mac | undefined;
  /** The backup NIC is Wi-Fi: enslaved after boot by laggboot-wifi, not by the initramfs or the flip. */
  readonly backupWifi: WpaNetwork | undefined;
  /** nfsVersion 4: the initramfs mounts the root with laggboot's boot script (boot=laggboot-nfs). */
  readonly root: { readonly path: string; readonly readOnly: boolean; readonly nfsVersion: 3 | 4 };
  readonly nfsServer: Ipv4;
  /** Linux clients get the root from the kernel command line, not option 17. */
  readonly rootPath: undefined;
  readonly boot: {
    readonly kernel: string;
    readonly initrd: string;
    readonly kernelArgs: string;
    readonly bootFile: string | undefined;
    /** Boot programs by option 93 architecture (over bootFile); empty: none. */
    readonly bootFiles: ReadonlyMap<number, string>;
    /** The per-client iPXE script laggboot serves (a virtual file), relative to the TFTP root. */
    readonly ipxeScript: string;
  };
  readonly bond: {
    readonly name: string;
    readonly at: "initramfs" | "runtime";
    readonly miimonMs: number;
    readonly upDelayMs: number;
    readonly downDelayMs: number;
    readonly gratuitousArps: number;
  };
}

export interface PxeClient extends ClientCommon {
  readonly kind: "pxe";
  readonly bootFile: string | undefined;
  readonly ipxeScript: string | undefined;
  readonly rootPath: string | undefined;
}

export type Client = FreebsdLaggClient | LinuxLaggClient | PxeClient;

/** The client's kind as the status API shows it; `kind: lagg` resolves by os. */
export type ClientKind = Client["kind"];

/** Where laggboot serves a Linux client's iPXE script (a virtual file in the TFTP root). */
export function linuxIpxeScriptPath(name: string): string {
  return `laggboot/${name}.ipxe`;
}

export interface Inventory {
  readonly server: ServerConfig;
  readonly clients: readonly Client[];
  /** sha256 (hex) of the validated inventory, the same for every instance: servers compare it to find a mismatch. */
  readonly hash: string;
}

/** Option 93 client architecture numbers this inventory names (RFC 4578 section 2.1, IANA registry). */
export const ARCH = { bios: 0, ia32Uefi: 6, x64Uefi: 7, ebcX64Uefi: 9, arm64Uefi: 11 } as const;

/** The boot file for a client architecture, or undefined when none is configured. */
export function bootFileForArch(files: BootFiles, arch: number): string | undefined {
  return files.byArch.get(arch);
}
