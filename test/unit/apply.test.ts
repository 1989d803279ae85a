/** writeFileSets: atomic, idempotent, never clobbers a file laggboot did not write. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileSets, MANIFEST_NAME } from "../../src/render/write-fileset.js";
import type { FileSet } from "../../src/render/fileset.js";

const SET: FileSet = {
  baseDir: "/srv/diskless/a",
  files: [
    { path: "etc/rc.conf.local", content: "x=\"1\"\n", mode: 0o644 },
    { path: "etc/wpa_supplicant.conf", content: "network={\n\tpsk=\"secret pass\"\n}\n", mode: 0o600, secret: /^\s*psk=/ },
    { path: "etc/rc.d/lagg", content: "#!/bin/sh\n", mode: 0o555 },
  ],
};

function withDir(fn: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), "lb-apply-"));
  try {
    fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const opts = (root: string, more: Partial<Parameters<typeof writeFileSets>[1]> = {}) => ({ targetRoot: root, dryRun: false, force: false, chownRoot: false, ...more });
const base = (root: string) => join(root, SET.baseDir);
/** Every file under dir, recursively, relative. */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
}

test("first run creates every file with its mode, and a 0600 manifest", () => {
  withDir((root) => {
    const { changes } = writeFileSets([SET], opts(root));
    assert.deepEqual(changes.map((c) => c.kind), ["create", "create", "create"]);
    assert.equal(statSync(join(base(root), "etc/wpa_supplicant.conf")).mode & 0o777, 0o600);
    assert.equal(statSync(join(base(root), "etc/rc.d/lagg")).mode & 0o777, 0o555);
    assert.equal(statSync(join(base(root), "etc/rc.conf.local")).mode & 0o777, 0o644);
    assert.equal(statSync(join(base(root), MANIFEST_NAME)).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(base(root), "etc/rc.conf.local"), "utf8"), "x=\"1\"\n");
  });
});

test("second run changes nothing and says so", () => {
  withDir((root) => {
    writeFileSets([SET], opts(root));
    const before = statSync(join(base(root), "etc/rc.conf.local")).mtimeMs;
    const { changes } = writeFileSets([SET], opts(root));
    assert.deepEqual(changes.map((c) => c.kind), ["unchanged", "unchanged", "unchanged"]);
    assert.equal(statSync(join(base(root), "etc/rc.conf.local")).mtimeMs, before);
  });
});

test("dry run writes nothing but reports the plan with a diff (secrets masked)", () => {
  withDir((root) => {
    const { changes } = writeFileSets([SET], opts(root, { dryRun: true }));
    assert.equal(existsSync(base(root)), false);
    assert.equal(changes[0]!.kind, "create");
    assert.match(changes[0]!.diff, /\+x="1"/);
    assert.doesNotMatch(changes[1]!.diff, /secret pass/);
    assert.match(changes[1]!.diff, /psk=<secret>/);
  });
});

test("an update shows a unified diff of the change", () => {
  withDir((root) => {
    writeFileSets([SET], opts(root));
    const next: FileSet = { ...SET, files: [{ ...SET.files[0]!, content: "x=\"2\"\n" }] };
    const [c] = writeFileSets([next], opts(root)).changes;
    assert.equal(c!.kind, "update");
    assert.match(c!.diff, /^-x="1"$/m);
    assert.match(c!.diff, /^\+x="2"$/m);
  });
});

test("refuses to overwrite a file it did not write, before writing anything", () => {
  withDir((root) => {
    mkdirSync(join(base(root), "etc/rc.d"), { recursive: true });
    writeFileSync(join(base(root), "etc/rc.d/lagg"), "#!/bin/sh\n# my own script\n");
    const r = writeFileSets([SET], opts(root));
    assert.deepEqual(r.refused.map((x) => x.code), ["LB_ERR_FOREIGN_FILE"]);
    assert.match(r.refused[0]!.message, /rc\.d\/lagg/);
    assert.deepEqual(r.changes, []);
    // Nothing else was written: the refusal comes before any write.
    assert.deepEqual(tree(base(root)), ["etc/rc.d/lagg"]);
    assert.match(readFileSync(join(base(root), "etc/rc.d/lagg"), "utf8"), /my own script/);
    // --force takes it over.
    writeFileSets([SET], opts(root, { force: true }));
    assert.equal(readFileSync(join(base(root), "etc/rc.d/lagg"), "utf8"), "#!/bin/sh\n");
  });
});

test("a file edited by hand after laggboot wrote it counts as foreign", () => {
  withDir((root) => {
    writeFileSets([SET], opts(root));
    writeFileSync(join(base(root), "etc/rc.conf.local"), "x=\"hand edit\"\n");
    assert.match(writeFileSets([SET], opts(root)).refused[0]!.message, /did not write \(or that were edited since\)/);
  });
});

test("never replaces a symbolic link or directory", () => {
  withDir((root) => {
    mkdirSync(join(base(root), "etc"), { recursive: true });
    symlinkSync("/etc/passwd", join(base(root), "etc/rc.conf.local"));
    mkdirSync(join(base(root), "etc/rc.d/lagg"), { recursive: true });
    const r = writeFileSets([SET], opts(root, { force: true }));
    assert.equal(r.refused[0]!.code, "LB_ERR_UNSAFE_PATH");
    assert.match(r.refused[0]!.message, /rc\.conf\.local is a symbolic link \(to \/etc\/passwd\)/);
    const dir = writeFileSets([{ ...SET, files: [SET.files[2]!] }], opts(root, { force: true }));
    assert.match(dir.refused[0]!.message, /rc\.d\/lagg exists and is not a regular file/);
  });
});

test("a failure mid-way leaves no half-written file and no temporary file; a rerun completes", () => {
  withDir((root) => {
    writeFileSets([SET], opts(root));
    const next: FileSet = { ...SET, files: SET.files.map((f) => ({ ...f, content: f.content + "# v2\n" })) };
    let renames = 0;
    assert.throws(() =>
      writeFileSets([next], opts(root, {
        beforeRename: () => {
          if (++renames === 2) throw new Error("disk full (injected)");
        },
      })),
    /disk full/);
    // File 1 is the new version, files 2 and 3 are whole old versions; no temp files.
    assert.match(readFileSync(join(base(root), "etc/rc.conf.local"), "utf8"), /# v2/);
    assert.doesNotMatch(readFileSync(join(base(root), "etc/wpa_supplicant.conf"), "utf8"), /# v2/);
    assert.equal(readFileSync(join(base(root), "etc/rc.d/lagg"), "utf8"), "#!/bin/sh\n");
    assert.deepEqual(tree(base(root)).filter((p) => p.includes("laggboot-tmp")), []);
    // The manifest already knew the new hashes: the rerun is not refused as foreign.
    const { changes } = writeFileSets([next], opts(root));
    assert.deepEqual(changes.map((c) => c.kind), ["unchanged", "update", "update"]);
    assert.deepEqual(writeFileSets([next], opts(root)).changes.map((c) => c.kind), ["unchanged", "unchanged", "unchanged"]);
  });
});

test("a wrong mode is repaired even when the content is the same", () => {
  withDir((root) => {
    writeFileSets([SET], opts(root));
    const p = join(base(root), "etc/wpa_supplicant.conf");
    chmodSync(p, 0o644); // as a careless copy would leave it
    const { changes } = writeFileSets([SET], opts(root));
    assert.equal(changes[1]!.kind, "update");
    assert.equal(changes[1]!.modeChanged, true);
    assert.equal(statSync(p).mode & 0o777, 0o600);
  });
});
