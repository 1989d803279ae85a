/**
 * Follows each inventory client through its boot from the servers' events:
 * DHCP decisions and finished TFTP and HTTP transfers. Pure: events in, state out.
 */
import type { Inventory, Client } from "../config/types.js";
import type { DhcpServerEvent } from "../servers/dhcp/types.js";
import type { BootEvent } from "../store/index.js";
import { BOOT_STAGES, type BootStage, type ClientStatus, type DhcpExchange, type FileFetch, type FileProtocol, type StageReached } from "./status-types.js";

/** What the tracker reads of a finished transfer, from the TFTP or the HTTP server. */
export interface FileTransferFacts {
  readonly clientAddress: string;
  /** TFTP only; HTTP transfers are reads. */
  readonly direction?: "read" | "write";
  readonly path: string | undefined;
  readonly bytes: number;
  readonly durationMs: number;
  readonly outcome: string;
}

const MAX_FILES = 50;

interface State {
  stages: StageReached[];
  files: FileFetch[];
  lastDhcp: DhcpExchange | undefined;
  lastSeenMs: number | undefined;
}

const rank = (s: BootStage): number => BOOT_STAGES.indexOf(s);


export class StatusTracker {
  private byMac = new Map<string, Client>();
  private byIp = new Map<string, Client>();
  private clientsList: readonly Client[] = [];
  private bootFiles = new Set<string>();
  private scripts = new Set<string>();
  private readonly states = new Map<string, State>();

  constructor(inv: Inventory) {
    this.setInventory(inv);
  }

  /** On reload: new clients appear, removed ones go, the rest keep their state. */
  setInventory(inv: Inventory): void {
    this.clientsList = inv.clients;
    this.byMac = new Map(inv.clients.flatMap((c) => c.macs.map((m) => [m, c] as const)));
    this.byIp = new Map(inv.clients.map((c) => [c.ip as string, c]));
    this.bootFiles = new Set(inv.server.tftp.bootFiles.byArch.values());
    this.scripts = new Set([inv.server.tftp.ipxeScript, ...inv.clients.flatMap((c) => (c.kind === "pxe" && c.ipxeScript ? [c.ipxeScript] : c.kind === "linux-lagg" ? [c.boot.ipxeScript] : []))]);
    for (const name of [...this.states.keys()]) if (!inv.clients.some((c) => c.name === name)) this.states.delete(name);
  }

  clientByMac(mac: string): Client | undefined {
    return this.byMac.get(mac);
  }

  clientByIp(ip: string): Client | undefined {
    return this.byIp.get(ip);
  }

  private state(name: string): State {
    let s = this.states.get(name);
    if (!s) {
      s = { stages: [], files: [], lastDhcp: undefined, lastSeenMs: undefined };
      this.states.set(name, s);
    }
    return s;
  }

  private reach(s: State, stage: BootStage, atMs: number, detail: string, protocol?: FileProtocol): void {
    s.stages.push(protocol === undefined ? { stage, atMs, detail } : { stage, atMs, detail, protocol });
  }

  /**
   * Another server's answers and transfers, from the shared store's events
   * (dhcp.offer / dhcp.ack / dhcp.nak with the reply's details; tftp.sent
   * and other tftp.* outcomes), so this server's status shows every client.
   */
  onStoreEvent(e: BootEvent): void {
    const m = /^dhcp\.(offer|ack|nak)$/.exec(e.kind);
    if (m !== null) {
      const details = { ...e.details, ...(e.ip === undefined ? {} : { ip: e.ip }) };
      this.onDhcp({ type: "reply", atMs: e.atMs, mac: e.mac, messageType: m[1]!.toUpperCase(), to: String(e.details["to"] ?? ""), details }, e.server);
      return;
    }
    // Another server's file transfer: "tftp.sent", "http.sent", "tftp.failed", ...
    const file = e.details["file"];
    const t = /^(tftp|http)\.(.+)$/.exec(e.kind);
    if (t !== null && e.ip !== undefined && typeof file === "string") {
      const protocol: FileProtocol = t[1] === "http" ? "http" : "tftp";
      this.onTransferAt({
        clientAddress: e.ip, path: file, outcome: t[2] === "sent" ? "ok" : t[2]!,
        bytes: Number(e.details["bytes"] ?? 0), durationMs: Number(e.details["durationMs"] ?? 0),
      }, e.atMs, protocol);
    }
  }

  /** Returns the client the event was about, if it is in the inventory. `server`: who answered, on a shared store. */
  onDhcp(ev: DhcpServerEvent, server?: string): Client | undefined {
    if (ev.type !== "reply") return undefined;
    const c = this.byMac.get(ev.mac);
    if (!c) return undefined;
    const s = this.state(c.name);
    const d = ev.details;
    const loader = d["freebsdLoader"] === true;
    const ipxe = d["ipxe"] === true;
    const ip = typeof d["ip"] === "string" ? d["ip"] : undefined;
    const bootFile = typeof d["bootFile"] === "string" ? d["bootFile"] : undefined;
    // The adapter names types "OFFER"/"ACK"; accept the RFC 2132 "DHCPOFFER" spelling too.
    const type = ev.messageType.toUpperCase().replace(/^DHCP/, "");
    const isOffer = type === "OFFER";
    const isAck = type === "ACK";
    s.lastSeenMs = ev.atMs;
    s.lastDhcp = {
      atMs: ev.atMs, messageType: ev.messageType, mac: ev.mac, ip: ip ?? c.ip, bootFile,
      clientKind: loader ? "freebsd-loader" : ipxe ? "ipxe" : d["httpBoot"] === true ? "http-boot-firmware"
        : typeof d["vendorClass"] === "string" && d["vendorClass"].startsWith("PXEClient:") ? "pxe-firmware" : "other",
      ...(server === undefined ? {} : { server }),
    };
    if (loader) {
      if (isAck) this.reach(s, "loader-dhcp-acked", ev.atMs, c.ip);
      return c;
    }
    // Neither firmware nor iPXE, after the boot fetched its files: the booted
    // system's own DHCP (a Linux initramfs). It continues this boot.
    if (s.lastDhcp.clientKind === "other" && s.stages.some((x) => x.stage === "file-sent")) {
      if (isAck) this.reach(s, "os-dhcp-acked", ev.atMs, c.ip);
      return c;
    }
    if (isOffer) {
      // A firmware's OFFER after the boot got further is a new boot, except
      // iPXE chainloaded by UEFI firmware (it has not fetched its script yet).
      const last = s.stages[s.stages.length - 1]?.stage;
      const beyond = last !== undefined && rank(last) > rank("dhcp-acked");
      const ipxeContinues = ipxe && !s.stages.some((x) => x.stage === "ipxe-script-sent");
      if (beyond && !ipxeContinues) {
        s.stages = [];
        s.files = [];
      }
      this.reach(s, "dhcp-offered", ev.atMs, c.ip);
    } else if (isAck) {
      this.reach(s, "dhcp-acked", ev.atMs, c.ip);
    }
    return c;
  }

  /** Records a finished transfer at a given time (the servers report durations, not times). */
  onTransferAt(ev: FileTransferFacts, atMs: number, protocol: FileProtocol = "tftp"): Client | undefined {
    const c = this.byIp.get(ev.clientAddress);
    if (!c || (ev.direction ?? "read") !== "read" || ev.path === undefined) return c;
    const s = this.state(c.name);
    s.lastSeenMs = atMs;
    s.files.push({ atMs, path: ev.path, bytes: ev.bytes, durationMs: ev.durationMs, outcome: ev.outcome, protocol });
    if (s.files.length > MAX_FILES) s.files.splice(0, s.files.length - MAX_FILES);
    if (ev.outcome !== "ok") return c;
    const stage: BootStage = this.scripts.has(ev.path) ? "ipxe-script-sent"
      : this.bootFiles.has(ev.path) || ev.path === s.lastDhcp?.bootFile ? "boot-file-sent" : "file-sent";
    this.reach(s, stage, atMs, ev.path, protocol);
    return c;
  }

  clients(): ClientStatus[] {
    return this.clientsList.map((c) => {
      const s = this.states.get(c.name);
      const stages = s?.stages ?? [];
      const furthest = stages.reduce<BootStage | undefined>((acc, x) => (acc === undefined || rank(x.stage) > rank(acc) ? x.stage : acc), undefined);
      return {
        name: c.name, kind: c.kind, fqdn: c.fqdn, ip: c.ip, macs: c.macs,
        root: c.kind === "pxe" ? undefined : { server: c.nfsServer, path: c.root.path, nfsVersion: c.kind === "linux-lagg" ? c.root.nfsVersion : 3 },
        stage: furthest, stages: [...stages], lastDhcp: s?.lastDhcp, files: [...(s?.files ?? [])], lastSeenMs: s?.lastSeenMs,
      };
    });
  }
}
