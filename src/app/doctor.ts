/**
 * `laggboot doctor`: checks that a site can boot, one finding per check,
 * each saying exactly what it proves and what to do when it fails. The
 * machine is reached through `DoctorProbe`, so every rule is testable.
 */
import { constants, accessSync, statSync } from "node:fs";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import type { Inventory } from "../config/types.js";
import { checkNfsExport, type NfsExportCheck, type NfsExportCheckInput } from "../servers/nfs-mount/check.js";
import { checkDatabase, inspectPostgres, type InspectDatabase } from "./doctor-db.js";
import { describePortHolder } from "./port-owner.js";
import { readRefusal, type ModeOwner, type UnixIdentity } from "./unix-access.js";
import { lookupIdentity } from "./unix-user.js";

export type DoctorStatus = "ok" | "warn" | "fail";

export interface DoctorFinding {
  readonly check: string;
  readonly status: DoctorStatus;
  /** What this check establishes (or, failed, what is wrong). */
  readonly proves: string;
  readonly advice: string | undefined;
}

export interface DoctorProbe {
  localAddresses(): readonly string[];
  /** undefined when the port can be bound; else a sentence about who holds it. */
  portBusy(proto: "udp" | "tcp", address: string, port: number): Promise<string | undefined>;
  /** "file" | "dir" | "missing" | "unreadable" | "other" */
  fileState(path: string): "file" | "dir" | "missing" | "unreadable" | "other";
  nfsExport(input: NfsExportCheckInput): Promise<NfsExportCheck>;
  /** server.runAs as numbers, or why it cannot be resolved. */
  identity(user: string, group: string | undefined): UnixIdentity | string;
  /** Why `who` cannot reach and read `path` by its mode bits, or undefined when it can. */
  readRefusal(path: string, who: UnixIdentity): string | undefined;
  /** The shared database (storage kind postgres), read-only. */
  inspectDatabase?: InspectDatabase;
}

const finding = (check: string, status: DoctorStatus, proves: string, advice?: string): DoctorFinding => ({ check, status, proves, advice });

function checkAddresses(inv: Inventory, probe: DoctorProbe): DoctorFinding[] {
  const local = new Set(probe.localAddresses());
  const wanted = new Map<string, string>([[inv.server.address, "server.address"], [inv.server.tftp.address, "server.tftp.address"]]);
  for (const n of inv.server.networks) if (!n.relayed) wanted.set(n.serverAddress, `the server address of network ${n.name}`);
  if (inv.server.http.address !== "0.0.0.0") wanted.set(inv.server.http.address, "server.http.address");
  return [...wanted].map(([addr, what]) =>
    local.has(addr)
      ? finding(`address ${addr}`, "ok", `${addr} (${what}) is configured on an interface of this machine, so laggboot can bind it and replies to that network leave by its interface.`)
      : finding(`address ${addr}`, "fail", `${addr} (${what}) is not configured on any interface of this machine; laggboot serve cannot bind it.`,
        `Add it to the interface facing that network (Linux: 'ip addr add ${addr}/PREFIX dev IFACE'; FreeBSD: 'ifconfig IFACE inet ${addr}/PREFIX alias' and an ifconfig_IFACE_alias0 line in rc.conf), or correct the inventory.`));
}

async function checkPorts(inv: Inventory, probe: DoctorProbe): Promise<DoctorFinding[]> {
  const s = inv.server;
  const ports: [("udp" | "tcp"), string, number, string][] = [["udp", "0.0.0.0", 67, "DHCP (every request arrives on 0.0.0.0:67)"], ["udp", s.tftp.address, s.tftp.port, "TFTP"]];
  if (s.dhcp.mode === "proxy") ports.push(["udp", "0.0.0.0", 4011, "ProxyDHCP boot server (PXE port 4011)"]);
  ports.push(["tcp", s.http.address, s.http.port, "HTTP status API"]);
  const out: DoctorFinding[] = [];
  for (const [proto, address, port, what] of ports) {
    const busy = await probe.portBusy(proto, address, port);
    const name = `port ${proto}/${port}`;
    if (busy === undefined) out.push(finding(name, "ok", `${proto.toUpperCase()} ${address}:${port} (${what}) is free: laggboot serve can bind it.`));
    else if (busy.includes("(laggboot, ")) out.push(finding(name, "ok", `${proto.toUpperCase()} ${address}:${port} (${what}) is held by a running laggboot: ${busy}.`));
    else out.push(finding(name, "fail", `${proto.toUpperCase()} ${address}:${port} (${what}) cannot be bound: ${busy}.`,
      busy.includes("permission") ? "Run laggboot serve as root (it drops privileges after binding when server.runAs is set)." : `Stop the other server (for example ISC dhcpd, dnsmasq, tftpd-hpa or inetd's tftp) or move laggboot to another address.`));
  }
  return out;
}

/** The user laggboot serve drops to, when server.runAs is set: boot files must be readable by it, not only by root. */
interface RunAs {
  readonly user: string;
  readonly who: UnixIdentity;
}

function checkRunAs(inv: Inventory, probe: DoctorProbe): { findings: DoctorFinding[]; runAs: RunAs | undefined } {
  const r = inv.server.runAs;
  if (!r) return { findings: [], runAs: undefined };
  const who = probe.identity(r.user, r.group);
  if (typeof who === "string") {
    return { findings: [finding("server.runAs", "fail", `${who}: laggboot serve refuses to start.`, `Create the user (FreeBSD: 'pw useradd ${r.user} -d /nonexistent -s /usr/sbin/nologin'; Linux: 'useradd --system ${r.user}'), or correct server.runAs.`)], runAs: undefined };
  }
  return {
    findings: [finding("server.runAs", "ok", `laggboot serve binds as root, then runs as ${r.user} (uid ${who.uid}, gid ${who.gid}, groups ${who.groups.join(",")}); the TFTP root and boot files are checked as that user.`)],
    runAs: { user: r.user, who },
  };
}

function checkBootFiles(inv: Inventory, probe: DoctorProbe, runAs: RunAs | undefined): DoctorFinding[] {
  const t = inv.server.tftp;
  const rootState = probe.fileState(t.root);
  if (rootState !== "dir") {
    return [finding("tftp root", "fail", `The TFTP root ${t.root} is ${rootState === "missing" ? "missing" : "not a readable directory"}: no client can fetch a boot program.`,
      `Create it and copy the boot programs in: FreeBSD's /boot/pxeboot and /boot/loader.efi, iPXE's undionly.kpxe / ipxe.efi.`)];
  }
  const asUser = (path: string): string | undefined => (runAs ? probe.readRefusal(path, runAs.who) : undefined);
  const userAdvice = (path: string): string => `Let ${runAs?.user} read it: for example 'chgrp -R ${runAs?.user} ${path}' and 'chmod -R g+rX ${path}', or make it world-readable (boot programs are not secret).`;
  const rootRefused = asUser(t.root);
  if (rootRefused !== undefined) {
    return [finding("tftp root", "fail", `The TFTP root ${t.root} is readable by root, but laggboot serves as ${runAs?.user}, who ${rootRefused}: every transfer would fail with "access violation".`, userAdvice(t.root))];
  }
  const files = new Map<string, string>();
  for (const [arch, f] of t.bootFiles.byArch) files.set(f, `${files.has(f) ? files.get(f) + ", " : ""}option 93 = ${arch}`);
  files.set(t.ipxeScript, "the iPXE script");
  for (const c of inv.clients) if (c.kind === "pxe") {
    if (c.bootFile) files.set(c.bootFile, `client ${c.name}'s boot file`);
    if (c.ipxeScript) files.set(c.ipxeScript, `client ${c.name}'s iPXE script`);
  }
  return [...files].map(([f, why]) => {
    const path = join(t.root, f);
    const state = probe.fileState(path);
    if (state !== "file") {
      return finding(`boot file ${f}`, "fail", `${path} (${why}) is ${state === "missing" ? "missing" : state === "unreadable" ? "not readable" : "not a regular file"}.`,
        `Put the file there (readable by the user laggboot runs as), or change server.tftp in the inventory.`);
    }
    const refused = asUser(path);
    if (refused !== undefined) return finding(`boot file ${f}`, "fail", `${path} (${why}) is readable by root, but laggboot serves as ${runAs?.user}, who ${refused}.`, userAdvice(path));
    return finding(`boot file ${f}`, "ok", `${path} (${why}) is a readable file laggboot can serve${runAs ? ` as ${runAs.user}` : ""}.`);
  });
}

function checkSharedRoots(inv: Inventory, probe: DoctorProbe): DoctorFinding[] {
  const roots = new Set(inv.clients.flatMap((c) => (c.kind === "freebsd-lagg" && c.root.layout === "shared" ? [c.root.path] : [])));
  return [...roots].map((r) => {
    if (probe.fileState(r) !== "dir") return finding(`shared root ${r}`, "warn", `${r} is not a directory on this machine, so its /conf layout was not checked (the NFS server may be another host).`, `Run laggboot doctor on the NFS server, or check there that ${r}/conf/base/etc exists.`);
    const missing = ["conf/base/etc", "conf/base/etc/diskless_remount"].filter((p) => probe.fileState(join(r, p)) === "missing");
    return missing.length === 0
      ? finding(`shared root ${r}`, "ok", `${r}/conf/base/etc and its diskless_remount exist: rc.initdiskless seeds each client's RAM /etc from the root's /etc.`)
      : finding(`shared root ${r}`, "fail", `${r} lacks ${missing.join(" and ")}: /etc on the clients would be a RAM disk holding only their per-client files, and /etc/rc fails at '. /etc/rc.subr'.`, `Run 'laggboot apply --root /' on the NFS server to create the /conf layout.`);
  });
}

async function checkExports(inv: Inventory, probe: DoctorProbe, timeoutMs: number): Promise<DoctorFinding[]> {
  const out: DoctorFinding[] = [];
  for (const c of inv.clients) {
    if (c.kind !== "freebsd-lagg") continue;
    const r = await probe.nfsExport({ server: c.nfsServer, path: c.root.path, client: { address: c.ip, hostnames: [c.fqdn, c.name] }, timeoutMs });
    out.push(finding(`nfs export for ${c.name}`, r.ok ? "ok" : "fail", r.proves, r.advice));
  }
  return out;
}

export interface DoctorOptions {
  readonly nfs: boolean;
  readonly nfsTimeoutMs: number;
}

export async function runDoctor(inv: Inventory, probe: DoctorProbe, opts: DoctorOptions): Promise<DoctorFinding[]> {
  const runAs = checkRunAs(inv, probe);
  const out = [...checkAddresses(inv, probe), ...(await checkPorts(inv, probe)), ...runAs.findings, ...checkBootFiles(inv, probe, runAs.runAs), ...checkSharedRoots(inv, probe)];
  if (opts.nfs) out.push(...(await checkExports(inv, probe, opts.nfsTimeoutMs)));
  if (probe.inspectDatabase !== undefined) out.push(...(await checkDatabase(inv, probe.inspectDatabase)));
  return out;
}

/** The machine this runs on. */
export const realDoctorProbe: DoctorProbe = {
  localAddresses() {
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === "IPv4").map((a) => a.address));
  },
  portBusy(proto, address, port) {
    return new Promise((resolve) => {
      const explain = (e: NodeJS.ErrnoException): string =>
        e.code === "EACCES" ? "permission denied (ports below 1024 need root)" : e.code === "EADDRINUSE" ? `in use${describePortHolder(proto, port)}` : e.code === "EADDRNOTAVAIL" ? "the address is not on this machine" : (e.code ?? e.message);
      if (proto === "udp") {
        const s = createSocket({ type: "udp4" });
        s.once("error", (e) => {
          s.close();
          resolve(explain(e));
        });
        s.bind({ address, port, exclusive: true }, () => s.close(() => resolve(undefined)));
      } else {
        const srv = createServer();
        srv.once("error", (e) => resolve(explain(e)));
        srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
      }
    });
  },
  fileState(path) {
    try {
      const st = statSync(path);
      if (st.isDirectory()) {
        accessSync(path, constants.R_OK | constants.X_OK);
        return "dir";
      }
      if (!st.isFile()) return "other";
      accessSync(path, constants.R_OK);
      return "file";
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
    }
  },
  nfsExport: checkNfsExport,
  inspectDatabase: inspectPostgres,
  identity(user, group) {
    try {
      return lookupIdentity(user, group);
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  },
  readRefusal(path, who) {
    // Every directory from / down, then the path itself, each stat'ed (following symlinks, as open(2) does).
    const parts = resolve(path).split("/").filter((p) => p !== "");
    const chain: { path: string; st: ModeOwner; dir: boolean }[] = [];
    for (let i = 0; i <= parts.length; i++) {
      const p = "/" + parts.slice(0, i).join("/");
      try {
        const st = statSync(p);
        chain.push({ path: p, st: { mode: st.mode, uid: st.uid, gid: st.gid }, dir: st.isDirectory() });
      } catch (e) {
        return `cannot stat ${p} (${(e as NodeJS.ErrnoException).code ?? "error"})`;
      }
    }
    return readRefusal(chain, who);
  },
};
