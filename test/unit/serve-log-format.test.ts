/**
 * `serve --log-format json` printed the inventory's warnings as text before
 * the logger existed: every finding is now a log line in the chosen format
 * (the run below stops at the inventory's error, before binding anything).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = "dist/src/cli/main.js";

test("--log-format json must also cover inventory warnings (and errors)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-logfmt-"));
  try {
    const inv = join(dir, "laggboot.yaml");
    // A missing TFTP root (warnings: boot files missing) and a client address outside every network (an error).
    writeFileSync(inv, `server:\n  address: 198.18.0.1\n  networks: [{ name: lan, prefix: 198.18.0.0/24 }]\n  tftp: { root: ${dir}/tftp }\nclients:\n  - { name: pc1, kind: pxe, ip: 198.19.9.9, macs: [02:00:00:00:00:01] }\n`);
    const r = spawnSync(process.execPath, [CLI, "serve", "--config", inv, "--log-format", "json"], { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    const last = lines.pop()!;
    assert.match(last, /^laggboot: .*laggboot\.yaml: 1 error\(s\); see "laggboot check /);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(logged.some((l) => l["level"] === "warn" && l["msg"] === "inventory warning" && l["code"] === "LB_WARN_BOOT_FILE_MISSING"), r.stderr);
    const error = logged.find((l) => l["msg"] === "inventory error");
    assert.equal(error?.["code"], "LB_ERR_ADDRESS_OUTSIDE_NETWORK", r.stderr);
    assert.match(String(error?.["finding"]), /laggboot\.yaml:6:\d+: error \[LB_ERR_ADDRESS_OUTSIDE_NETWORK\] clients\[0\]\.ip: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
