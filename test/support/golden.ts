/**
 * Golden files: compare generated text with a committed copy under
 * test/golden/. Run with LAGGBOOT_UPDATE_GOLDEN=1 to rewrite the copies after
 * an intended change, then review the diff before committing.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export function assertGolden(rel: string, actual: string): void {
  const path = join("test/golden", rel);
  if (process.env["LAGGBOOT_UPDATE_GOLDEN"] === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, "utf8");
  } catch {
    assert.fail(`golden file ${path} is missing; run with LAGGBOOT_UPDATE_GOLDEN=1 to create it`);
  }
  assert.equal(actual, expected, `${path} differs (LAGGBOOT_UPDATE_GOLDEN=1 rewrites it)`);
}
