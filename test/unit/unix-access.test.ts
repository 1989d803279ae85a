/** The mode-bit rule doctor uses to answer "can server.runAs read this?". */
import { test } from "node:test";
import assert from "node:assert/strict";
import { classBits, readRefusal, type UnixIdentity } from "../../src/app/unix-access.js";

const laggboot: UnixIdentity = { uid: 1001, gid: 1001, groups: [1001, 44] };
const dir = (path: string, mode: number, uid = 0, gid = 0) => ({ path, st: { mode: 0o040000 | mode, uid, gid }, dir: true });
const file = (path: string, mode: number, uid = 0, gid = 0) => ({ path, st: { mode: 0o100000 | mode, uid, gid }, dir: false });
const root = dir("/", 0o755);

test("owner, else group (primary or supplementary), else other: one class only, never a mix", () => {
  assert.equal(classBits({ mode: 0o064, uid: 1001, gid: 0 }, laggboot), 0, "the owner class applies even when other may read");
  assert.equal(classBits({ mode: 0o640, uid: 0, gid: 44 }, laggboot), 4, "a supplementary group counts");
  assert.equal(classBits({ mode: 0o604, uid: 0, gid: 1001 }, laggboot), 0, "the group class applies even when other may read");
  assert.equal(classBits({ mode: 0o604, uid: 0, gid: 0 }, laggboot), 4);
});

test("a readable file under traversable directories is allowed", () => {
  assert.equal(readRefusal([root, dir("/srv", 0o755), dir("/srv/tftp", 0o750, 0, 44), file("/srv/tftp/pxeboot", 0o640, 0, 44)], laggboot), undefined);
});

test("a directory on the way without x refuses, naming it and its mode", () => {
  assert.equal(readRefusal([root, dir("/srv", 0o700), file("/srv/pxeboot", 0o644)], laggboot), "cannot enter /srv (mode 0700, owner 0:0)");
});

test("a file without r for the user's class refuses", () => {
  assert.equal(readRefusal([root, file("/pxeboot", 0o600)], laggboot), "cannot read /pxeboot (mode 0600, owner 0:0)");
  assert.equal(readRefusal([root, file("/pxeboot", 0o044, 1001, 0)], laggboot), "cannot read /pxeboot (mode 0044, owner 1001:0)");
});

test("the target directory itself needs r and x", () => {
  assert.equal(readRefusal([root, dir("/srv/tftp", 0o744)], laggboot), "cannot enter /srv/tftp (mode 0744, owner 0:0)");
  assert.equal(readRefusal([root, dir("/srv/tftp", 0o711)], laggboot), "cannot read /srv/tftp (mode 0711, owner 0:0)");
});

test("root is never refused by mode bits", () => {
  assert.equal(readRefusal([dir("/", 0o700, 5, 5), file("/x", 0o000, 5, 5)], { uid: 0, gid: 0, groups: [0] }), undefined);
});
