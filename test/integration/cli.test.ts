/**
 * The laggboot command as a user runs it: help, exit codes, JSON output,
 * init -> check -> render -> apply on the example inventory, and no stack
 * trace whatever the input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist/src/cli/main.js");

function lb(args: readonly string[], cwd: string, env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env, LAGGBOOT_CONFIG: env["LAGGBOOT_CONFIG"] ?? "" } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function inTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "lb-cli-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The example inventory with its TFTP root and passphrase inside `dir`. */
function exampleIn(dir: string): string {
  lb(["init", "laggboot.yaml"], dir);
  const text = readFileSync(join(dir, "laggboot.yaml"), "utf8").replace("root: /srv/tftp", `root: ${dir}/tftp`);
  writeFileSync(join(dir, "laggboot.yaml"), text);
  mkdirSync(join(dir, "tftp"));
  for (const f of ["pxeboot", "loader.efi", "boot.ipxe"]) writeFileSync(join(dir, "tftp", f), "x");
  return join(dir, "laggboot.yaml");
}

const STACK = /\n\s+at .+\(.+:\d+:\d+\)/;

test("every command has --help and exits 0 with it", () => {
  inTmp((dir) => {
    for (const cmd of ["init", "check", "render", "apply", "serve", "reload", "doctor", "status"]) {
      const r = lb([cmd, "--help"], dir);
      assert.equal(r.code, 0, `${cmd} --help: ${r.err}`);
      assert.match(r.out, new RegExp(`Usage: laggboot ${cmd}`));
    }
    assert.equal(lb(["--help"], dir).code, 0);
    assert.equal(lb(["--version"], dir).out.trim(), "0.1.0");
  });
});

test("usage errors exit 2 with a message, never a stack trace", () => {
  inTmp((dir) => {
    for (const args of [["frobnicate"], ["check", "--bogus"], ["render"], ["render", "nope"], ["apply"], ["check", "missing.yaml"], ["check", dir], ["render", "exports", "--client", "x"]]) {
      const r = lb(args, dir);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.code} ${r.err}`);
      assert.doesNotMatch(r.err, STACK);
      assert.ok(r.err.length > 0);
    }
  });
});

test("init writes the example, refuses to overwrite, check passes it", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    assert.equal(lb(["init", "laggboot.yaml"], dir).code, 2);
    const r = lb(["check", inv], dir);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /OK, 4 client\(s\)/);
    // --config and $LAGGBOOT_CONFIG name the file too.
    assert.equal(lb(["--config", inv, "check"], "/").code, 0);
    assert.equal(lb(["check"], "/", { LAGGBOOT_CONFIG: inv }).code, 0);
  });
});

test("check reports problems with file:line:col, exits 1, and --json is machine-readable", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    writeFileSync(inv, readFileSync(inv, "utf8").replace("ip: 198.18.0.10", "ip: 198.18.0.1000").replace("wired: re0", "wired: 7"));
    const r = lb(["check", inv], dir);
    assert.equal(r.code, 1);
    assert.match(r.out, /laggboot\.yaml:\d+:9: error \[LB_ERR_BAD_IPV4\] clients\[0\]\.ip: /);
    assert.match(r.out, /error \[LB_ERR_SCHEMA\] clients\[0\]\.wired/);
    const jr = lb(["check", "--json", inv], dir);
    assert.ok(jr.out.startsWith("{"), `check --json printed: ${jr.out} / ${jr.err}`);
    const j = JSON.parse(jr.out) as { ok: boolean; errors: number; findings: { code: string; line: number; col: number; path: string }[] };
    assert.equal(j.ok, false);
    assert.equal(j.errors, 2);
    assert.deepEqual(j.findings.map((f) => f.code).sort(), ["LB_ERR_BAD_IPV4", "LB_ERR_SCHEMA"]);
    // Garbage in: still findings, never a crash.
    writeFileSync(inv, "\u0000\u0001\u0002: [}{");
    const g = lb(["check", inv], dir);
    assert.equal(g.code, 1);
    assert.doesNotMatch(g.err + g.out, STACK);
  });
});

test("commands that need a valid inventory print its errors and exit 1", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    writeFileSync(inv, readFileSync(inv, "utf8").replace("macs: [00:1e:68:aa:bb:cc]", "macs: [00:1e:68:aa:bb]"));
    for (const args of [["render", "kea"], ["apply", "--root", dir], ["serve"]]) {
      const r = lb(["--config", inv, ...args], dir);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.err, /LB_ERR_BAD_MAC/);
    }
  });
});

test("render prints every target; flip-script is the shipped asset", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    for (const t of ["isc-dhcpd", "kea", "dnsmasq", "exports", "exports-linux", "client-files"]) {
      const r = lb(["--config", inv, "render", t], dir);
      assert.equal(r.code, 0, `${t}: ${r.err}`);
      assert.ok(r.out.length > 100, t);
    }
    const flip = lb(["render", "flip-script"], dir);
    assert.equal(flip.out, readFileSync("assets/freebsd/rc.d/lagg", "utf8"));
    const one = JSON.parse(lb(["--config", inv, "render", "client-files", "--client", "client", "--json"], dir).out) as { files: { path: string; mode: string; content: string }[] };
    const script = one.files.find((f) => f.path === "/srv/diskless/client/etc/rc.d/lagg");
    assert.equal(script?.mode, "0555");
    assert.equal(script?.content, flip.out);
    assert.equal(lb(["--config", inv, "render", "client-files", "--client", "kiosk"], dir).code, 2, "pxe clients have no client files");
    assert.equal(lb(["--config", inv, "render", "client-files", "--client", "nobody"], dir).code, 2);
  });
});

test("apply: dry run, write, second run changes nothing, foreign file refused, --force", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    const root = join(dir, "server");
    const dry = lb(["--config", inv, "apply", "--root", root, "--dry-run"], dir);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /would create .*srv\/diskless\/client\/etc\/rc\.conf\.local/);
    assert.doesNotMatch(dry.out, /correct horse/, "secrets are masked in diffs");
    assert.equal(existsSync(root), false);
    const first = lb(["--config", inv, "apply", "--root", root], dir);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /changed 15 of 15 file\(s\)/);
    assert.doesNotMatch(first.out, /^\+#!\/bin\/sh/m, "new files are listed, not printed, outside --dry-run");
    assert.equal(statSync(join(root, "srv/diskless/client/etc/rc.d/lagg")).mode & 0o777, 0o555);
    assert.equal(statSync(join(root, "srv/diskless/shared/conf/198.18.0.21/etc/wpa_supplicant.conf")).mode & 0o777, 0o600);
    const second = lb(["--config", inv, "apply", "--root", root], dir);
    assert.match(second.out, /nothing to change: 15 file\(s\) already up to date/);
    writeFileSync(join(root, "srv/diskless/client/etc/rc.conf.local"), "# mine\n");
    const refused = lb(["--config", inv, "apply", "--root", root], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /LB_ERR_FOREIGN_FILE.*rc\.conf\.local/);
    assert.equal(readFileSync(join(root, "srv/diskless/client/etc/rc.conf.local"), "utf8"), "# mine\n");
    const forced = lb(["--config", inv, "apply", "--root", root, "--force", "--client", "client"], dir);
    assert.equal(forced.code, 0);
    assert.match(forced.out, /take over .*rc\.conf\.local/);
    const j = JSON.parse(lb(["--config", inv, "apply", "--root", root, "--json"], dir).out) as { changed: number };
    assert.equal(j.changed, 0);
  });
});
