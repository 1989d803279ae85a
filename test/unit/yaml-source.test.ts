/** readYaml: YAML 1.2 core semantics, positions, and refusals of hostile input. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readYaml } from "../../src/config/locate.js";

function data(text: string): unknown {
  const r = readYaml(text);
  assert.ok(r.ok, JSON.stringify(r));
  return r.data;
}

test("YAML 1.2 core: MACs, yes/no and dates stay strings; numbers are numbers", () => {
  assert.deepEqual(data("mac: 00:11:22:33:44:55\nyes: yes\non: off\nd: 2026-11-26\nn: 14\nh: 0x10\n"), {
    mac: "00:11:22:33:44:55", yes: "yes", on: "off", d: "2026-11-26", n: 14, h: 16,
  });
});

test("positions: values at the value (quotes included), keys at the key, nested and in flow style", () => {
  const r = readYaml('a:\n  b: [1, "two", {c: 3}]\n  "q k": x\n');
  assert.ok(r.ok);
  assert.deepEqual(r.locator.locate(["a", "b", 1]), { line: 2, col: 10 });
  assert.deepEqual(r.locator.locate(["a", "b", 2, "c"]), { line: 2, col: 21 });
  assert.deepEqual(r.locator.locate(["a", "q k"], { key: true }), { line: 3, col: 3 });
  assert.deepEqual(r.locator.locate(["a", "q k"]), { line: 3, col: 10 });
  // a missing key: the nearest mapping that exists
  assert.deepEqual(r.locator.locate(["a", "nope", "deeper"]), { line: 2, col: 3 });
  assert.equal(r.locator.has(["a", "b", 0]), true);
  assert.equal(r.locator.has(["a", "b", 3]), false);
});

test("refused with a position: syntax errors, duplicate keys, several documents", () => {
  const bad = readYaml("a: [1, 2\nb: 3\n");
  assert.equal(bad.ok, false);
  const dup = readYaml("a: 1\nb: 2\na: 3\n");
  assert.ok(!dup.ok);
  assert.equal(dup.line, 3);
  assert.match(dup.message, /duplicate/);
  const two = readYaml("a: 1\n---\nb: 2\n");
  assert.ok(!two.ok);
  assert.equal(two.line, 2);
});

test("an alias bomb and absurd nesting are refused, quickly", () => {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 30; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
  const t0 = performance.now();
  const bomb = readYaml(lines.join("\n") + "\n");
  assert.equal(bomb.ok, false);
  assert.match((bomb as { message: string }).message, /alias/i);
  assert.equal(readYaml("a: " + "[".repeat(200) + "]".repeat(200) + "\n").ok, false);
  assert.ok(performance.now() - t0 < 5000);
});
