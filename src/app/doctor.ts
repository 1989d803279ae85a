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
import { writeFileSets } from "../render/write-fileset.js";
import { bindProblem, bindSentence, type BindProblem, type Listener } from "../servers/bind-error.js";
import { checkNfsExport, type NfsExportCheck, type NfsExportCheckInput } from "../servers/nfs-mount/check.js";
import type { ClientAssets } from "../render/client-file-sets.js";
import { checkClientFiles, checkSharedRoots, finding, type DoctorFinding, type RootsProbe } from "./doctor-roots.js";
import { checkDatabase, inspectPostgres, type InspectDatabase } from "./doctor-db.js";
import { readRefusal, type ModeOwner, type UnixIdentity } from "./unix-access.js";
import { lookupIdentity } from "./unix-user.js";

export type { DoctorFinding, DoctorStatus } from "./doctor-roots.js";

export interface DoctorProbe extends RootsProbe {
  localAddresses(): readonly string[];
  /** undefined when the listener's port can be bound; else why not (bind-error.ts). */
  portBusy(l: Listener): Promise<BindProblem | undefined>;
  nfsExport(input: NfsExportCheckInput): Promise<NfsExportCheck>;
  /** server.runAs as numbers, or why it cannot be resolved. */
  identity(user: string, group: string | undefined): UnixIdentity | string;
  /** Why `who` cannot reach and read `path` by its mode bits, or undefined when it can. */
  readRefusal(path: string, who: UnixIdentity): string | undefined;
  /** The shared database (storage kind postgres), read-only. */
  inspectDatabase?: InspectDatabase;
}

function checkAddresses(inv: Inventory, probe: DoctorProbe): DoctorFinding[] {
  const local = new Set(probe.localAddresses());
  const wanted = new Map<string, string>([[inv.server.address, "server.address"], [inv.server.tftp.address, "server.tftp.address"]]);
  for (const n of inv.server.networks) if (!n.relayed) wanted.set(n.serverAddress, `the server address of network ${n.name}`);
  if (inv.server.http.address !== "0.0.0.0") wanted.set(inv.server.http.address, "server.http.address");
  const hb = inv.server.httpBoot;
  if (hb && hb.address !== "0.0.0.0" && !wanted.has(hb.address)) wanted.set(hb.address, "server.httpBoot.address");
  return [...wanted].map(([addr, what]) =>
    local.has(addr)
      ? finding(`address ${addr}`, "ok", `${addr} (${what}) is configured on an interface of this machine, so laggboot can bind it and replies to that network leave by its interface.`)
      : finding(`address ${addr}`, "fail", `${addr} (${what}) is not configured on any interface of this machine; laggboot serve cannot bind it.`,
        `Add it to the interface facing that network (Linux: 'ip addr add ${addr}/PREFIX dev IFACE'; FreeBSD: 'ifconfig IFACE inet ${addr}/PREFIX alias' and an ifconfig_IFACE_alias0 line in rc.conf), or correct the inventory.`));
}

async function checkPorts(inv: Inventory, probe: DoctorProbe): Promise<DoctorFinding[]> {
  const s = inv.server;
  const listeners: [Listener, string][] = [
    [{ service: "DHCP", proto: "udp", address: "0.0.0.0", port: 67 }, "every request arrives on 0.0.0.0:67"],
    [{ service: "TFTP", proto: "udp", address: s.tftp.address, port: s.tftp.port }, "boot files"],
  ];
  if (s.dhcp.mode === "proxy") listeners.push([{ service: "ProxyDHCP", proto: "udp", address: "0.0.0.0", port: 4011 }, "PXE boot server port"]);
  listeners.push([{ service: "HTTP status API", proto: "tcp", address: s.http.address, port: s.http.port }, "status, metrics, dashboard"]);
  if (s.httpBoot) listeners.push([{ service: "HTTP boot", proto: "tcp", address: s.httpBoot.address, port: s.httpBoot.port }, "boot files over HTTP"]);
  const out: DoctorFinding[] = [];
  for (const [l, what] of listeners) {
    const busy = await probe.portBusy(l);
    const name = `port ${l.proto}/${l.port}`;
    const where = `${l.proto.toUpperCase()} ${l.address}:${l.port} (${l.service}: ${what})`;
    if (busy === undefined) out.push(finding(name, "ok", `${where} is free: laggboot serve can bind it.`));
    else if (busy.holder?.laggboot === true) out.push(finding(name, "ok", `${where} is held by a running laggboot: pid ${busy.holder.pid} (${busy.holder.command}).`));
    else out.push(finding(name, "fail", `${bindSentence(l, busy)}.`, busy.advice));
  }
  return out;
}

/** The user laggboot serve drops to, when server.runAs is set: boot files must be readable by it, not only by root. */
interface RunAs {
  readonly user: string;
  readonly who: UnixIdentity;
}

/** `reloadFiles`: the inventory and the passphrase files it names, which a SIGHUP makes the server read. */
function checkRunAs(inv: Inventory, probe: DoctorProbe, reloadFiles: readonly string[]): { findings: DoctorFinding[]; runAs: RunAs | undefined } {
  const r = inv.server.runAs;
  if (!r) return { findings: [], runAs: undefined };
  const who = probe.identity(r.user, r.group);
  if (typeof who === "string") {
    return { findings: [finding("server.runAs", "fail", `${who}: laggboot serve refuses to start.`, `Create the user (FreeBSD: 'pw useradd ${r.user} -d /nonexistent -s /usr/sbin/nologin'; Linux: 'useradd --system ${r.user}'), or correct server.runAs.`)], runAs: undefined };
  }
  const findings = [finding("server.runAs", "ok", `laggboot serve binds as root, then runs as ${r.user} (uid ${who.uid}, gid ${who.gid}, groups ${who.groups.join(",")}); the TFTP root and boot files are checked as that user.`)];
  if (reloadFiles.length > 0) {
    const refused = reloadFiles.flatMap((f) => {
      const why = probe.readRefusal(f, who);
      return why === undefined ? [] : [why];
    });
    findings.push(refused.length === 0
      ? finding("inventory reload", "ok", `${r.user} can read ${reloadFiles.join(" and ")}: 'laggboot reload' and a plain SIGHUP both reload the inventory.`)
      : finding("inventory reload", "ok", `${r.user} ${refused.join("; ")}, as it should for files holding Wi-Fi passphrases: reloads go through 'laggboot reload' run as root (systemctl reload and service laggboot reload do that), which reads them and hands them to the server over its control socket. A plain SIGHUP is refused and logged.`));
  }
  return { findings, runAs: { user: r.user, who } };
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
  } else if (c.kind === "linux-lagg") {
    // Its iPXE script is rendered by laggboot itself, not a file.
    files.set(c.boot.kernel, `client ${c.name}'s kernel`);
    files.set(c.boot.initrd, `client ${c.name}'s initrd`);
    if (c.boot.bootFile) files.set(c.boot.bootFile, `client ${c.name}'s boot file`);
    const archs = new Map<string, number[]>();
    for (const [arch, f] of c.boot.bootFiles) archs.set(f, [...(archs.get(f) ?? []), arch]);
    for (const [f, a] of archs) files.set(f, `client ${c.name}'s boot file for option 93 = ${a.join(", ")}`);
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

async function checkExports(inv: Inventory, probe: DoctorProbe, timeoutMs: number): Promise<DoctorFinding[]> {
  const out: DoctorFinding[] = [];
  for (const c of inv.clients) {
    if (c.kind === "pxe") continue;
    const r = await probe.nfsExport({ server: c.nfsServer, path: c.root.path, client: { address: c.ip, hostnames: [c.fqdn, c.name] }, timeoutMs });
    out.push(finding(`nfs export for ${c.name}`, r.ok ? "ok" : "fail", r.proves, r.advice));
  }
  return out;
}

export interface DoctorOptions {
  readonly nfs: boolean;
  readonly nfsTimeoutMs: number;
  /** The directory client roots are under, as for 'apply --root' (default "/"). */
  readonly rootDir?: string;
  /** The inventory file and the passphrase files it names, to say whether server.runAs can read them. */
  readonly inventoryPath?: string;
  readonly secretFiles?: readonly string[];
  /** The flip script apply installs; without it the client files are not checked. */
  /** The shipped client scripts, for `--root`'s check of the client files. */
  readonly clientAssets?: ClientAssets;
}

export async function runDoctor(inv: Inventory, probe: DoctorProbe, opts: DoctorOptions): Promise<DoctorFinding[]> {
  const runAs = checkRunAs(inv, probe, [...(opts.inventoryPath === undefined ? [] : [opts.inventoryPath]), ...(opts.secretFiles ?? [])]);
  const rootDir = opts.rootDir ?? "/";
  const out = [
    ...checkAddresses(inv, probe), ...(await checkPorts(inv, probe)), ...runAs.findings, ...checkBootFiles(inv, probe, runAs.runAs),
    ...checkSharedRoots(inv, probe, rootDir), ...(opts.clientAssets === undefined ? [] : checkClientFiles(inv, probe, rootDir, opts.clientAssets)),
  ];
  if (opts.nfs) out.push(...(await checkExports(inv, probe, opts.nfsTimeoutMs)));
  if (probe.inspectDatabase !== undefined) out.push(...(await checkDatabase(inv, probe.inspectDatabase)));
  return out;
}

/** The machine this runs on. */
export const realDoctorProbe: DoctorProbe = {
  localAddresses() {
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === "IPv4").map((a) => a.address));
  },
  portBusy(l) {
    return new Promise((resolve) => {
      if (l.proto === "udp") {
        const s = createSocket({ type: "udp4" });
        s.once("error", (e) => {
          s.close();
          resolve(bindProblem(l, e));
        });
        s.bind({ address: l.address, port: l.port, exclusive: true }, () => s.close(() => resolve(undefined)));
      } else {
        const srv = createServer();
        srv.once("error", (e) => resolve(bindProblem(l, e)));
        srv.listen({ host: l.address, port: l.port, exclusive: true }, () => srv.close(() => resolve(undefined)));
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
  plannedChanges(set, targetRoot) {
    try {
      const r = writeFileSets([set], { targetRoot, dryRun: true, force: true, chownRoot: false });
      const refused = r.refused[0];
      return refused === undefined ? r.changes : `${refused.message} [${refused.code}]`;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  },
};
