// The oracle of the flip model. On a real diskless client every program
// start from the NFS root issues RPCs (lookup, attributes, page-ins); while
// the server is unreachable those wait forever on the hard mount, and the
// boot hangs. So: any start of a program that is not on a memory file system
// while the server is unreachable is a violation, and so is a server that is
// still unreachable when the script is done.

export interface ExecEntry {
  readonly path: string;
  readonly onMemoryFs: boolean;
  readonly nfsUp: boolean;
  readonly argv: readonly string[];
}

const LINE = /^exec (\S+) fs=(mem|nfs) nfs=(up|down) pid=\d+ argv=(.*)$/;

export function parseExecLog(text: string): ExecEntry[] {
  const out: ExecEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`model log: unexpected line ${JSON.stringify(line)}`);
    out.push({ path: m[1]!, onMemoryFs: m[2] === "mem", nfsUp: m[3] === "up", argv: m[4]!.split("\x1f") });
  }
  return out;
}

export interface Verdict {
  readonly violations: readonly string[];
  readonly execs: readonly ExecEntry[];
}

export function judge(logText: string, finalReach: { up: boolean; why: string }): Verdict {
  const execs = parseExecLog(logText);
  const violations = execs
    .filter((e) => !e.onMemoryFs && !e.nfsUp)
    .map((e) => `started ${e.path} from the NFS root while the server was unreachable: ${e.argv.join(" ")}`);
  if (!finalReach.up) violations.push(`the NFS server is unreachable at the end (${finalReach.why})`);
  return { violations, execs };
}
