/**
 * Runs `laggboot serve` (the real CLI) inside a test namespace and collects
 * its JSON log lines, so tests can wait for a line and assert on decisions.
 */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Namespace } from "./netns.js";

export const CLI = join(process.cwd(), "dist/src/cli/main.js");

export interface ServeProc {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly stderrText: () => string;
  /** Resolves with the first log line matching, or rejects after timeoutMs. */
  waitLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export function startServe(ns: Namespace, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): ServeProc {
  const child = ns.spawn([process.execPath, CLI, "serve", "--log-format", "json", "--log-level", "debug", ...args], { stdio: ["ignore", "pipe", "pipe"], env: options.env });
  const logs: Record<string, unknown>[] = [];
  let raw = "";
  let partial = "";
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    raw += chunk;
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        obj = { msg: "(not json)", line };
      }
      logs.push(obj);
      for (const w of [...waiters]) if (w.pred(obj)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(obj);
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child, logs, stderrText: () => raw, exited,
    waitLog(pred, timeoutMs = 15_000) {
      const hit = logs.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; log so far:\n${raw}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
        void exited.then((code) => { clearTimeout(t); reject(new Error(`serve exited (${code}) before the log line; log:\n${raw}`)); });
      });
    },
  };
}
