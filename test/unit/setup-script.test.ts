/**
 * First contact on a fresh machine: the README's first command and .ci/run
 * share one set-up script with the only package list, and every program the
 * tests run is in it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TOOL_PACKAGES, findTool } from "../support/tools.js";

const readme = readFileSync("README.md", "utf8");
const ciRun = readFileSync(".ci/run", "utf8");
const setup = readFileSync("scripts/setup.sh", "utf8");

function setupPackages(): Set<string> {
  const m = /^PACKAGES=\(\n([\s\S]*?)\n\)/m.exec(setup);
  assert.ok(m, "scripts/setup.sh has no PACKAGES=( ... ) list");
  return new Set(m[1]!.split(/\s+/).filter((w) => w !== ""));
}

/** The README's first fenced shell block: its two commands, comments dropped. */
function readmeCommands(): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "README.md has no sh block");
  return block[1]!.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

test("README command 1 alone sets up for npm test: it runs scripts/setup.sh, the script .ci/run runs", () => {
  const [first, second] = readmeCommands();
  assert.match(first ?? "", /^bash scripts\/setup\.sh( |$)/);
  assert.equal(second, "npm test");
  assert.match(ciRun, /^bash scripts\/setup\.sh$/m);
  // .ci/run ends with exactly the README's test command.
  const ciCommands = ciRun.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(ciCommands.at(-1), second);
});

test("only scripts/setup.sh carries an apt-get install list", () => {
  assert.doesNotMatch(readme, /apt-get install -y/);
  assert.doesNotMatch(ciRun, /apt-get install/);
  assert.match(setup, /apt-get install -y -q "\$\{PACKAGES\[@\]\}"/);
});

test("laggboot is on the PATH after the README's commands: setup.sh installs the checkout globally", () => {
  assert.match(setup, /^npm install -g .* \.$/m);
  const first = readmeCommands()[0] ?? "";
  assert.match(first, /&& laggboot lab$/);
});

test("every package the tests name is in setup.sh's one package list", () => {
  const pkgs = setupPackages();
  const missing = [...new Set(Object.values(TOOL_PACKAGES))].filter((p) => !pkgs.has(p));
  assert.deepEqual(missing, [], `add to PACKAGES in scripts/setup.sh: ${missing.join(" ")}`);
});

test("every program the tests run is installed (a missing one fails naming its package)", () => {
  const missing = Object.entries(TOOL_PACKAGES).filter(([bin]) => findTool(bin) === undefined);
  assert.deepEqual(
    missing.map(([bin, pkg]) => `${bin} (apt-get install ${pkg})`),
    [],
    "run scripts/setup.sh",
  );
});
