/**
 * doctor's checks of the client roots, under the directory `apply --root`
 * writes into: each shared root has the /conf layout rc.initdiskless needs,
 * and each client's files are in place and current (what `apply` would do,
 * asked in dry-run: nothing is written).
 */
import { join } from "node:path";
import type { Inventory } from "../config/types.js";
import { renderClientFileSets, type ClientAssets } from "../render/client-file-sets.js";
import type { FileSet } from "../render/fileset.js";
import type { FileChange } from "../render/write-fileset.js";

export type DoctorStatus = "ok" | "warn" | "fail";

export interface DoctorFinding {
  readonly check: string;
  readonly status: DoctorStatus;
  /** What this check establishes (or, failed, what is wrong). */
  readonly proves: string;
  readonly advice: string | undefined;
}

export const finding = (check: string, status: DoctorStatus, proves: string, advice?: string): DoctorFinding => ({ check, status, proves, advice });

/** What these checks ask of the machine. */
export interface RootsProbe {
  fileState(path: string): "file" | "dir" | "missing" | "unreadable" | "other";
  /** What `laggboot apply --root targetRoot` would do to this set (nothing written), or why it cannot tell. */
  plannedChanges(set: FileSet, targetRoot: string): readonly FileChange[] | string;
}

const applyCommand = (rootDir: string): string => `laggboot apply --root ${rootDir}`;

export function checkSharedRoots(inv: Inventory, probe: RootsProbe, rootDir: string): DoctorFinding[] {
  const roots = new Set(inv.clients.flatMap((c) => (c.kind === "freebsd-lagg" && c.root.layout === "shared" ? [c.root.path] : [])));
  return [...roots].map((r) => {
    const onDisk = join(rootDir, r);
    if (probe.fileState(onDisk) !== "dir") return finding(`shared root ${r}`, "warn", `${onDisk} is not a directory on this machine, so its /conf layout was not checked (the NFS server may be another host).`, `Run laggboot doctor on the NFS server, or check there that ${r}/conf/base/etc exists.`);
    const missing = ["conf/base/etc", "conf/base/etc/diskless_remount"].filter((p) => probe.fileState(join(onDisk, p)) === "missing");
    return missing.length === 0
      ? finding(`shared root ${r}`, "ok", `${onDisk}/conf/base/etc and its diskless_remount exist: rc.initdiskless seeds each client's RAM /etc from the root's /etc.`)
      : finding(`shared root ${r}`, "fail", `${onDisk} lacks ${missing.join(" and ")}: /etc on the clients would be a RAM disk holding only their per-client files, and /etc/rc fails at '. /etc/rc.subr'.`, `Run '${applyCommand(rootDir)}' on the NFS server to create the /conf layout.`);
  });
}

/** One finding per lagg client (FreeBSD and Linux): are the files apply writes there, and current? */
export function checkClientFiles(inv: Inventory, probe: RootsProbe, rootDir: string, assets: ClientAssets): DoctorFinding[] {
  // One set per lagg client: the FreeBSD ones in inventory order, then the Linux ones (renderClientFileSets).
  const names = [...inv.clients.filter((c) => c.kind === "freebsd-lagg"), ...inv.clients.filter((c) => c.kind === "linux-lagg")].map((c) => c.name);
  return renderClientFileSets(inv, assets).map((set, i) => {
    const name = names[i]!;
    const check = `client files for ${name}`;
    const base = join(rootDir, set.baseDir);
    if (probe.fileState(base) !== "dir") {
      return finding(check, "warn", `${base} is not a directory on this machine, so ${name}'s files were not checked (the NFS server may be another host).`, `Run laggboot doctor --root on the NFS server (or where the roots are staged).`);
    }
    const plan = probe.plannedChanges(set, rootDir);
    if (typeof plan === "string") return finding(check, "fail", `${name}'s files under ${base} cannot be checked: ${plan}.`, "Fix the root as the message says; apply refuses to write there too.");
    const stale = plan.filter((c) => c.kind !== "unchanged");
    if (stale.length === 0) return finding(check, "ok", `All ${plan.length} files apply writes for ${name} are in ${base} and current (content and mode).`);
    const say = (k: FileChange["kind"], what: string): string[] => {
      const ps = stale.filter((c) => c.kind === k).map((c) => c.path);
      return ps.length === 0 ? [] : [`${what}: ${ps.join(", ")}`];
    };
    const parts = [...say("create", "missing"), ...say("update", "out of date"), ...say("foreign", "not written by laggboot, or edited since")];
    return finding(check, "fail", `${name}'s files under ${base} are not as apply writes them (${parts.join("; ")}).`,
      `Run '${applyCommand(rootDir)}${stale.some((c) => c.kind === "foreign") ? " --force" : ""} --client ${name}' (add --dry-run first to see the diff).`);
  });
}
