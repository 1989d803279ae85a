/**
 * The laggboot command as a user runs it: help, exit codes, JSON output,
 * init -> check -> render -> apply on the example inventory, and no stack
 * trace whatever the input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bigInventoryYaml } from "../support/big-inventory.js";

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
  for (const f of ["pxeboot", "loader.efi", "boot.ipxe", "kiosk.ipxe"]) writeFileSync(join(dir, "tftp", f), "x");
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

test("apply refuses a symlinked etc (absolute) and writes nothing, and --dry-run says so", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    const root = join(dir, "server");
    const outside = join(dir, "server-etc"); // stands for the server's own /etc
    mkdirSync(outside);
    mkdirSync(join(root, "srv/diskless/client"), { recursive: true });
    symlinkSync(outside, join(root, "srv/diskless/client/etc"));
    const dry = lb(["--config", inv, "apply", "--root", root, "--dry-run"], dir);
    assert.equal(dry.code, 1, dry.err);
    assert.match(dry.err, /error \[LB_ERR_UNSAFE_PATH\]: .*srv\/diskless\/client\/etc is a symbolic link .*nothing would be written/);
    const r = lb(["--config", inv, "apply", "--root", root], dir);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /error \[LB_ERR_UNSAFE_PATH\]: .*srv\/diskless\/client\/etc is a symbolic link \(to .*server-etc\); nothing was written/);
    assert.doesNotMatch(r.out, /srv\/diskless\/client\//, "no file of that client is listed as written");
    assert.deepEqual(readdirSync(outside), []);
    assert.deepEqual(readdirSync(join(root, "srv/diskless/client")), ["etc"]);
    // The shared root's clients are not held hostage by that client.
    assert.ok(existsSync(join(root, "srv/diskless/shared/conf/198.18.0.21/etc/rc.conf.local")));
  });
});

test("apply refuses a symlinked boot (relative, ../../..) and a dangling etc/rc.d before writing anything", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    const root = join(dir, "server");
    const client = join(root, "srv/diskless/client");
    mkdirSync(join(client, "etc"), { recursive: true });
    symlinkSync("../../..", join(client, "boot"));
    const r = lb(["--config", inv, "apply", "--root", root, "--client", "client"], dir);
    assert.equal(r.code, 1);
    assert.match(r.err, /client\/boot is a symbolic link \(to \.\.\/\.\.\/\.\.\)/);
    assert.equal(existsSync(join(root, "loader.conf.local")), false);
    rmSync(join(client, "boot"));
    symlinkSync("/nonexistent", join(client, "etc/rc.d"));
    const d = lb(["--config", inv, "apply", "--root", root, "--client", "client"], dir);
    assert.equal(d.code, 1, "a refusal, not exit 70 with ENOENT");
    assert.match(d.err, /etc\/rc\.d is a symbolic link \(to \/nonexistent\)/);
    assert.deepEqual(readdirSync(client).sort(), ["etc"]);
    assert.deepEqual(readdirSync(join(client, "etc")), ["rc.d"], "not 3 of 4 files: none");
  });
});

test("render | head -1 and apply --dry-run | head end quietly on the closed pipe (EPIPE)", () => {
  inTmp((dir) => {
    // Enough output to outgrow a pipe's buffer, so the writer meets the closed pipe.
    writeFileSync(join(dir, "big.yaml"), bigInventoryYaml(60));
    for (const args of [["render", "client-files"], ["render", "dnsmasq"], ["apply", "--root", join(dir, "server"), "--dry-run"]]) {
      const cmd = [process.execPath, CLI, "--config", join(dir, "big.yaml"), ...args].map((a) => `'${a}'`).join(" ");
      const r = spawnSync("bash", ["-o", "pipefail", "-c", `${cmd} 2>'${dir}/err' | head -1`], { encoding: "utf8" });
      const err = readFileSync(join(dir, "err"), "utf8");
      assert.equal(r.status, 0, `${args.join(" ")}: ${err}`);
      assert.equal(r.stdout.split("\n").length, 2, "head printed its one line");
      assert.doesNotMatch(err, /EPIPE|Error/);
      assert.doesNotMatch(err, STACK);
    }
  });
});

/** Every laggboot temporary file below dir. */
function tempFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tempFiles(p) : e.name.endsWith(".laggboot-tmp") ? [p] : [];
  });
}

test("kill -9 during a large apply leaves temporary files that the next apply removes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-cli-kill-"));
  try {
    writeFileSync(join(dir, "big.yaml"), bigInventoryYaml(300));
    const root = join(dir, "server");
    const argv = [CLI, "--config", join(dir, "big.yaml"), "apply", "--root", root, "--no-diff"];
    // Freeze the apply at random moments until one is caught between creating a temporary file
    // and renaming it, then kill it there (at most 5 applies, 200 looks each).
    let caught: string[] = [];
    for (let run = 0; run < 5 && caught.length === 0; run++) {
      const child = spawn(process.execPath, argv, { stdio: "ignore" });
      let exited = false;
      const done = new Promise<void>((r) => child.on("exit", () => { exited = true; r(); }));
      for (let look = 0; look < 200 && !exited; look++) {
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        if (exited || !child.kill("SIGSTOP")) break;
        await new Promise((r) => setTimeout(r, 2));
        caught = existsSync(root) ? tempFiles(root) : [];
        child.kill(caught.length > 0 ? "SIGKILL" : "SIGCONT");
        if (caught.length > 0) break;
      }
      await done;
    }
    assert.ok(caught.length > 0, "never caught an apply holding a temporary file");
    const next = lb(argv.slice(1), dir);
    assert.equal(next.code, 0, next.err);
    assert.match(next.out, /removed .*\.laggboot-tmp \(left by an interrupted apply\)/);
    assert.deepEqual(tempFiles(root), []);
    assert.match(lb(argv.slice(1), dir).out, /nothing to change/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("each command prints the missing-boot-file warnings once; check warns about a missing per-client iPXE script", () => {
  inTmp((dir) => {
    const inv = exampleIn(dir);
    // loader.efi named twice (x64Uefi and byArch 16) and missing; the kiosk's kiosk.ipxe missing.
    writeFileSync(inv, readFileSync(inv, "utf8").replace("      x64Uefi: loader.efi # option 93 = 7 and 9", "      x64Uefi: loader.efi # option 93 = 7 and 9\n      byArch: { \"16\": loader.efi }"));
    rmSync(join(dir, "tftp", "loader.efi"));
    rmSync(join(dir, "tftp", "kiosk.ipxe"));
    const count = (text: string, what: string): number => text.split("\n").filter((l) => l.includes(`${what} is not a file in the TFTP root`)).length;
    for (const args of [["check", inv], ["--config", inv, "apply", "--root", join(dir, "server"), "--dry-run", "--no-diff"]]) {
      const r = lb(args, dir);
      assert.equal(count(r.out + r.err, "loader.efi"), 1, `${args.join(" ")}:\n${r.out}${r.err}`);
      assert.equal(count(r.out + r.err, "kiosk.ipxe"), 1, `${args.join(" ")}:\n${r.out}${r.err}`);
    }
    const render = lb(["--config", inv, "render", "dnsmasq"], dir);
    assert.equal(render.code, 0);
    assert.equal(count(render.err, "loader.efi"), 0, "render prints the file, not the warnings");
  });
});
