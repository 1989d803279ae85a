/**
 * A throwaway PostgreSQL server from Debian's packages, for tests and
 * benchmarks: initdb in a temporary directory owned by an unprivileged user
 * (nobody: the server refuses to run as root), listening only on a unix
 * socket in that directory (no TCP port, so nothing can clash), trust
 * authentication for the local socket. Durability settings are the
 * package defaults (fsync and synchronous_commit on): what a site runs.
 * stop() / start() take it down and up again (fault tests); destroy()
 * stops it and removes the directory.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PgServer {
  /** Socket directory; also the data directory's parent. */
  readonly dir: string;
  /** node-postgres connection string for database "laggboot", user "laggboot". */
  readonly connection: string;
  readonly database: string;
  readonly user: string;
  /** The postmaster's PID while it runs. */
  pid(): number | undefined;
  start(): Promise<void>;
  /** pg_ctl stop: "fast" ends sessions cleanly, "immediate" is a crash. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Run SQL with psql as the database user; returns stdout (unaligned, tuples only). */
  psql(sql: string, database?: string): Promise<string>;
  destroy(): Promise<void>;
}

/** The newest installed server's bin directory, or an error naming the package. */
export function pgBinDir(): string {
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql: install the Debian package postgresql");
  return join(base, versions[0], "bin");
}

const USER = "nobody";

function uidGid(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${USER}:`));
  if (line === undefined) throw new Error(`no user ${USER} to run PostgreSQL as`);
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

async function asUser(argv: readonly string[], home: string, timeoutMs = 60_000): Promise<string> {
  const { uid, gid } = uidGid();
  try {
    const r = await run("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...argv],
      { timeout: timeoutMs, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8" }, cwd: home });
    return r.stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`${argv.join(" ")} failed: ${(err.stderr ?? "").trim() || (err.stdout ?? "").trim() || String(e)}`, { cause: e });
  }
}

export async function startPostgres(opts: { settings?: Readonly<Record<string, string>> } = {}): Promise<PgServer> {
  const bin = pgBinDir();
  const dir = mkdtempSync(join(tmpdir(), "lb-pg-"));
  const { uid, gid } = uidGid();
  chownSync(dir, uid, gid);
  const data = join(dir, "data");
  const database = "laggboot";
  const user = "laggboot";
  const settings = { listen_addresses: "''", unix_socket_directories: `'${dir}'`, port: "5432", max_connections: "50", ...opts.settings };
  const options = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(" ");
  let running = false;
  const server: PgServer = {
    dir, database, user,
    connection: `postgresql://${user}@/${database}?host=${encodeURIComponent(dir)}`,
    pid() {
      if (!running) return undefined;
      try {
        return Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      } catch {
        return undefined;
      }
    },
    async start() {
      await asUser([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "60", "start"], dir, 90_000);
      running = true;
    },
    async stop(mode = "fast") {
      if (!running) return;
      await asUser([join(bin, "pg_ctl"), "-D", data, "-m", mode, "-w", "-t", "60", "stop"], dir, 90_000);
      running = false;
    },
    psql(sql: string, db = database) {
      return asUser(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", dir, "-U", user, "-d", db, "-c", sql], dir);
    },
    async destroy() {
      try {
        await server.stop("immediate");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await asUser([join(bin, "initdb"), "-D", data, "-U", user, "--auth=trust", "-E", "UTF8", "--no-instructions"], dir, 120_000);
    await server.start();
    await asUser(["psql", "-X", "-q", "-h", dir, "-U", user, "-d", "postgres", "-c", `CREATE DATABASE ${database}`], dir);
    return server;
  } catch (e) {
    await server.destroy().catch(() => undefined);
    throw e;
  }
}
