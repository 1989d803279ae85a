/**
 * doctor's "can server.runAs read it?" against the kernel: for a matrix of
 * directory and file modes and owners, the mode-bit rule's answer must equal
 * what actually happens when a process running as that user opens the file.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { realDoctorProbe } from "../../src/app/doctor.js";
import type { UnixIdentity } from "../../src/app/unix-access.js";

let base: string;
before(() => {
  base = mkdtempSync("/tmp/lb-doctor-runas-");
  chmodSync(base, 0o755);
});
after(() => rmSync(base, { recursive: true, force: true }));

test("server.runAs resolves to numbers with its groups; an unknown user is a sentence, not a throw", () => {
  const nobody = realDoctorProbe.identity("nobody", "nogroup");
  assert.ok(typeof nobody !== "string", String(nobody));
  assert.equal(nobody.uid, Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim()));
  assert.ok(nobody.groups.includes(nobody.gid));
  assert.match(String(realDoctorProbe.identity("lb-no-such-user-x", undefined)), /server\.runAs\.user: no such user "lb-no-such-user-x"/);
});

test("the rule agrees with the kernel for every mode and owner combination tried", () => {
  const who = realDoctorProbe.identity("nobody", "nogroup") as UnixIdentity;
  // spawn with uid/gid drops supplementary groups, so the process is exactly uid + gid.
  const proc: UnixIdentity = { uid: who.uid, gid: who.gid, groups: [who.gid] };
  const owners: [string, number, number][] = [["root", 0, 0], ["user", who.uid, 0], ["group", 0, who.gid]];
  const dirModes = [0o755, 0o750, 0o711, 0o700, 0o705];
  const fileModes = [0o644, 0o640, 0o604, 0o600, 0o400, 0o044];
  let n = 0;
  let refusedSeen = 0;
  for (const [dname, duid, dgid] of owners) for (const dmode of dirModes) for (const [fname, fuid, fgid] of owners) for (const fmode of fileModes) {
    const d = join(base, `d-${dname}-${dmode.toString(8)}-${fname}-${fmode.toString(8)}`);
    mkdirSync(d);
    const f = join(d, "pxeboot");
    writeFileSync(f, "boot");
    chownSync(d, duid, dgid);
    chmodSync(d, dmode);
    chownSync(f, fuid, fgid);
    chmodSync(f, fmode);
    const kernel = spawnSync("cat", [f], { uid: proc.uid, gid: proc.gid, encoding: "utf8" });
    const refusal = realDoctorProbe.readRefusal(f, proc);
    assert.equal(refusal === undefined, kernel.status === 0, `${d} ${dmode.toString(8)} / ${fmode.toString(8)}: rule says ${refusal ?? "readable"}, cat says ${kernel.stderr.trim() || "read it"}`);
    if (refusal !== undefined) refusedSeen++;
    n++;
  }
  assert.equal(n, 3 * 5 * 3 * 6);
  assert.ok(refusedSeen > 20 && refusedSeen < n - 20, `both answers exercised (${refusedSeen} refused of ${n})`);
});
