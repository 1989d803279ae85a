/**
 * The servers the DHCP benchmark compares, each started inside the server
 * namespace with the same network, pool and lease time: laggboot (dynamic
 * pool, SQLite leases, durable before ACK), Kea (memfile lease file) and
 * dnsmasq (lease file); and on one PostgreSQL database (BenchPg, started by
 * run.ts): laggboot-pg (the shared store), kea-pg (Kea's PostgreSQL lease
 * backend, schema by kea-admin) and kea-pg-mt (the same, multi-threaded). Each returns its PID (for CPU time from
 * /proc) and a stop function.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execFile, type ChildProcess } from "node:child_process";
import type { Namespace } from "../../test/support/netns.js";
import type { JsonPolicy, ServerMainConfig } from "../../test/support/dhcp-server-main.js";

export interface BenchNet {
  readonly serverIf: string;
  readonly serverAddress: string;
  /** perfdhcp's address: the giaddr it sends as a relay. */
  readonly relayAddress: string;
  readonly network: string;
  readonly prefixLength: number;
  readonly netmask: string;
  readonly poolFirst: string;
  readonly poolLast: string;
  readonly leaseSeconds: number;
}

export interface RunningPeer {
  readonly name: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * laggboot-mem: the same server with the in-memory store, to show what durable leases cost.
 * laggboot-node: the same server on Node's dgram sockets (LAGGBOOT_DHCP_DATAPATH=node) instead of
 * the native socket layer, to compare the two data paths in one run.
 * laggboot-eager: the native socket layer without receive coalescing (LAGGBOOT_DHCP_COALESCE_MS=0):
 * every datagram wakes the process, as on the dgram path.
 * laggboot-baseline: the default (durable) configuration of another build of laggboot, from
 * LBDH_BASELINE=DIR (a checkout built with tsc), for before/after figures in the same run.
 */
export type PeerName = "laggboot" | "laggboot-mem" | "laggboot-node" | "laggboot-eager" | "laggboot-baseline" | "laggboot-pg" | "kea" | "kea-pg" | "kea-pg-mt" | "dnsmasq";

/** The PostgreSQL server of a run: a fresh database per peer run. */
export interface BenchPg {
  /** Socket directory (libpq host) and user. */
  readonly dir: string;
  readonly user: string;
  /** Creates database `name`; returns its node-postgres connection string. */
  newDatabase(name: string): Promise<string>;
}

const serverMain = fileURLToPath(new URL("../../test/support/dhcp-server-main.js", import.meta.url));

function serverMainOf(name: PeerName): string {
  if (name !== "laggboot-baseline") return serverMain;
  const dir = process.env.LBDH_BASELINE;
  if (dir === undefined || dir === "") throw new Error("laggboot-baseline needs LBDH_BASELINE=DIR (a built checkout)");
  return resolve(dir, "dist/test/support/dhcp-server-main.js");
}

function runCommand(argv: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(argv[0]!, argv.slice(1), { timeout: 60_000 }, (err, _out, stderr) => {
    if (err) reject(new Error(`${argv.join(" ")}: ${stderr.trim() || err.message}`));
    else resolve();
  }));
}

function waitFor(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`server exited early (${code})`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export function laggbootPolicy(net: BenchNet): JsonPolicy {
  return {
    mode: "full",
    networks: [{
      name: "bench", prefix: { network: net.network, length: net.prefixLength }, relayed: true, serverAddress: net.serverAddress,
      gateway: net.relayAddress, dns: [], domain: undefined, pool: { first: net.poolFirst, last: net.poolLast },
      poolLeaseSeconds: net.leaseSeconds,
    }],
    reservations: [],
    reservationLeaseSeconds: net.leaseSeconds,
    nextServer: net.serverAddress,
    bootFiles: { byArch: [[0, "pxeboot"]] },
    ipxeScript: undefined,
  };
}

export interface LaggbootKnobs {
  /** SO_RCVBUF (default: the server's). */
  readonly recvBufferBytes?: number | undefined;
  /** Run under node --cpu-prof, profiles in this directory. */
  readonly cpuProfDir?: string | undefined;
  /** Group-commit window (default: the store's). Not applied to laggboot-baseline. */
  readonly commitWindowMs?: number | undefined;
}

let databases = 0;

export async function startPeer(
  name: PeerName, ns: Namespace, net: BenchNet, dir: string, knobs: LaggbootKnobs = {}, pg?: BenchPg,
): Promise<RunningPeer> {
  const { recvBufferBytes, cpuProfDir, commitWindowMs } = knobs;
  const needPg = (): BenchPg => {
    if (pg === undefined) throw new Error(`${name} needs the run's PostgreSQL`);
    return pg;
  };
  switch (name) {
    case "laggboot-pg":
    case "laggboot":
    case "laggboot-mem":
    case "laggboot-node":
    case "laggboot-eager":
    case "laggboot-baseline": {
      const config: ServerMainConfig = {
        policy: laggbootPolicy(net), quiet: true, maxRunMs: 600_000,
        ...(name === "laggboot-mem" ? {} : name === "laggboot-pg" ? { postgres: await needPg().newDatabase(`lb${++databases}`) } : { dbPath: join(dir, "laggboot.db") }),
        ...(recvBufferBytes === undefined ? {} : { recvBufferBytes }),
        ...(commitWindowMs === undefined || name === "laggboot-baseline" ? {} : { commitWindowMs }),
      };
      const file = join(dir, "laggboot.json");
      writeFileSync(file, JSON.stringify(config));
      const prof = cpuProfDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`];
      const env = name === "laggboot-node" ? { ...process.env, LAGGBOOT_DHCP_DATAPATH: "node" }
        : name === "laggboot-eager" ? { ...process.env, LAGGBOOT_DHCP_COALESCE_MS: "0" } : process.env;
      const child = ns.spawn([process.execPath, ...prof, serverMainOf(name), file], { stdio: ["pipe", "ignore", "inherit"], env });
      await waitFor(child, 1000);
      return { name, pid: child.pid!, stop: stopper(child) };
    }
    case "kea-pg":
    case "kea-pg-mt":
    case "kea": {
      let leaseDatabase: Record<string, unknown> = { type: "memfile", persist: true, name: join(dir, "kea-leases4.csv"), "lfc-interval": 0 };
      if (name !== "kea") {
        const db = needPg();
        const dbName = `kea${++databases}`;
        await db.newDatabase(dbName);
        await runCommand(["kea-admin", "db-init", "pgsql", "-h", db.dir, "-u", db.user, "-n", dbName]);
        leaseDatabase = { type: "postgresql", name: dbName, host: db.dir, user: db.user };
      }
      const conf = {
        Dhcp4: {
          "interfaces-config": { interfaces: [net.serverIf], "dhcp-socket-type": "udp" },
          "lease-database": leaseDatabase,
          "valid-lifetime": net.leaseSeconds,
          subnet4: [{
            id: 1, subnet: `${net.network}/${net.prefixLength}`, pools: [{ pool: `${net.poolFirst} - ${net.poolLast}` }],
            "option-data": [{ name: "routers", data: net.relayAddress }],
          }],
          loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stderr" }], severity: "ERROR" }],
          // kea-pg-mt: Kea's multi-threaded packet processing, one database connection per thread (its setting for throughput).
          ...(name === "kea-pg-mt" ? { "multi-threading": { "enable-multi-threading": true, "thread-pool-size": 4, "packet-queue-size": 64 } } : {}),
        },
      };
      const file = join(dir, "kea-dhcp4.json");
      writeFileSync(file, JSON.stringify(conf, null, 1));
      const child = ns.spawn(["env", `KEA_PIDFILE_DIR=${dir}`, `KEA_LOCKFILE_DIR=${dir}`, "kea-dhcp4", "-c", file],
        { stdio: ["ignore", "ignore", "inherit"] });
      await waitFor(child, 1500);
      // `env` execs kea-dhcp4, so the PID is Kea's own.
      return { name, pid: child.pid!, stop: stopper(child) };
    }
    case "dnsmasq": {
      const child = ns.spawn(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", `--interface=${net.serverIf}`,
        "--bind-interfaces", `--dhcp-range=${net.poolFirst},${net.poolLast},${net.netmask},${net.leaseSeconds}`, "--no-ping",
        "--dhcp-authoritative", "--dhcp-lease-max=100000", "--user=root", `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`,
        `--pid-file=${join(dir, "dnsmasq.pid")}`], { stdio: ["ignore", "ignore", "inherit"] });
      await waitFor(child, 1000);
      return { name, pid: child.pid!, stop: stopper(child) };
    }
  }
}
