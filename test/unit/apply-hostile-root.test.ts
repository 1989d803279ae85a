/**
 * writeFileSets against client roots their clients have tampered with: a
 * client's root user owns its read-write root and can plant symbolic links,
 * dangling links and directories anywhere in it, swap them while apply runs,
 * and leave files named like laggboot's temporary files. Nothing may ever be
 * written outside the root, and a refused root gets nothing at all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileSets, MANIFEST_NAME, type WriteOptions } from "../../src/render/write-fileset.js";
import type { FileSet } from "../../src/render/fileset.js";

const BASE = "/srv/diskless/a";
const SET: FileSet = {
  baseDir: BASE,
  files: [
    { path: "etc/rc.conf.local", content: "x=\"1\"\n", mode: 0o644 },
    { path: "etc/wpa_supplicant.conf", content: "network={\n\tpsk=\"secret pass\"\n}\n", mode: 0o600, secret: /^\s*psk=/ },
    { path: "boot/loader.conf.local", content: "# loader\n", mode: 0o644 },
    { path: "etc/rc.d/lagg", content: "#!/bin/sh\n", mode: 0o555 },
  ],
};
const OTHER: FileSet = { baseDir: "/srv/diskless/b", files: [{ path: "etc/rc.conf.local", content: "y=\"2\"\n", mode: 0o644 }] };

interface Dirs {
  /** The target root (apply --root). */
  readonly top: string;
  /** The client's root on disk. */
  readonly root: string;
  /** A directory outside every client root, standing for the server's own /etc. */
  readonly outside: string;
}

async function withDirs(fn: (d: Dirs) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lb-hostile-"));
  try {
    const top = join(dir, "top");
    const root = join(top, BASE);
    const outside = join(dir, "server-etc");
    mkdirSync(root, { recursive: true });
    mkdirSync(outside);
    await fn({ top, root, outside });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const opts = (top: string, more: Partial<WriteOptions> = {}): WriteOptions => ({ targetRoot: top, dryRun: false, force: false, chownRoot: false, ...more });

/** Every entry under dir, recursively, relative; links are listed, not followed. */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${prefix}${e.name}/`, ...tree(join(dir, e.name), `${prefix}${e.name}/`)] : [`${prefix}${e.name}`])).sort();
}

test("apply refuses a symlinked etc (absolute) and writes nothing", async () => {
  await withDirs(({ top, root, outside }) => {
    symlinkSync(outside, join(root, "etc"));
    const r = writeFileSets([SET, OTHER], opts(top));
    assert.equal(r.refused.length, 1);
    assert.equal(r.refused[0]!.code, "LB_ERR_UNSAFE_PATH");
    assert.match(r.refused[0]!.message, new RegExp(`${join(root, "etc")} is a symbolic link \\(to ${outside}\\)`));
    assert.equal(r.refused[0]!.partly, false);
    assert.deepEqual(tree(outside), [], "nothing outside the root");
    assert.deepEqual(tree(root), ["etc"], "nothing for that client, not even its manifest or boot/");
    // The other client's root is written.
    assert.equal(readFileSync(join(top, "srv/diskless/b/etc/rc.conf.local"), "utf8"), "y=\"2\"\n");
    assert.deepEqual(r.changes.map((c) => c.path), [join(top, "srv/diskless/b/etc/rc.conf.local")]);
  });
});

test("apply refuses a symlinked boot (relative, ../../..) and writes nothing", async () => {
  await withDirs(({ top, root }) => {
    symlinkSync("../../..", join(root, "boot"));
    const r = writeFileSets([SET], opts(top));
    assert.equal(r.refused[0]?.code, "LB_ERR_UNSAFE_PATH");
    assert.match(r.refused[0]!.message, /boot is a symbolic link \(to \.\.\/\.\.\/\.\.\)/);
    assert.deepEqual(tree(root), ["boot"]);
    assert.equal(existsSync(join(top, "loader.conf.local")), false, "the link's target got nothing");
  });
});

test("apply --dry-run reports a symlinked directory in a client root", async () => {
  await withDirs(({ top, root, outside }) => {
    mkdirSync(join(root, "etc"));
    symlinkSync(outside, join(root, "etc/rc.d"));
    const r = writeFileSets([SET], opts(top, { dryRun: true }));
    assert.equal(r.refused[0]?.code, "LB_ERR_UNSAFE_PATH");
    assert.match(r.refused[0]!.message, /etc\/rc\.d is a symbolic link/);
    assert.deepEqual(r.changes, []);
  });
});

test("apply refuses a symbolic link in the root path itself (below --root)", async () => {
  await withDirs(({ top, outside }) => {
    const real = join(top, "srv/real-b");
    mkdirSync(real, { recursive: true });
    symlinkSync(real, join(top, "srv/diskless/b"));
    const r = writeFileSets([OTHER], opts(top));
    assert.match(r.refused[0]!.message, /srv\/diskless\/b is a symbolic link/);
    assert.deepEqual(tree(real), []);
    assert.deepEqual(tree(outside), []);
  });
});

test("a dangling etc/rc.d symlink refuses the client before any file is written", async () => {
  await withDirs(({ top, root }) => {
    mkdirSync(join(root, "etc"));
    symlinkSync("/nonexistent/rc.d", join(root, "etc/rc.d"));
    const r = writeFileSets([SET], opts(top));
    assert.equal(r.refused[0]?.code, "LB_ERR_UNSAFE_PATH");
    assert.match(r.refused[0]!.message, /etc\/rc\.d is a symbolic link \(to \/nonexistent\/rc\.d\)/);
    assert.deepEqual(tree(root), ["etc/", "etc/rc.d"], "not 3 of 4 files: none");
  });
});

test("a file where a directory should be refuses the client before any file is written", async () => {
  await withDirs(({ top, root }) => {
    writeFileSync(join(root, "boot"), "not a directory\n");
    const r = writeFileSets([SET], opts(top));
    assert.match(r.refused[0]!.message, /boot is not a directory/);
    assert.deepEqual(tree(root), ["boot"]);
  });
});

test("a client that swaps etc for a symlink while apply writes gets nothing outside its root", async () => {
  await withDirs(({ top, root, outside }) => {
    let swapped = false;
    const r = writeFileSets([SET], opts(top, {
      beforeRename: (path) => {
        if (swapped || !path.endsWith("etc/rc.conf.local")) return;
        swapped = true;
        // Between two files of etc/: the directory moves away and a link takes its name.
        renameSync(join(root, "etc"), join(root, "etc.moved"));
        symlinkSync(outside, join(root, "etc"));
      },
    }));
    assert.ok(swapped);
    assert.deepEqual(tree(outside), [], "nothing outside the root");
    // The files of the directory apply had entered went into that directory, wherever the client moved it.
    assert.equal(readFileSync(join(root, "etc.moved/rc.conf.local"), "utf8"), "x=\"1\"\n");
    assert.ok(existsSync(join(root, "etc.moved/wpa_supplicant.conf")));
    // Entering etc/rc.d afterwards meets the link: the root is reported, the rest not written.
    assert.equal(r.refused[0]?.code, "LB_ERR_UNSAFE_PATH");
    assert.equal(r.refused[0]!.partly, true);
  });
});

test("a client flipping etc between a directory and a symlink never gets a file outside its root", async () => {
  await withDirs(async ({ top, root, outside }) => {
      mkdirSync(join(root, "etc"));
      // The client: swap etc for a link to "the server's /etc" and back, as fast as it can, for at most 3 s.
      const flipper = spawn("timeout", ["3", "sh", "-c", `cd '${root}' && while :; do mv etc etc.x 2>/dev/null; ln -s '${outside}' etc 2>/dev/null; rm -f etc; mv etc.x etc 2>/dev/null; done`], { stdio: "ignore" });
      const exited = new Promise<void>((r) => flipper.on("exit", () => r()));
      let runs = 0, refusals = 0;
      const until = Date.now() + 2000;
      while (Date.now() < until && runs < 400) {
        runs++;
        const set: FileSet = { ...SET, files: SET.files.map((f) => ({ ...f, content: `${f.content}# run ${runs}\n` })) };
        try {
          refusals += writeFileSets([set], opts(top, { force: true })).refused.length;
        } catch {
          // An I/O error from a name that vanished mid-run is fine; a write outside is not.
        }
        assert.deepEqual(tree(outside), [], `run ${runs}: a file landed outside the root`);
        await new Promise((r) => setImmediate(r));
      }
      flipper.kill("SIGTERM");
      await exited;
      assert.ok(runs > 10, `only ${runs} runs`);
      assert.ok(refusals > 0, "the flipping client was noticed at least once");
      assert.deepEqual(tree(outside), []);
  });
});

/** A PID no process has: one of a child that has exited. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

test("apply removes the temporary files an interrupted apply left, and only those", async () => {
  await withDirs(({ top, root, outside }) => {
    writeFileSets([SET], opts(top));
    const dead = deadPid();
    const stale = [
      `etc/.${dead}-0123456789ab.laggboot-tmp`, // a run killed before its rename
      "etc/rc.d/.0123456789ab.laggboot-tmp", // the name older laggboot used
      `.${dead}-abcdefabcdef.laggboot-tmp`, // the manifest's, in the root itself
    ];
    for (const s of stale) writeFileSync(join(root, s), "half");
    const live = `etc/.${process.ppid}-0123456789ab.laggboot-tmp`; // a running apply's: left alone
    const unrelated = "etc/.0123456789ab.laggboot-tmp.keep";
    writeFileSync(join(root, live), "in progress");
    writeFileSync(join(root, unrelated), "mine");
    writeFileSync(join(outside, "passwd"), "server's\n");
    symlinkSync(join(outside, "passwd"), join(root, `boot/.${dead}-ffffffffffff.laggboot-tmp`));
    const dry = writeFileSets([SET], opts(top, { dryRun: true }));
    assert.equal(dry.staleTemp.length, 4);
    assert.ok(existsSync(join(root, stale[0]!)), "a dry run removes nothing");
    // Nothing to change in the files: the temporary files are removed all the same.
    const r = writeFileSets([SET], opts(top));
    assert.deepEqual(r.changes.map((c) => c.kind), ["unchanged", "unchanged", "unchanged", "unchanged"]);
    assert.deepEqual([...r.staleTemp].sort(), [...stale.map((s) => join(root, s)), join(root, `boot/.${dead}-ffffffffffff.laggboot-tmp`)].sort());
    for (const s of stale) assert.equal(existsSync(join(root, s)), false, s);
    assert.throws(() => lstatSync(join(root, `boot/.${dead}-ffffffffffff.laggboot-tmp`)), "the link is gone");
    assert.equal(readFileSync(join(outside, "passwd"), "utf8"), "server's\n", "its target is untouched");
    assert.ok(existsSync(join(root, live)));
    assert.ok(existsSync(join(root, unrelated)));
    assert.ok(existsSync(join(root, MANIFEST_NAME)));
  });
});
