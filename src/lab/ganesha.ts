/**
 * nfs-ganesha (the VFS backend) as the lab's NFS server, in the server
 * namespace, with rpcbind (NFSv3 clients find MOUNT and NFS through it).
 * Both run under `ip netns exec`, which gives them a private mount
 * namespace: tmpfs over /run and /var/lib/nfs there keeps everything they
 * write away from the host. One export per client root, read-write with
 * root not squashed, to that client's address only; no lock manager
 * (clients mount with nolock).
 * Needs the Debian packages nfs-ganesha, nfs-ganesha-vfs and rpcbind.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabNamespace } from "./net.js";
import { waitUntil, type ManagedProcess } from "./proc.js";

export const GANESHA_BINARIES = ["/usr/bin/ganesha.nfsd", "/usr/sbin/rpcbind", "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so"] as const;

export interface NfsExport {
  /** Directory on this machine. */
  readonly path: string;
  readonly client: string;
  readonly readOnly: boolean;
}

export interface Ganesha {
  readonly process: ManagedProcess;
  logText(): string;
  stop(): Promise<void>;
}

export function ganeshaConf(serverIp: string, exports: readonly NfsExport[]): string {
  const blocks = exports.map((e, i) => `EXPORT {
  Export_Id = ${i + 1};
  Path = ${e.path};
  Pseudo = ${e.path};
  Protocols = 3, 4;
  Transports = TCP;
  Access_Type = None;
  Squash = No_root_squash;
  SecType = sys;
  FSAL { Name = VFS; }
  CLIENT { Clients = ${e.client}; Access_Type = ${e.readOnly ? "RO" : "RW"}; }
}`);
  return `# nfs-ganesha for the laggboot lab (src/lab/ganesha.ts)
NFS_CORE_PARAM {
  Protocols = 3, 4;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Bind_addr = ${serverIp};
}
NFSV4 { Graceless = true; }
${blocks.join("\n")}
`;
}

const LAUNCH = `set -e
mkdir -p /var/lib/nfs
mount -t tmpfs lbq-run /run
mount -t tmpfs lbq-nfs /var/lib/nfs
mkdir -p /run/rpcbind /run/ganesha /var/lib/nfs/ganesha
rpcbind -f -w &
for i in $(seq 50); do [ -S /run/rpcbind.sock ] && break; sleep 0.1; done
exec ganesha.nfsd -F -L "$1/ganesha.log" -f "$1/ganesha.conf" -p /run/ganesha/ganesha.pid -N NIV_EVENT
`;

/**
 * Start rpcbind and ganesha with configuration `conf` (ganeshaConf, or a
 * test's own) through `spawn`, which runs a command in the server's
 * namespace; resolves when ganesha says it is initialized.
 */
export async function startGanesha(spawn: LabNamespace["spawn"], workDir: string, conf: string): Promise<Ganesha> {
  for (const bin of GANESHA_BINARIES) {
    if (!existsSync(bin)) throw new Error(`${bin} missing: apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind`);
  }
  const log = join(workDir, "ganesha.log");
  writeFileSync(join(workDir, "ganesha.conf"), conf);
  writeFileSync(join(workDir, "ganesha-launch.sh"), LAUNCH);
  writeFileSync(log, "");
  const p = spawn(["sh", join(workDir, "ganesha-launch.sh"), workDir], { logFile: join(workDir, "ganesha.out") });
  const logText = (): string => readFileSync(log, "utf8");
  await waitUntil("nfs-ganesha to start", () => {
    if (p.hasExited()) throw new Error(`nfs-ganesha exited: ${p.stderrText()}${logText().split("\n").slice(-10).join("\n")}`);
    return logText().includes("NFS SERVER INITIALIZED");
  }, 30_000, 100);
  return { process: p, logText, stop: async () => void (await p.stop(5000)) };
}
