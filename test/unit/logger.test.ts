/** The logger drops lines under its level, and says so beforehand so callers can skip building fields. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/app/logger.js";

test("logger: enabled() agrees with what log() writes at each level", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", write: (l) => void lines.push(l), now: () => new Date(0) });
  for (const level of ["debug", "info", "warn", "error"] as const) {
    const before = lines.length;
    log.log(level, "m", { k: 1 });
    assert.equal(lines.length > before, log.enabled?.(level), `level ${level}`);
  }
  assert.deepEqual([log.enabled?.("debug"), log.enabled?.("info")], [false, true]);
  assert.deepEqual(JSON.parse(lines[0]!), { time: "1970-01-01T00:00:00.000Z", level: "info", msg: "m", k: 1 });
});
