/**
 * What the HTTP layer (src/web) and `laggboot status` read from a running
 * server. app.ts implements StatusSource; src/web only formats it.
 */
import type { BootEvent, Lease } from "../store/index.js";

/** A client's boot, step by step, in the order a PXE boot normally goes. */
export const BOOT_STAGES = [
  "dhcp-offered", // the firmware's DISCOVER answered
  "dhcp-acked", // the firmware has its address
  "boot-file-sent", // pxeboot / loader.efi / ipxe.efi fetched over TFTP
  "ipxe-script-sent", // a client running iPXE fetched its script
  "loader-dhcp-acked", // the FreeBSD loader's own DHCP exchange (bare PXEClient vendor class)
  "file-sent", // any later file (kernel, initrd), over TFTP or HTTP
  "os-dhcp-acked", // the booted system's own DHCP (a Linux initramfs), after its files
] as const;

/** How a file went to the client. */
export type FileProtocol = "tftp" | "http";
export type BootStage = (typeof BOOT_STAGES)[number];

export interface StageReached {
  readonly stage: BootStage;
  readonly atMs: number;
  /** e.g. the file name for file stages, the address for DHCP stages. */
  readonly detail: string;
  /** File stages: the protocol the file went over. */
  readonly protocol?: FileProtocol;
}

export interface DhcpExchange {
  readonly atMs: number;
  /** The DHCP server's names: OFFER, ACK, NAK ... (docs/http-api.md shows them). */
  readonly messageType: string;
  readonly mac: string;
  readonly ip: string | undefined;
  /** "pxe-firmware" | "http-boot-firmware" | "ipxe" | "freebsd-loader" | "other" */
  readonly clientKind: string;
  readonly bootFile: string | undefined;
  /** The server that answered, when several share the store. */
  readonly server?: string | undefined;
}

export interface FileFetch {
  readonly atMs: number;
  readonly path: string;
  readonly bytes: number;
  readonly durationMs: number;
  readonly outcome: string;
  readonly protocol: FileProtocol;
}

export interface ClientStatus {
  readonly name: string;
  /** `kind: lagg` in the inventory shows as freebsd-lagg or linux-lagg, by os. */
  readonly kind: "freebsd-lagg" | "linux-lagg" | "pxe";
  readonly fqdn: string;
  readonly ip: string;
  readonly macs: readonly string[];
  /** A lagg client's NFS root as the inventory gives it (FreeBSD's diskless boot mounts NFSv3). */
  readonly root?: { readonly server: string; readonly path: string; readonly nfsVersion: 3 | 4 } | undefined;
  /** The furthest stage of the current boot (undefined: not seen since start). */
  readonly stage: BootStage | undefined;
  /** Stages of the current boot in the order they happened. */
  readonly stages: readonly StageReached[];
  readonly lastDhcp: DhcpExchange | undefined;
  /** Files fetched in the current boot, oldest first (bounded). */
  readonly files: readonly FileFetch[];
  readonly lastSeenMs: number | undefined;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly startedAtMs: number;
  readonly inventory: string;
  readonly services: Readonly<Record<string, "running" | "stopped" | "failed">>;
  /** Only when the store is shared (PostgreSQL). */
  readonly cluster?: ClusterStatus;
}

/** The servers sharing the store, as this one sees them (status API, `laggboot status`, dashboard, doctor). */
export interface ClusterStatus {
  /** This server's name. */
  readonly server: string;
  readonly store: "postgres";
  /** Is the database reachable now? While not, pool requests are not answered. */
  readonly online: boolean;
  readonly schemaVersion: number | undefined;
  readonly inventoryHash: string;
  readonly queuedEvents: number;
  readonly droppedEvents: number;
  readonly leaseConflicts: number;
  readonly servers: readonly {
    readonly name: string;
    readonly inventoryHash: string;
    readonly sameInventory: boolean;
    readonly laggbootVersion: string;
    /** How long ago (database clock) its last heartbeat was. */
    readonly lastSeenAgoMs: number | undefined;
  }[];
  /** Servers seen recently whose inventory differs from this one's. */
  readonly inventoryMismatch: readonly string[];
}

export interface StatusSource {
  clients(): readonly ClientStatus[];
  leases(): readonly Lease[];
  /** Newest first, as the store returns them. */
  events(query: { mac?: string; afterId?: number; limit?: number }): readonly BootEvent[];
  /** Live events as they are recorded; returns the unsubscribe function. */
  subscribe(listener: (event: BootEvent) => void): () => void;
  health(): HealthReport;
  /** Prometheus text exposition format 0.0.4. */
  metrics(): string;
}
