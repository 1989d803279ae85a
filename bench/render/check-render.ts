/**
 * Benchmark: `check` + `render` of a large inventory, the whole pipeline as
 * `laggboot check` and `laggboot render` run it: parse YAML with positions,
 * validate and resolve (loadInventoryText), then every site target in
 * SITE_TARGETS. The inventory text is generated first and not timed.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/render/check-render.js [--clients N] [--runs R] [--json]
 *
 * Goal (issue 2): under 2 s for 10,000 clients. The machine is shared, so
 * both wall time and this process's CPU time are reported, with the load
 * average at the start: compare CPU time when the load is high.
 */
import { loadavg } from "node:os";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadInventoryText } from "../../src/config/load.js";
import { readYaml } from "../../src/config/locate.js";
import { SITE_TARGETS } from "../../src/render/site-targets.js";
import { bigInventoryYaml } from "../../test/support/big-inventory.js";
import { fakeProbe } from "../../test/support/probe.js";

const GOAL_MS = 2000;

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly stagesMs: Record<string, number>;
  readonly outputBytes: number;
  /** The YAML parse alone (events + data, as the loader does it), timed apart and not part of wallMs. */
  readonly yamlParseMs: number;
}

function timeOnce(text: string): Run {
  const stagesMs: Record<string, number> = {};
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const loaded = loadInventoryText(text, "bench.yaml", fakeProbe());
  const t1 = performance.now();
  stagesMs["check (load + validate)"] = t1 - t0;
  if (!loaded.inventory) throw new Error(`the benchmark inventory has errors: ${JSON.stringify(loaded.findings.slice(0, 3))}`);
  let outputBytes = 0;
  let prev = t1;
  for (const [name, target] of Object.entries(SITE_TARGETS)) {
    outputBytes += target.render(loaded.inventory).length;
    const now = performance.now();
    stagesMs[`render ${name}`] = now - prev;
    prev = now;
  }
  const cpu = process.cpuUsage(cpu0);
  const y0 = performance.now();
  readYaml(text);
  const yamlParseMs = performance.now() - y0;
  return { wallMs: prev - t0, cpuMs: (cpu.user + cpu.system) / 1000, stagesMs, outputBytes, yamlParseMs };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/**
 * What a user runs: `laggboot check FILE` and `laggboot render T` for every
 * site target, each a fresh process (Node start-up included), on the same
 * inventory written to a temporary file.
 */
function timeCli(text: string): { checkMs: number; renderMs: number } {
  const dir = mkdtempSync(join(tmpdir(), "lb-bench-"));
  try {
    const file = join(dir, "laggboot.yaml");
    writeFileSync(file, text);
    const cli = join(process.cwd(), "dist/src/cli/main.js");
    const t0 = performance.now();
    execFileSync(process.execPath, [cli, "check", file], { stdio: "ignore" });
    const t1 = performance.now();
    for (const target of Object.keys(SITE_TARGETS)) execFileSync(process.execPath, [cli, "--config", file, "render", target], { stdio: "ignore", maxBuffer: 1 << 30 });
    return { checkMs: t1 - t0, renderMs: performance.now() - t1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: { clients: { type: "string", default: "10000" }, runs: { type: "string", default: "5" }, json: { type: "boolean", default: false } },
  });
  const clients = Number(values.clients);
  const runs = Math.max(1, Number(values.runs));
  const load = loadavg()[0]!;
  const text = bigInventoryYaml(clients);
  const results: Run[] = [];
  for (let i = 0; i < runs; i++) results.push(timeOnce(text));
  const cliRuns = Array.from({ length: runs }, () => timeCli(text));
  // The first run includes JIT warm-up, as a one-shot `laggboot check` does; report it apart.
  const first = results[0]!;
  const wall = median(results.map((r) => r.wallMs));
  const cpu = median(results.map((r) => r.cpuMs));
  const summary = {
    clients, runs, inventoryBytes: text.length, outputBytes: first.outputBytes, loadAverage1m: load,
    firstRunWallMs: Math.round(first.wallMs), medianWallMs: Math.round(wall), medianCpuMs: Math.round(cpu),
    goalMs: GOAL_MS, withinGoal: first.wallMs < GOAL_MS,
    yamlParseMedianMs: Math.round(median(results.map((r) => r.yamlParseMs))),
    cliCheckMedianMs: Math.round(median(cliRuns.map((r) => r.checkMs))),
    cliRenderAllMedianMs: Math.round(median(cliRuns.map((r) => r.renderMs))),
    stagesMedianMs: Object.fromEntries(Object.keys(first.stagesMs).map((k) => [k, Math.round(median(results.map((r) => r.stagesMs[k]!)))])),
    node: process.version,
  };
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  console.log(`check + render, ${clients} clients (${(text.length / 1e6).toFixed(1)} MB YAML -> ${(first.outputBytes / 1e6).toFixed(1)} MB of files), ${runs} runs, load ${load.toFixed(1)}, Node ${process.version}`);
  for (const [k, v] of Object.entries(summary.stagesMedianMs)) console.log(`  ${k.padEnd(28)} ${String(v).padStart(6)} ms (median)`);
  console.log(`  (of check: YAML parse alone  ${String(summary.yamlParseMedianMs).padStart(6)} ms, timed apart)`);
  console.log(`  first run (cold)             ${String(summary.firstRunWallMs).padStart(6)} ms wall`);
  console.log(`  median                       ${String(summary.medianWallMs).padStart(6)} ms wall, ${summary.medianCpuMs} ms CPU`);
  console.log(`  goal < ${GOAL_MS} ms (first run): ${summary.withinGoal ? "met" : "NOT met"}`);
  console.log(`  CLI, each a new process: laggboot check ${summary.cliCheckMedianMs} ms; render of all ${Object.keys(SITE_TARGETS).length} site targets ${summary.cliRenderAllMedianMs} ms (medians)`);
}

main();
