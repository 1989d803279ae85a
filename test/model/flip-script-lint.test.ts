// Static checks of assets/freebsd/rc.d/lagg: POSIX sh as shellcheck, dash
// and posh read it (the window program inside it too), the rcorder header
// and knobs exactly as rc.conf users expect, and a window that names no path
// outside the memory file system.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLIP_SCRIPT, NAIVE_SCRIPT } from "./fakeroot.js";

const script = readFileSync(FLIP_SCRIPT, "utf8");

/** A program the script writes to the memory file system: the body of its quoted here-document. */
function mdProgram(tag: "WINDOW" | "PRERUN"): string {
  const m = new RegExp(`\\n\\t/bin/cat <<'${tag}'\\n([\\s\\S]*?)\\n${tag}\\n`).exec(script);
  assert.ok(m, `${tag} here-document not found`);
  return m[1]! + "\n";
}

function check(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.error, undefined, `${cmd} could not run: ${String(r.error)}`);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}\n${r.stdout}${r.stderr}`);
}

test("the script, its window and its pre-run pass shellcheck -s sh, dash -n and posh -n", () => {
  const dir = mkdtempSync(join(tmpdir(), "lagg-lint-"));
  try {
    const win = join(dir, "window");
    writeFileSync(win, mdProgram("WINDOW"));
    const prerun = join(dir, "prerun");
    writeFileSync(prerun, mdProgram("PRERUN"));
    for (const f of [FLIP_SCRIPT, win, prerun]) {
      check("shellcheck", ["-s", "sh", f]);
      check("dash", ["-n", f]);
      check("posh", ["-n", f]);
    }
    check("shellcheck", ["-s", "sh", "-e", "SC1091", NAIVE_SCRIPT]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shellcheck catches a broken copy (the check is live)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lagg-lint-"));
  try {
    const f = join(dir, "lagg");
    writeFileSync(f, script.replace('_rc=$?', '_rc=$? ; [ $_undefined_thing == x ]'));
    const r = spawnSync("shellcheck", ["-s", "sh", f], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rcorder header and rc.conf knobs", () => {
  const header = script.split("\n").slice(0, 7).join("\n");
  assert.equal(header, "#!/bin/sh\n#\n# PROVIDE: lagg\n# REQUIRE: netif\n# BEFORE: routing devd NETWORKING\n# KEYWORD: nojail\n#");
  for (const knob of [': "${lagg_enable:=NO}"', ': "${lagg_interface:=lagg0}"', ': "${lagg_bootif:=}"', ': "${lagg_wired_primary:=YES}"']) {
    assert.ok(script.includes(knob), knob);
  }
  assert.match(script, /^rcvar="lagg_enable"$/m);
  assert.match(script, /^load_rc_config \$name$/m);
  assert.match(script, /^run_rc_command "\$1"$/m);
  const mode = execFileSync("stat", ["-c", "%a", FLIP_SCRIPT], { encoding: "utf8" }).trim();
  assert.ok(["555", "755"].includes(mode), `mode ${mode}`);
});

for (const tag of ["WINDOW", "PRERUN"] as const) test(`the ${tag.toLowerCase()} program names no absolute path and runs only ./ tools or builtins`, () => {
  const builtins = new Set(["echo", "exit", "shift", "case", "esac", "for", "do", "done", "if", "then", "fi", "while",
    "return", ";;", "trap", "n=0", "PATH=.", "ports=$*", "joined=1", "unaddressed=1", "lagged=1", "[", "{", "}", "step()", "wait_link()", "rollback()", "*)", "removed=\"$removed"]);
  for (const raw of mdProgram(tag).split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    assert.doesNotMatch(line, /(^|[\s"'=(])\/[a-z]/, `absolute path in the window: ${line}`);
    // A case arm ("*pattern*) cmd ;;") runs the command after the pattern.
    const first = (/^\*.*?\)\s/.test(line) ? line.replace(/^\*.*?\)\s+/, "") : line).split(/\s+/)[0]!;
    for (const sub of line.matchAll(/\$\((?!\()([^)\s]*)/g)) {
      assert.ok(sub[1]!.startsWith("./") || sub[1] === "", `command substitution not from ./: ${line}`);
    }
    const ok = first.startsWith("./") || builtins.has(first) || /^[a-z_]+=/.test(first) || /^\*/.test(first) ||
      ["step", "rollback", "wait_link"].includes(first) ||
      // step() runs its arguments; every call of step is itself checked here.
      (first === '"$@"' && line === '"$@"');
    assert.ok(ok, `window command that is neither ./ nor a builtin: ${line}`);
  }
});
