/**
 * Who holds a port, for bind-error sentences. Linux only (/proc): the
 * socket's inode from /proc/net/{udp,tcp}, then the process whose fd points
 * at it. Elsewhere (FreeBSD: sockstat) it says nothing rather than guess.
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";

export interface PortHolder {
  readonly pid: number;
  /** Its command line, cut to 120 characters. */
  readonly command: string;
  /** Is it a laggboot process (the installed command, or this very CLI script)? */
  readonly laggboot: boolean;
}

/** Is this command line a laggboot process (the installed command, or this very CLI script)? */
export function isLaggbootCommand(argv: readonly string[], ownScript: string | undefined): boolean {
  if (argv.some((a) => /(^|\/)laggboot$/.test(a))) return true;
  if (ownScript === undefined) return false;
  return argv.slice(0, 3).some((a) => {
    try {
      return realpathSync(a) === ownScript;
    } catch {
      return false;
    }
  });
}

function ownScript(): string | undefined {
  try {
    return process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
  } catch {
    return undefined;
  }
}

/** The process holding `proto` port `port` (any address), or undefined when it cannot be told. */
export function findPortHolder(proto: "udp" | "tcp", port: number): PortHolder | undefined {
  try {
    const table = readFileSync(`/proc/net/${proto}`, "utf8").split("\n").slice(1);
    const hex = port.toString(16).toUpperCase().padStart(4, "0");
    const inodes = new Set(table.map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hex}`)).map((f) => f[9]));
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link: string;
        try {
          link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) {
          const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
          return { pid: Number(pid), command: argv.join(" ").slice(0, 120), laggboot: isLaggbootCommand(argv, ownScript()) };
        }
      }
    }
  } catch {
    // not Linux, or /proc not readable
  }
  return undefined;
}
