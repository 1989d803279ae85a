// One model run: build a fake root for a world, run the rc.d script with the
// given arguments, then judge the exec log and read back the final state.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildRoot, FLIP_SCRIPT, readModelFile, reach, runInRoot, type BuildOptions, type FakeRoot, type RunResult } from "./fakeroot.js";
import { judge, type Verdict } from "./oracle.js";
import { parseState, type StateView } from "./world.js";
import type { ModelWorld } from "./world.js";

export interface ModelRun {
  readonly root: FakeRoot;
  readonly runs: readonly RunResult[];
  readonly verdict: Verdict;
  readonly stateText: string;
  readonly state: StateView;
  readonly events: readonly string[];
  readonly initialState: string;
}

/**
 * Run `/etc/rc.d/lagg ARG` once per entry of `args` (as `service lagg ARG`
 * would), judge everything, and hand the root to `inspect` before removing it.
 */
export async function withModel<T>(
  world: ModelWorld,
  args: readonly string[],
  inspect: (run: ModelRun) => Promise<T> | T,
  opts: BuildOptions = {},
): Promise<T> {
  const root = buildRoot(world, opts);
  try {
    const initialState = readModelFile(root, "state");
    const runs: RunResult[] = [];
    for (const a of args) runs.push(await runInRoot(root, ["/etc/rc.d/lagg", a]));
    const finalReach = await reach(root);
    const verdict = judge(readModelFile(root, "log"), finalReach);
    const stateText = readModelFile(root, "state");
    const events = readModelFile(root, "events").split("\n").filter((l) => l !== "");
    return await inspect({ root, runs, verdict, stateText, state: parseState(stateText), events, initialState });
  } finally {
    root.cleanup();
  }
}

/** Describe a run for assertion messages. */
export function explain(run: ModelRun): string {
  const outs = run.runs.map((r, i) => `--- run ${i}: exit ${String(r.code)}\n${r.stdout}${r.stderr}`).join("\n");
  return `${outs}\n--- violations:\n${run.verdict.violations.join("\n")}\n--- events:\n${run.events.join("\n")}`;
}

/**
 * Run a mutant of the flip script: each [from, to] replaces text that must
 * occur in the real script (so a mutant cannot silently stop applying).
 */
export async function withMutant<T>(
  world: ModelWorld,
  edits: readonly (readonly [string, string])[],
  args: readonly string[],
  inspect: (run: ModelRun) => Promise<T> | T,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "lagg-mutant-"));
  try {
    let text = readFileSync(FLIP_SCRIPT, "utf8");
    for (const [from, to] of edits) {
      if (!text.includes(from)) throw new Error(`mutant: ${JSON.stringify(from)} is not in the flip script`);
      text = text.replace(from, to);
    }
    const mutant = join(dir, "lagg");
    writeFileSync(mutant, text);
    return await withModel(world, args, inspect, { script: mutant });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
