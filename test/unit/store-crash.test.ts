import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteStore } from "../../src/store/index.js";

const child = fileURLToPath(new URL("./store-crash-child.js", import.meta.url));

/**
 * kill -9 under load loses no lease the store reported durable. (SIGKILL
 * leaves the kernel's page cache intact; power-loss safety rests on
 * synchronous=FULL, which fsyncs the WAL at each commit.)
 */
async function crashRun(extraArgs: string[], killAtAcks: number | undefined): Promise<{ acked: string[]; lost: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "lb-crash-"));
  const path = join(dir, "leases.db");
  try {
    const proc = spawn(process.execPath, [child, path, "200000", "20000", ...extraArgs], { stdio: ["ignore", "pipe", "inherit"] });
    const acked: string[] = [];
    let partial = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      proc.on("exit", (_code, signal) => resolve(signal));
    });
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      acked.push(...lines);
      if (killAtAcks !== undefined && acked.length >= killAtAcks && proc.exitCode === null && !proc.killed) proc.kill("SIGKILL");
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const signal = await exited;
    clearTimeout(timer);
    assert.equal(signal, "SIGKILL", "the child must die by SIGKILL while committing");
    const store = openSqliteStore({ path });
    const have = new Set(store.listLeases().map((l) => l.ip));
    await store.close();
    return { acked, lost: acked.filter((ip) => !have.has(ip)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("sqlite: SIGKILL from outside under load keeps every lease whose commit resolved", async () => {
  const { acked, lost } = await crashRun([], 3000);
  assert.ok(acked.length >= 3000, `only ${acked.length} acked before the kill`);
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acked leases lost`);
});

test("sqlite: SIGKILL the instant after an ack, with commits in flight, loses none", async () => {
  const { acked, lost } = await crashRun(["2000"], undefined);
  assert.equal(acked.length, 2000);
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acked leases lost`);
});
