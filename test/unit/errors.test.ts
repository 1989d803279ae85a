import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "../../src/errors.js";

const codesInDoc = (): string[] => {
  const doc = readFileSync("docs/errors.md", "utf8");
  // Only the first column of the table rows names codes.
  return [...doc.matchAll(/^\|\s*`(LB_(?:ERR|WARN)_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("docs/errors.md lists exactly the codes in src/errors.ts", () => {
  const doc = codesInDoc();
  assert.equal(new Set(doc).size, doc.length, "a code is listed twice in docs/errors.md");
  assert.deepEqual([...doc].sort(), Object.keys(ERROR_CODES).sort());
});

test("every LB_ code used in src/ is defined", () => {
  const defined = new Set(Object.keys(ERROR_CODES));
  for (const f of sourceFiles("src")) {
    for (const m of readFileSync(f, "utf8").matchAll(/\b(LB_(?:ERR|WARN)_[A-Z0-9_]+)\b/g)) {
      assert.ok(defined.has(m[1]!), `${f} uses undefined code ${m[1]}`);
    }
  }
});
