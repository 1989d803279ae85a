/**
 * DHCP benchmark (run by hand, as root; not part of npm test):
 *   npx tsc -p tsconfig.json && node dist/bench/dhcp/run.js [--rates 1000,2000,4000,8000]
 *     [--seconds 10] [--clients 10000] [--peers laggboot,kea,dnsmasq] [--storm 1000]
 *     [--recv-buffer BYTES]   (laggboot's SO_RCVBUF; default 1 MiB)
 *     [--cpu-prof DIR]        (laggboot runs under node --cpu-prof, profiles in DIR; skews its CPU figures)
 *     [--commit-window MS]    (laggboot's group-commit window instead of the store's default; for tuning only)
 *     [--warmup S] [--warmup-rate R]  (before each measured run, every server alike: S seconds at R/s with other MACs; default 10 s at 500/s)
 * Peers: laggboot (SQLite, durable), laggboot-mem (in-memory store), laggboot-node (Node dgram sockets), kea, dnsmasq, and
 * laggboot-baseline: another build's laggboot (LBDH_BASELINE=DIR, a built checkout) for before/after;
 * laggboot-pg and kea-pg on one PostgreSQL started for the run (Debian's postgresql, a fresh database per run; their
 * CPU per exchange then also has a column with the database's own CPU, which serves them).
 * The PostgreSQL comparison in one command (docs/benchmarks.md):
 *   flock /tmp/laggboot-bench.lock node dist/bench/dhcp/run.js --peers laggboot-pg,kea-pg,laggboot --storm 0
 * In namespaces (prefix lbd, 198.18.0.0/15): perfdhcp acts as a relay (port
 * 67, giaddr) against each server in turn, same link, pool and lease time,
 * each server freshly started per offered rate. Reports completed 4-way
 * exchanges/s, drop rate, p99 DISCOVER->OFFER and REQUEST->ACK latency, and
 * the server's CPU time per completed exchange (from /proc/PID/stat). Then a
 * storm of N distinct reserved PXE clients within one second (laggboot).
 * Bounded: every perfdhcp run stops after --seconds; the storm after 10 s.
 * Writes JSON to bench/results/ and prints a Markdown table.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommandError, Lab } from "../../test/support/netns.js";
import { exchangeDelaysMs, parsePerfdhcp, quantile } from "../../test/interop/dhcp-perfdhcp.js";
import { startPeer, type BenchNet, type BenchPg, type PeerName } from "./peers.js";
import { startPostgres, type PgServer } from "../../test/support/postgres.js";
import { runStorm, type StormResult } from "./storm.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";

const CLOCK_TICKS_PER_SECOND = 100;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const rates = arg("rates", "1000,2000,4000,8000").split(",").map(Number);
const seconds = Number(arg("seconds", "10"));
const clients = Number(arg("clients", "10000"));
const peers = arg("peers", "laggboot,kea,dnsmasq").split(",") as PeerName[];
const stormClients = Number(arg("storm", "1000"));
const recvBufferArg = arg("recv-buffer", "");
const recvBufferBytes = recvBufferArg === "" ? undefined : Number(recvBufferArg);
const cpuProfDir = arg("cpu-prof", "") || undefined;
const commitWindowArg = arg("commit-window", "");
const commitWindowMs = commitWindowArg === "" ? undefined : Number(commitWindowArg);
const warmupSeconds = Number(arg("warmup", "10"));
const warmupRate = Number(arg("warmup-rate", "500"));

const NET: BenchNet = {
  serverIf: "s0", serverAddress: "198.19.0.1", relayAddress: "198.19.0.2", network: "198.19.0.0", prefixLength: 16,
  netmask: "255.255.0.0", poolFirst: "198.19.1.0", poolLast: "198.19.255.254", leaseSeconds: 3600,
};

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (proc(5)).
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds per thread of a process, from /proc/PID/task/TID/stat: where a server's time goes.
 * Keyed "name:main" for the main thread and "name:TID" for the others (Node names most of its threads "node").
 */
function cpuByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(`${name}:${tid === String(pid) ? "main" : tid}`, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND);
  }
  return out;
}

/** CPU seconds of the PostgreSQL server: the postmaster and every process it started (the backends serving the peer). */
function pgCpuSeconds(pg: PgServer | undefined): number {
  const root = pg?.pid();
  if (root === undefined) return 0;
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Field 4 (ppid) is fields[1] after "pid (comm) ".
      if (Number(entry) === root || Number(fields[1]) === root) total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      // the process ended
    }
  }
  return total;
}

function threadShare(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const share: Record<string, number> = {};
  for (const [name, s] of after) {
    const d = s - (before.get(name) ?? 0);
    if (d > 0) share[name] = Math.round(d * 100) / 100;
  }
  return share;
}

interface Row {
  peer: PeerName;
  offeredPerSecond: number;
  completedPerSecond: number;
  discoversSent: number;
  acksReceived: number;
  dropPercent: number;
  p99OfferMs: number | undefined;
  p99AckMs: number | undefined;
  cpuMsPerExchange: number | undefined;
  /** For the PostgreSQL peers: the database server's CPU per exchange (its backends do part of the work). */
  dbCpuMsPerExchange: number | undefined;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
  /** CPU seconds during the measured run per thread name (threads that ended meanwhile are missing). */
  cpuByThread: Record<string, number>;
}

function loadAverage(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

async function main(): Promise<void> {
  const lab = new Lab("bench");
  const results: Row[] = [];
  let storm: StormResult | undefined;
  const started = new Date().toISOString();
  let pg: PgServer | undefined;
  try {
    let benchPg: BenchPg | undefined;
    if (peers.some((p) => p.includes("-pg"))) {
      const server = await startPostgres();
      pg = server;
      benchPg = {
        dir: server.dir, user: server.user,
        async newDatabase(name) {
          await server.psql(`CREATE DATABASE ${name}`);
          return server.connection.replace(`/${server.database}?`, `/${name}?`);
        },
      };
    }
    const srv = await lab.namespace("srv");
    const perf = await lab.namespace("perf");
    await lab.veth(srv, NET.serverIf, perf, "p0");
    await srv.addr(NET.serverIf, `${NET.serverAddress}/${NET.prefixLength}`);
    await perf.addr("p0", `${NET.relayAddress}/${NET.prefixLength}`);
    for (const rate of rates) {
      for (const peer of peers) {
        const dir = mkdtempSync(join(tmpdir(), `lb-bench-${peer}-`));
        const running = await startPeer(peer, srv, NET, dir, { recvBufferBytes, cpuProfDir, commitWindowMs }, benchPg);
        try {
          // Warm-up (all servers alike): --warmup s at --warmup-rate/s with other MACs, so a
          // JIT-compiled server is measured warm, as it runs in production.
          if (warmupSeconds > 0) {
            await perf.exec(["perfdhcp", "-4", "-l", "p0", "-r", String(warmupRate), "-R", String(warmupRate * warmupSeconds), "-p", String(warmupSeconds),
              "-b", "mac=02:77:00:00:00:00", NET.serverAddress], (warmupSeconds + 30) * 1000).catch(() => undefined);
          }
          const load = loadAverage();
          const cpu0 = cpuSeconds(running.pid);
          const db0 = peer.includes("-pg") ? pgCpuSeconds(pg) : 0;
          const threads0 = cpuByThread(running.pid);
          // perfdhcp exits non-zero when it saw drops; its report is still on stdout.
          const out = await perf.exec(["perfdhcp", "-4", "-l", "p0", "-r", String(rate), "-R", String(clients), "-p", String(seconds),
            "-W", "1000000", "-x", "t", NET.serverAddress], (seconds + 30) * 1000)
            .catch((e: unknown) => {
              if (e instanceof CommandError && e.stdout.includes("***Rate statistics***")) return { stdout: e.stdout, stderr: e.stderr };
              throw e;
            });
          const cpu = cpuSeconds(running.pid) - cpu0;
          const dbCpu = peer.includes("-pg") ? pgCpuSeconds(pg) - db0 : undefined;
          const threads = threadShare(threads0, cpuByThread(running.pid));
          const r = parsePerfdhcp(out.stdout);
          const sent = r.discoverOffer?.sent ?? 0;
          const acks = r.requestAck?.received ?? 0;
          const row: Row = {
            peer, offeredPerSecond: rate, completedPerSecond: Math.round(acks / seconds), discoversSent: sent, acksReceived: acks,
            dropPercent: sent === 0 ? 100 : Math.round(10_000 * (1 - acks / sent)) / 100,
            p99OfferMs: round(quantile(exchangeDelaysMs(out.stdout, "DISCOVER-OFFER"), 0.99)),
            p99AckMs: round(quantile(exchangeDelaysMs(out.stdout, "REQUEST-ACK"), 0.99)),
            cpuMsPerExchange: acks === 0 ? undefined : Math.round((cpu * 1000 * 1000) / acks) / 1000,
            dbCpuMsPerExchange: acks === 0 || dbCpu === undefined ? undefined : Math.round((dbCpu * 1000 * 1000) / acks) / 1000,
            loadAverage: load, cpuByThread: threads,
          };
          results.push(row);
          process.stderr.write(`${JSON.stringify(row)}\n`);
        } finally {
          await running.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    if (stormClients > 0) storm = await runStorm(lab, stormClients);
  } finally {
    await lab.cleanup();
    await pg?.destroy();
  }
  mkdirSync("bench/results", { recursive: true });
  const file = join("bench/results", `dhcp-${started.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ started, rates, seconds, clients, peers, warmupSeconds, warmupRate, results, storm }, null, 2));
  process.stdout.write(`${table(results)}\n`);
  if (storm !== undefined) process.stdout.write(`\nstorm: ${JSON.stringify(storm)}\n`);
  process.stdout.write(`\nresults: ${file}\n`);
}

function round(v: number | undefined): number | undefined {
  return v === undefined ? undefined : Math.round(v * 100) / 100;
}

function table(rows: readonly Row[]): string {
  const lines = [
    "| offered/s | server | completed/s | drops % | p99 OFFER ms | p99 ACK ms | CPU ms/exchange | + database CPU ms/exchange | load |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(`| ${r.offeredPerSecond} | ${r.peer} | ${r.completedPerSecond} | ${r.dropPercent} | ${r.p99OfferMs ?? "-"} | ${r.p99AckMs ?? "-"} | ${r.cpuMsPerExchange ?? "-"} | ${r.dbCpuMsPerExchange ?? "-"} | ${r.loadAverage} |`);
  }
  return lines.join("\n");
}

await main();
