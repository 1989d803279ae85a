/**
 * TFTP benchmark: laggboot against tftpd-hpa, atftpd and dnsmasq in one run,
 * in network namespaces (198.18.79.0/24), each server measured alone:
 *   - 100 MB at blksize 1468, lockstep (atftp client)
 *   - the same with windowsize 8 and 16 (servers that support RFC 7440)
 *   - 200 concurrent clients (curl, blksize 1468) each fetching 1 MB
 * Reported: MB/s (MB = 10^6 bytes), failed transfers (sha256 mismatch or
 * missing), server CPU time per MB (cgroup v1 cpuacct: the server and every
 * process it forks) and peak RSS (summed VmRSS of those processes, sampled
 * every 20 ms). Single transfers run LBTF_REPEAT (3) times, in rounds with
 * the servers' order rotating; the median is shown.
 *
 * Run by hand as root: npx tsc -p tsconfig.json && node dist/bench/tftp/run.js
 * LBTF_BASELINE=DIR adds the laggboot built in DIR (e.g. `git archive` of an
 * older commit, compiled) as "laggboot-baseline", for before/after in one run.
 * atftpd conflicts with tftpd-hpa in apt: the script unpacks it with
 * `apt-get download atftpd && dpkg -x` into a temp dir (or set ATFTPD=path).
 * Not part of npm test.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, readdirSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { join, resolve } from "node:path";
import { TftpLab, sh } from "../../test/support/netns-tftp.js";

const MB = 1_000_000;
const BIG_BYTES = 100 * MB;
const SMALL_BYTES = 1 * MB;
const CONCURRENT = Number(process.env.LBTF_CLIENTS ?? 200);
/** LBTF_PIN=1 puts the server on CPU 1 and the clients on CPU 0. */
const PIN = process.env.LBTF_PIN === "1";
const serverPin = PIN ? ["taskset", "-c", "1"] : [];
// Clients run at nice 19 for every server: on a real site they are other
// machines, and here they would otherwise compete with the server for the same
// 2 cores (the scheduler shares per process, which favours forking servers).
const clientPin = [...(PIN ? ["taskset", "-c", "0"] : []), "nice", "-n", "19"];
const REPEAT = Number(process.env.LBTF_REPEAT ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

interface Row {
  server: string;
  scenario: string;
  mbPerS: number | undefined;
  failures: number;
  cpuMsPerMb: number | undefined;
  peakMiB: number | undefined;
  note: string;
}

/** cgroup v1 cpuacct for the server and every process it forks. */
class Cgroup {
  private readonly dir: string;
  constructor(name: string) {
    this.dir = `/sys/fs/cgroup/cpuacct/${name}`;
    mkdirSync(this.dir, { recursive: true });
  }
  add(pid: number): void {
    writeFileSync(`${this.dir}/cgroup.procs`, String(pid));
  }
  reset(): void {
    writeFileSync(`${this.dir}/cpuacct.usage`, "0");
  }
  cpuMs(): number {
    return Number(readFileSync(`${this.dir}/cpuacct.usage`, "utf8")) / 1e6;
  }
  pids(): number[] {
    return readFileSync(`${this.dir}/cgroup.procs`, "utf8").split("\n").filter((l) => l !== "").map(Number);
  }
  remove(): void {
    try {
      execFileSync("rmdir", [this.dir]);
    } catch {
      // still has tasks; left for the operator
    }
  }
}

/** Samples the summed VmRSS of the cgroup's processes every 20 ms; `stop()` gives the peak in bytes. */
function rssSampler(cg: Cgroup): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    let sum = 0;
    for (const pid of cg.pids()) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (m) sum += Number(m[1]) * 1024;
      } catch {
        // exited between listing and reading
      }
    }
    peak = Math.max(peak, sum);
  };
  sample();
  const t = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(t);
      sample();
      return peak;
    },
  };
}

interface ServerDef {
  name: string;
  windowed: boolean;
  argv: (root: string, ip: string) => string[];
}

function atftpdPath(work: string): string {
  if (process.env.ATFTPD) return process.env.ATFTPD;
  const dir = join(work, "atftpd");
  mkdirSync(dir, { recursive: true });
  execFileSync("apt-get", ["download", "atftpd"], { cwd: dir, stdio: "ignore" });
  const deb = readdirSync(dir).find((f) => f.endsWith(".deb"))!;
  execFileSync("dpkg", ["-x", join(dir, deb), join(dir, "x")]);
  return join(dir, "x/usr/sbin/atftpd");
}

async function waitListening(lab: TftpLab, ip: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await sh(["ip", "netns", "exec", lab.serverNs, "ss", "-uln"]).catch(() => ({ stdout: "" }));
    if (r.stdout.includes(`${ip}:69`) || r.stdout.includes("0.0.0.0:69") || r.stdout.includes("*:69")) return;
    await new Promise((r2) => setTimeout(r2, 50));
  }
  throw new Error("server did not start listening on port 69");
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "lbtf-bench-"));
  chmodSync(work, 0o755);
  const root = join(work, "root");
  const out = join(work, "out");
  mkdirSync(root);
  mkdirSync(out);
  const big = randomBytes(BIG_BYTES);
  const small = randomBytes(SMALL_BYTES);
  writeFileSync(join(root, "big.bin"), big);
  writeFileSync(join(root, "small.bin"), small);
  const bigSha = sha(big);
  const smallSha = sha(small);
  execFileSync("cat", [join(root, "big.bin"), join(root, "small.bin")], { stdio: "ignore", maxBuffer: 1 << 30 });
  const atftpd = atftpdPath(work);
  const child = resolve("dist/test/support/tftp-serve-child.js");
  const servers: ServerDef[] = [
    {
      name: "laggboot",
      windowed: true,
      argv: (r, ip) => [
        process.execPath,
        child,
        JSON.stringify({ root: r, address: ip, port: 69, maxTransfers: 1024, maxTransfersPerClient: 1024, maxWindowSize: 64, dataPath: process.env.LBTF_DATAPATH ?? "native" }),
      ],
    },
    // LBTF_EXTRA=node,sendmmsg,gso,nospin adds laggboot on its pure-Node data path, on the native
    // path without UDP GSO, with GSO explicitly (the default), and without the spin before sleeping.
    ...(process.env.LBTF_EXTRA?.split(",") ?? []).map((v) => ({
      name: `laggboot-${v}`,
      windowed: true,
      argv: (r: string, ip: string) => [
        ...(v === "nospin" ? ["env", "LAGGBOOT_TFTP_SPIN_US=0"] : []),
        process.execPath,
        child,
        JSON.stringify({
          root: r,
          address: ip,
          port: 69,
          maxTransfers: 1024,
          maxTransfersPerClient: 1024,
          maxWindowSize: 64,
          ...(v === "node" ? { dataPath: "node" } : { dataPath: "native", gso: v !== "sendmmsg" }),
        }),
      ],
    })),
    // LBTF_BASELINE=DIR (another checkout, built) adds that build of laggboot to the same run, for before/after figures.
    ...(process.env.LBTF_BASELINE
      ? [
          {
            name: "laggboot-baseline",
            windowed: true,
            argv: (r: string, ip: string) => [
              process.execPath,
              resolve(process.env.LBTF_BASELINE!, "dist/test/support/tftp-serve-child.js"),
              JSON.stringify({ root: r, address: ip, port: 69, maxTransfers: 1024, maxTransfersPerClient: 1024, maxWindowSize: 64 }),
            ],
          },
        ]
      : []),
    { name: "tftpd-hpa", windowed: false, argv: (r, ip) => ["in.tftpd", "-L", "-s", "-u", "root", "-a", `${ip}:69`, r] },
    {
      name: "atftpd",
      windowed: true,
      argv: (r, ip) => [atftpd, "--daemon", "--no-fork", "--bind-address", ip, "--port", "69", "--user", "root", "--group", "root", "--maxthread", "400", "--logfile", "/dev/null", r],
    },
    {
      name: "dnsmasq",
      windowed: false,
      argv: (r, ip) => ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--enable-tftp", `--tftp-root=${r}`, `--listen-address=${ip}`, "--bind-interfaces", "--tftp-max=400", "--user=root", `--pid-file=${join(work, "dnsmasq.pid")}`],
    },
  ];
  const only = process.env.LBTF_SERVERS?.split(",");
  const chosen = servers.filter((x) => !only || only.includes(x.name));
  const scenarios: [string, string[]][] = [["100 MB, blksize 1468, lockstep", ["--option", "blksize 1468"]]];
  for (const w of [8, 16]) scenarios.push([`100 MB, blksize 1468, windowsize ${w}`, ["--option", "blksize 1468", "--option", `windowsize ${w}`]]);
  const concScenario = `${CONCURRENT} clients x 1 MB, blksize 1468`;
  /** Per server and scenario: the single runs, in the order they ran. */
  interface Cell {
    speeds: number[];
    cpus: number[];
    failures: number;
    peak: number;
    note: string;
  }
  const cells = new Map<string, Cell>();
  const cell = (server: string, scenario: string): Cell => {
    const k = `${server}\n${scenario}`;
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { speeds: [], cpus: [], failures: 0, peak: 0, note: "" }));
    return c;
  };
  const lab = new TftpLab("198.18.79");

  /** Starts one server alone (in its cpuacct cgroup), runs `body`, stops it and everything it forked. */
  async function withServer(s: ServerDef, body: (cg: Cgroup, resent: () => number) => Promise<void>): Promise<void> {
    const cg = new Cgroup(`lbtfbench-${lab.id}-${s.name}`);
    let proc: ChildProcess | undefined;
    try {
      // With 200 client processes on the same 2 cores, the scheduler's
      // per-process fairness favours a forking server (one process per
      // transfer) over a single-process one (laggboot, dnsmasq); LBTF_PIN=1
      // separates them instead.
      proc = lab.spawnServer([...serverPin, ...s.argv(root, lab.serverIp)]);
      let resent = 0;
      if (s.name.startsWith("laggboot") && proc.stdout) {
        createInterface({ input: proc.stdout }).on("line", (l) => {
          const m = JSON.parse(l) as { event?: { blocksResent: number } };
          if (m.event) resent += m.event.blocksResent;
        });
      } else {
        proc.stdout?.resume();
      }
      proc.stderr?.resume();
      cg.add(proc.pid!);
      await waitListening(lab, lab.serverIp);
      await body(cg, () => resent);
    } finally {
      if (proc && proc.exitCode === null) proc.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      for (const pid of await lab.pids(lab.serverNs)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await new Promise((r) => setTimeout(r, 200));
      cg.remove();
    }
  }

  try {
    await lab.setup();
    const ip = lab.serverIp;
    // Rounds: every server runs each single-transfer scenario once per round,
    // the order of the servers rotating from round to round, so a load spike
    // on this shared machine lands on all of them rather than on whoever ran
    // in that minute. The 200-client scenario runs once per server, last.
    for (let rep = 0; rep < REPEAT; rep++) {
      const order = chosen.map((_, i) => chosen[(i + rep) % chosen.length]!);
      for (const s of order) {
        await withServer(s, async (cg) => {
          for (const [scenario, opts] of scenarios) {
            const c = cell(s.name, scenario);
            if (scenario.includes("windowsize") && !s.windowed) {
              c.note = "no RFC 7440 support";
              continue;
            }
            const dest = join(out, `${s.name}-big`);
            rmSync(dest, { force: true });
            cg.reset();
            const rss = rssSampler(cg);
            const t0 = process.hrtime.bigint();
            let ok = true;
            try {
              await lab.client([...clientPin, "atftp", ...opts, "-g", "-r", "big.bin", "-l", dest, ip], 600_000);
            } catch {
              ok = false;
            }
            const secs = Number(process.hrtime.bigint() - t0) / 1e9;
            c.peak = Math.max(c.peak, rss.stop());
            if (!ok || !existsSync(dest) || sha(readFileSync(dest)) !== bigSha) c.failures++;
            else {
              c.speeds.push(BIG_BYTES / MB / secs);
              c.cpus.push(cg.cpuMs() / (BIG_BYTES / MB));
            }
            rmSync(dest, { force: true });
            console.error(JSON.stringify({ round: rep, server: s.name, scenario, mbPerS: c.speeds.at(-1), cpuMsPerMb: c.cpus.at(-1), load: loadavg()[0] }));
          }
        });
      }
    }
    for (const s of chosen) {
      await withServer(s, async (cg, resent) => {
        // 200 concurrent clients, one shell starting them all at once.
        const cdir = join(out, `${s.name}-conc`);
        rmSync(cdir, { recursive: true, force: true });
        mkdirSync(cdir);
        cg.reset();
        const rss = rssSampler(cg);
        const resentBefore = resent();
        const script = `for i in $(seq 1 ${CONCURRENT}); do curl -s --max-time 120 --tftp-blksize 1468 -o ${cdir}/f$i tftp://${ip}/small.bin & done; wait`;
        const t0 = process.hrtime.bigint();
        await lab.client([...clientPin, "sh", "-c", script], 300_000).catch(() => undefined);
        const secs = Number(process.hrtime.bigint() - t0) / 1e9;
        const c = cell(s.name, concScenario);
        c.peak = rss.stop();
        for (let i = 1; i <= CONCURRENT; i++) {
          const f = join(cdir, `f${i}`);
          if (!existsSync(f) || sha(readFileSync(f)) !== smallSha) c.failures++;
        }
        c.speeds.push(((CONCURRENT - c.failures) * SMALL_BYTES) / MB / secs);
        c.cpus.push(cg.cpuMs() / ((SMALL_BYTES * CONCURRENT) / MB));
        // The server's transfer events come over its stdout a moment after the clients exit.
        await new Promise((r) => setTimeout(r, 300));
        c.note = `${secs.toFixed(1)} s wall${s.name.startsWith("laggboot") ? `, ${resent() - resentBefore} blocks resent` : ""}`;
        console.error(JSON.stringify({ server: s.name, scenario: concScenario, ...c, load: loadavg()[0] }));
        rmSync(cdir, { recursive: true, force: true });
      });
    }
  } finally {
    await lab.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
  const rows: Row[] = [];
  for (const s of chosen) {
    for (const scenario of [...scenarios.map(([n]) => n), concScenario]) {
      const c = cell(s.name, scenario);
      const many = c.speeds.length > 1;
      rows.push({
        server: s.name,
        scenario,
        mbPerS: c.speeds.length ? median(c.speeds) : undefined,
        failures: c.failures,
        cpuMsPerMb: c.cpus.length ? median(c.cpus) : undefined,
        peakMiB: c.speeds.length ? c.peak / 1048576 : undefined,
        note: many ? `median of ${c.speeds.length} (${c.speeds.map((x) => x.toFixed(1)).join(", ")}; CPU ${c.cpus.map((x) => x.toFixed(1)).join(", ")})` : c.note,
      });
    }
  }
  const fmt = (v: number | undefined, d = 1): string => (v === undefined ? "-" : v.toFixed(d));
  console.log("| server | scenario | MB/s | failed | CPU ms/MB | peak MiB | note |");
  console.log("|---|---|---:|---:|---:|---:|---|");
  for (const r of rows) {
    console.log(`| ${r.server} | ${r.scenario} | ${fmt(r.mbPerS)} | ${r.failures} | ${fmt(r.cpuMsPerMb, 2)} | ${fmt(r.peakMiB)} | ${r.note} |`);
  }
}

await main();
