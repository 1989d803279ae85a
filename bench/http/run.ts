/**
 * Boot files over HTTP: laggboot's boot-file server against nginx (Debian's
 * nginx-light, sendfile on, one worker, no access log), in the same network
 * namespaces (198.18.81.0/24, a veth pair), same file, same client (curl).
 *   - one client fetching a 100 MB file
 *   - 4 clients at once, each fetching it
 * Reported per round and as medians: MB/s (MB = 10^6 bytes; for 4 clients
 * the sum of their bytes over the wall time of the slowest), server CPU
 * time per MB (cgroup v1 cpuacct: the server and every process it forks),
 * and the 1-minute load average before the round. Every round runs each
 * server once, the order rotating from round to round. The first fetch per
 * server is checked byte for byte (sha256).
 *
 * Run as root, one at a time on the machine:
 *   npx tsc -p tsconfig.json && flock /tmp/laggboot-bench.lock node dist/bench/http/run.js [ROUNDS] [JSON_OUT]
 * (defaults: 5 rounds, bench-http.json). Prints a table; writes the JSON.
 * Not part of npm test.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TftpLab, sh } from "../../test/support/netns-tftp.js";

const MB = 1_000_000;
const FILE_BYTES = 100 * MB;
const PARALLEL = 4;
const PORT = 8081;

interface Sample { readonly round: number; readonly server: string; readonly scenario: string; readonly load1: number; readonly mbPerS: number; readonly cpuMsPerMb: number }

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** cgroup v1 cpuacct: the server and everything it forks (nginx's worker). */
class CpuGroup {
  readonly dir: string;
  constructor(name: string) {
    this.dir = `/sys/fs/cgroup/cpuacct/${name}`;
    mkdirSync(this.dir, { recursive: true });
  }
  add(pid: number): void {
    writeFileSync(`${this.dir}/cgroup.procs`, String(pid));
  }
  cpuMs(): number {
    return Number(readFileSync(`${this.dir}/cpuacct.usage`, "utf8")) / 1e6;
  }
  remove(): void {
    try {
      execFileSync("rmdir", [this.dir]);
    } catch {
      // a task is left in it; the operator may remove it
    }
  }
}

interface ServerDef { readonly name: string; argv(root: string, work: string, ip: string): string[] }

function nginxConfig(root: string, work: string, ip: string): string {
  return [
    "worker_processes 1;", "daemon off;", "master_process on;", `pid ${work}/nginx.pid;`, `error_log ${work}/nginx-error.log;`,
    "events { worker_connections 256; }",
    "http {",
    "  access_log off;", "  sendfile on;", "  tcp_nopush on;", "  default_type application/octet-stream;",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${work}/nginx-tmp;`),
    `  server { listen ${ip}:${PORT}; root ${root}; }`,
    "}", "",
  ].join("\n");
}

const laggboot = (name: string, readChunkBytes: number | undefined): ServerDef => ({
  name,
  argv: (root, _work, ip) => [process.execPath, resolve("dist/bench/http/serve-child.js"), JSON.stringify({
    root, address: ip, port: PORT, maxConnectionsPerClient: 64, ...(readChunkBytes === undefined ? {} : { readChunkBytes }),
  })],
});

const SERVERS: readonly ServerDef[] = [
  laggboot("laggboot", undefined),
  // LBHTTP_CHUNKS=131072,1048576 adds laggboot with other read chunk sizes to the same run.
  ...(process.env.LBHTTP_CHUNKS?.split(",") ?? []).map((c) => laggboot(`laggboot ${Number(c) / 1024} KiB chunks`, Number(c))),
  {
    name: "nginx",
    argv: (root, work, ip) => {
      mkdirSync(join(work, "nginx-tmp"), { recursive: true });
      writeFileSync(join(work, "nginx.conf"), nginxConfig(root, work, ip));
      return ["nginx", "-c", join(work, "nginx.conf")];
    },
  },
];

async function listening(lab: TftpLab): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await sh(["ip", "netns", "exec", lab.serverNs, "ss", "-Htln", `sport = :${PORT}`]).catch(() => ({ stdout: "" }));
    if (r.stdout.trim() !== "") return;
    await new Promise((r2) => setTimeout(r2, 50));
  }
  throw new Error(`nothing listens on ${PORT}`);
}

/** `n` curls at once; bytes and wall seconds of the whole. */
async function fetchAll(lab: TftpLab, url: string, n: number): Promise<{ bytes: number; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const rs = await Promise.all(Array.from({ length: n }, () => lab.client(["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{size_download}", url], 300_000)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { bytes: rs.reduce((a, r) => a + Number(r.stdout), 0), seconds };
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  const jsonOut = process.argv[3] ?? "bench-http.json";
  const work = mkdtempSync(join(tmpdir(), "lbhttp-bench-"));
  chmodSync(work, 0o755);
  const root = join(work, "root");
  mkdirSync(root);
  const data = randomBytes(FILE_BYTES);
  writeFileSync(join(root, "big.bin"), data);
  const want = createHash("sha256").update(data).digest("hex");
  execFileSync("cat", [join(root, "big.bin")], { stdio: "ignore", maxBuffer: 1 << 30 }); // into the page cache
  const lab = new TftpLab("198.18.81");
  const samples: Sample[] = [];
  const checked = new Set<string>();
  try {
    await lab.setup();
    const url = `http://${lab.serverIp}:${PORT}/big.bin`;
    for (let round = 1; round <= rounds; round++) {
      // Rotate: round 1 starts with the first server, round 2 with the second, ...
      const order = SERVERS.map((_, i) => SERVERS[(i + round - 1) % SERVERS.length]!);
      for (const def of order) {
        const cg = new CpuGroup(`lbhttp-${lab.id}-${def.name}`);
        const child = lab.spawnServer(def.argv(root, work, lab.serverIp));
        try {
          await listening(lab);
          // Everything in the server namespace is this server (nginx's worker is forked by its master).
          for (const pid of (await sh(["ip", "netns", "pids", lab.serverNs])).stdout.split("\n").filter((l) => l.trim() !== "")) cg.add(Number(pid));
          if (!checked.has(def.name)) {
            const got = await lab.client(["sh", "-c", `curl -s -f ${url} | sha256sum`], 300_000);
            if (!got.stdout.startsWith(want)) throw new Error(`${def.name}: the file arrived changed`);
            checked.add(def.name);
          }
          for (const [scenario, n] of [["100 MB, 1 client", 1], [`100 MB, ${PARALLEL} clients`, PARALLEL]] as const) {
            const load1 = round1(loadavg()[0]!);
            const cpu0 = cg.cpuMs();
            const r = await fetchAll(lab, url, n);
            const cpuMs = cg.cpuMs() - cpu0;
            if (r.bytes !== FILE_BYTES * n) throw new Error(`${def.name}: ${r.bytes} bytes instead of ${FILE_BYTES * n}`);
            const s: Sample = { round, server: def.name, scenario, load1, mbPerS: round1(r.bytes / MB / r.seconds), cpuMsPerMb: Math.round((cpuMs / (r.bytes / MB)) * 100) / 100 };
            samples.push(s);
            process.stderr.write(`${JSON.stringify(s)}\n`);
          }
        } finally {
          child.kill("SIGTERM");
          await new Promise((r) => setTimeout(r, 300));
          if (child.exitCode === null) child.kill("SIGKILL");
          await new Promise((r) => setTimeout(r, 100));
          cg.remove();
        }
      }
    }
  } finally {
    await lab.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
  const summary = [...new Set(samples.map((s) => `${s.scenario}\0${s.server}`))].map((k) => {
    const [scenario, server] = k.split("\0") as [string, string];
    const xs = samples.filter((s) => s.scenario === scenario && s.server === server);
    return { scenario, server, rounds: xs.length, mbPerS: round1(median(xs.map((s) => s.mbPerS))), cpuMsPerMb: Math.round(median(xs.map((s) => s.cpuMsPerMb)) * 100) / 100, load1: round1(median(xs.map((s) => s.load1))) };
  });
  const out = ["| scenario | server | rounds | MB/s (median) | CPU ms per MB (median) | load1 (median) | MB/s per round |", "|---|---|---|---|---|---|---|"];
  for (const s of summary) {
    const per = samples.filter((x) => x.scenario === s.scenario && x.server === s.server).map((x) => x.mbPerS).join(", ");
    out.push(`| ${s.scenario} | ${s.server} | ${s.rounds} | ${s.mbPerS} | ${s.cpuMsPerMb} | ${s.load1} | ${per} |`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
  writeFileSync(jsonOut, `${JSON.stringify({ when: new Date().toISOString(), node: process.version, fileBytes: FILE_BYTES, summary, samples }, null, 2)}\n`);
  process.stdout.write(`wrote ${jsonOut}\n`);
}

await main();
