/**
 * Who holds a port, for doctor's advice. Linux only (/proc): the socket's
 * inode from /proc/net/{udp,tcp}, then the process whose fd points at it.
 * Elsewhere (FreeBSD: sockstat) it says nothing rather than guess.
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";

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

export function describePortHolder(proto: "udp" | "tcp", port: number): string {
  try {
    const table = readFileSync(`/proc/net/${proto}`, "utf8").split("\n").slice(1);
    const hex = port.toString(16).toUpperCase().padStart(4, "0");
    const inodes = new Set(table.map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hex}`)).map((f) => f[9]));
    if (inodes.size === 0) return "";
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
          const who = isLaggbootCommand(argv, ownScript()) ? "laggboot, " : "";
          return ` by pid ${pid} (${who}${argv.join(" ").slice(0, 120)})`;
        }
      }
    }
  } catch {
    // not Linux, or /proc not readable
  }
  return "";
}
