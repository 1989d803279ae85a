/**
 * laggboot was not on the PATH after the README's commands. The package as a
 * user gets it: `npm pack` of this checkout, then `npm install -g` of the
 * tarball into an empty prefix, must give a `laggboot` command that runs, with
 * both native addons built by the package's own install script.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

test("laggboot not on the PATH: npm pack + npm install -g on a clean prefix gives a working laggboot with its native addons", { timeout: 900_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), "lb-pack-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // dist/ is fresh: npm test built it. --ignore-scripts skips prepack's second build.
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { encoding: "utf8" });
  assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack wrote no tarball");

  const prefix = join(dir, "prefix");
  const started = Date.now();
  const install = spawnSync("npm", [
    "install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund",
    "--allow-scripts=laggboot,better-sqlite3", join(dir, tarball),
  ], {
    encoding: "utf8",
    // better-sqlite3's prebuild-install would first try to download a binary
    // from GitHub, which CI cannot reach: build it from source at once.
    env: { ...process.env, npm_config_build_from_source: "true" },
    timeout: 840_000,
  });
  t.diagnostic(`npm install -g took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.equal(install.status, 0, `npm install -g failed:\n${install.stderr}`);

  const bin = join(prefix, "bin", "laggboot");
  assert.ok(existsSync(bin), `${bin} was not created`);
  assert.equal(execFileSync(bin, ["--version"], { encoding: "utf8" }).trim(), version);

  const inv = join(dir, "laggboot.yaml");
  execFileSync(bin, ["init", inv], { stdio: "ignore" });
  const check = spawnSync(bin, ["check", "--json", inv], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
  assert.equal((JSON.parse(check.stdout) as { ok: boolean }).ok, true);

  // The install script built both addons, and the installed code loads them.
  const pkgDir = join(prefix, "lib", "node_modules", "laggboot");
  const probe = `
    const { loadNative } = await import(${JSON.stringify(join(pkgDir, "dist/src/servers/tftp/native.js"))});
    const { loadNativeDhcp } = await import(${JSON.stringify(join(pkgDir, "dist/src/servers/dhcp/native.js"))});
    const t = loadNative(), d = loadNativeDhcp();
    console.log(JSON.stringify({ tftp: t.ok ? "ok" : t.reason, dhcp: d.ok ? "ok" : d.reason }));`;
  const loaded = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" })) as Record<string, string>;
  assert.deepEqual(loaded, { tftp: "ok", dhcp: "ok" });
});
