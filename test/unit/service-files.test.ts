/**
 * The daemon's service files: the FreeBSD rc.d script passes shellcheck,
 * dash and posh; the systemd unit passes systemd-analyze verify; both call
 * laggboot with options the CLI really has.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RC = "contrib/freebsd/rc.d/laggboot";
const UNIT = "contrib/systemd/laggboot.service";
const CLI = "dist/src/cli/main.js";

test("the FreeBSD rc.d script is clean for shellcheck -s sh, dash -n and posh -n", () => {
  execFileSync("shellcheck", ["-s", "sh", RC]);
  execFileSync("dash", ["-n", RC]);
  execFileSync("posh", ["-n", RC]);
  const text = readFileSync(RC, "utf8");
  assert.match(text, /^# PROVIDE: laggboot$/m);
  assert.match(text, /^# KEYWORD: shutdown$/m);
  assert.match(text, /^run_rc_command "\$1"$/m);
});

test("the systemd unit passes systemd-analyze verify", () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-unit-"));
  try {
    // verify insists the binaries exist: point them at a stand-in.
    const bin = join(dir, "laggboot");
    writeFileSync(bin, "#!/bin/sh\nexit 0\n");
    chmodSync(bin, 0o755);
    const unit = join(dir, "laggboot.service");
    writeFileSync(unit, readFileSync(UNIT, "utf8").replaceAll("/usr/local/bin/laggboot", bin));
    const out = execFileSync("systemd-analyze", ["verify", unit], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(out, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every laggboot option the service files use exists in the CLI", () => {
  const help = (cmd: string) => execFileSync(process.execPath, [CLI, cmd, "--help"], { encoding: "utf8" });
  const used = new Map<string, Set<string>>();
  for (const text of [readFileSync(RC, "utf8"), readFileSync(UNIT, "utf8")]) {
    for (const m of text.matchAll(/laggboot (serve|reload|check|doctor)([^\n"]*)/g)) {
      const set = used.get(m[1]!) ?? new Set<string>();
      for (const o of m[2]!.matchAll(/--[a-z-]+/g)) set.add(o[0]);
      used.set(m[1]!, set);
    }
  }
  assert.deepEqual([...used.keys()].sort(), ["check", "doctor", "reload", "serve"]);
  for (const [cmd, opts] of used) {
    const h = help(cmd) + help("--help".slice(0, 0) || cmd);
    for (const o of opts) if (o !== "--config") assert.ok(h.includes(o), `laggboot ${cmd} has no ${o}`);
  }
});
