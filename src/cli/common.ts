/** What every command shares: exit codes, loading the inventory, printing findings. */
import { readFileSync } from "node:fs";
import { LaggbootError } from "../errors.js";
import { formatFinding, type Finding } from "../config/findings.js";
import { loadInventoryText, type LoadResult, type SiteProbe } from "../config/load.js";
import { fsProbe } from "../config/probe.js";
import type { Inventory } from "../config/types.js";

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** The inventory file: --config, else $LAGGBOOT_CONFIG, else ./laggboot.yaml. */
export function configPath(explicit: string | undefined): string {
  return explicit ?? process.env["LAGGBOOT_CONFIG"] ?? "laggboot.yaml";
}

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file (create one with \"laggboot init\")" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new LaggbootError("LB_ERR_IO", `cannot read ${path}: ${why}`, { cause: e });
  }
}

export function loadFile(path: string, probe: SiteProbe = fsProbe): LoadResult {
  return loadInventoryText(readText(path), path, probe);
}

export function printFindings(findings: readonly Finding[], stream: NodeJS.WritableStream = process.stderr): void {
  for (const f of findings) stream.write(formatFinding(f) + "\n");
}

/**
 * Loads the inventory for a command that needs a valid one: on errors prints
 * them as `check` does and throws ProblemsFound (exit 1). Warnings are printed
 * unless quiet.
 */
export function loadValid(path: string, opts: { quietWarnings?: boolean; probe?: SiteProbe } = {}): Inventory {
  const r = loadFile(path, opts.probe);
  if (!r.inventory) {
    printFindings(r.findings);
    throw new ProblemsFound(`${path}: ${r.findings.filter((f) => f.severity === "error").length} error(s); see "laggboot check ${path}"`);
  }
  if (!opts.quietWarnings) printFindings(r.findings);
  return r.inventory;
}

/** Exit 1: the command ran and found problems (already printed). */
export class ProblemsFound extends Error {}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/**
 * A reader that stops early (`laggboot render dnsmasq | head -1`) closes the
 * pipe, and every later write fails with EPIPE. The command then stops
 * printing, finishes its work and exits with its own result (0 for a render),
 * never with a stack trace: a reader that has seen enough is not an error.
 * Any other failure of the output is an I/O error (exit 2).
 */
export function quietOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") return;
      process.exitCode = EXIT.usage;
      if (stream !== process.stderr) process.stderr.write(`laggboot: error [LB_ERR_IO]: cannot write the output: ${e.message}\n`);
    });
  }
}

/** Wraps a command action so that its return value becomes the exit code. */
export function act<A extends unknown[]>(fn: (...args: A) => number | Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    process.exitCode = await fn(...args);
  };
}
