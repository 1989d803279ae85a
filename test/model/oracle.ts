// The oracle of the flip model. On a real diskless client every program
// start from the NFS root issues RPCs (lookup, attributes, page-ins); while
// the server is unreachable those wait forever on the hard mount, and the
// boot hangs. So: any start of a program that is not on a malloc-backed
// memory file system while the server is unreachable is a violation (a
// swap-backed one may page in from swap on NFS), and so is a server that is
// still unreachable when the script is done.

export type FsKind = "mem" | "swapmd" | "nfs";

export interface ExecEntry {
  readonly path: string;
  /** On a malloc-backed memory disk (fs=mem). */
  readonly onMemoryFs: boolean;
  readonly fs: FsKind;
  /** The process's root directory: "/" or the directory it was chrooted into. */
  readonly root: string;
  readonly nfsUp: boolean;
  readonly argv: readonly string[];
}

/** A path lookup by the shell itself (open, stat, access, chdir, exec attempt), logged only while unreachable. */
export interface FileEntry {
  readonly op: string;
  readonly path: string;
  readonly onMemoryFs: boolean;
}

const EXEC_LINE = /^exec (\S+) fs=(mem|swapmd|nfs) nfs=(up|down) root=(\S+) pid=\d+ argv=(.*)$/;
const FILE_LINE = /^file (\S+) (\S+) fs=(mem|swapmd|nfs) nfs=down pid=\d+$/;

export function parseModelLog(text: string): { execs: ExecEntry[]; files: FileEntry[] } {
  const execs: ExecEntry[] = [];
  const files: FileEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = EXEC_LINE.exec(line);
    const f = m ? null : FILE_LINE.exec(line);
    if (m) execs.push({ path: m[1]!, onMemoryFs: m[2] === "mem", fs: m[2] as FsKind, nfsUp: m[3] === "up", root: m[4]!, argv: m[5]!.split("\x1f") });
    else if (f) files.push({ op: f[1]!, path: f[2]!, onMemoryFs: f[3] === "mem" });
    else throw new Error(`model log: unexpected line ${JSON.stringify(line)}`);
  }
  return { execs, files };
}

export interface Verdict {
  readonly violations: readonly string[];
  readonly execs: readonly ExecEntry[];
  readonly files: readonly FileEntry[];
}

export function judge(logText: string, finalReach: { up: boolean; why: string }): Verdict {
  const { execs, files } = parseModelLog(logText);
  const violations = execs
    .filter((e) => !e.onMemoryFs && !e.nfsUp)
    .map((e) => e.fs === "swapmd"
      ? `started ${e.path} from a swap-backed memory disk (pages may come from swap on NFS) while the server was unreachable: ${e.argv.join(" ")}`
      : `started ${e.path} from the NFS root while the server was unreachable: ${e.argv.join(" ")}`);
  for (const f of files.filter((x) => !x.onMemoryFs)) {
    violations.push(`the shell looked up ${f.path} (${f.op}) on the NFS root while the server was unreachable`);
  }
  if (!finalReach.up) violations.push(`the NFS server is unreachable at the end (${finalReach.why})`);
  return { violations, execs, files };
}
