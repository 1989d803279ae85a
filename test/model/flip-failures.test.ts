// The flip model's failure cases: refusals that must change nothing,
// rollbacks that must leave the root reachable (and in the right order),
// and the naive script that the oracle must catch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explain, withModel, withMutant } from "./harness.js";
import { worlds } from "./scenarios.js";
import { assertNoChange, assertOracleClean, assertRestored, assertWindowCovered, output } from "./expect.js";
import { NAIVE_SCRIPT } from "./fakeroot.js";
import { readdirSync } from "node:fs";
import { join } from "node:path";

function indexOf(events: readonly string[], prefix: string): number {
  return events.findIndex((e) => e.startsWith(prefix));
}

test("MTU mismatch: warn and change nothing", async () => {
  await withModel(worlds.mtuMismatch(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    assert.match(output(run), /WARNING: re0 has MTU 9000, lagg0 has 1500: lagg\(4\) needs them equal\. Not flipping\./);
    assertNoChange(run);
    assertOracleClean(run);
  });
});

test("laggport failing every time: wlan0 goes back as master, nothing else changes", async () => {
  await withModel(worlds.laggportAlwaysFails(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    assert.match(output(run), /adding re0 to lagg0; rolling back/);
    assert.match(output(run), /flip rolled back; 198\.18\.0\.10 stays on re0/);
    assertRestored(run);
    assertOracleClean(run);
    assert.deepEqual(run.state.mem, []);
  });
});

test("failure after the join: the NIC leaves the lagg before its address comes back", async () => {
  await withModel(worlds.failAfterJoin(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    const leave = indexOf(run.events, "-laggport lagg0 re0");
    const readdress = indexOf(run.events, "inet-add re0 ");
    const reroute = indexOf(run.events, "route-add default 198.18.0.254 via re0");
    const wifiBack = run.events.lastIndexOf("laggport lagg0 wlan0");
    assert.ok(indexOf(run.events, "injected-failure inet-add:lagg0") >= 0, explain(run));
    assert.ok(leave >= 0 && readdress > leave && reroute > readdress && wifiBack > reroute, `rollback order\n${explain(run)}`);
    assertRestored(run, { ipv6Stripped: "re0" });
    assertOracleClean(run);
    assertWindowCovered(run);
  });
});

test("default route failing after the address moved: lagg0's address is removed too", async () => {
  await withModel(worlds.routeFailsAfterJoin(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    const leave = indexOf(run.events, "-laggport lagg0 re0");
    const unlagg = indexOf(run.events, "inet-del lagg0 ");
    const readdress = indexOf(run.events, "inet-add re0 ");
    assert.ok(leave >= 0 && unlagg > leave && readdress > unlagg, `rollback order\n${explain(run)}`);
    assertRestored(run, { ipv6Stripped: "re0" });
    assertOracleClean(run);
    assertWindowCovered(run);
  });
});

test("negative control: the naive script (plain /sbin/ifconfig, /sbin/route) is caught", async () => {
  await withModel(worlds.normal(), ["start"], (run) => {
    const v = run.verdict.violations;
    assert.ok(v.length > 0, `the oracle missed the naive script\n${explain(run)}`);
    assert.ok(v.some((m) => m.startsWith("started /sbin/ifconfig from the NFS root")), v.join("\n"));
    assert.ok(v.some((m) => m.startsWith("started /sbin/route from the NFS root") || m.includes("/sbin/ifconfig")), v.join("\n"));
  }, { script: NAIVE_SCRIPT });
});

test("negative control: without the chroot, a window that redirects to /dev/null is caught (a lookup from the NFS root's /)", async () => {
  const edits = [
    ['exec ./chroot . ./sh ./window', "exec ./sh ./window"],
    ['step ./ifconfig -n "$bootif" inet "$ip" -alias ||', 'step ./ifconfig -n "$bootif" inet "$ip" -alias 2>/dev/null ||'],
  ] as const;
  await withMutant(worlds.normal(), edits, ["start"], (run) => {
    assert.ok(run.verdict.violations.some((m) => m.includes("looked up /dev/null (open)")), explain(run));
  });
});

test("boot NIC already a port of another lagg: warn and change nothing", async () => {
  const w = worlds.normal();
  const ifaces = w.ifaces.map((i) => (i.name === "re0" ? { ...i, lagg: "lagg1" } : i));
  const lagg1 = { name: "lagg1", index: 5, kind: "lagg" as const, mac: "00:1e:68:aa:bb:cc", mtu: 1500, up: true, link: true, primary: "re0" };
  await withModel({ ...w, ifaces: [...ifaces, lagg1] }, ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    assert.match(output(run), /re0 is already a port of lagg1\. Not flipping\./);
    assertNoChange(run);
  });
});

test("no memory file system: refuse before anything changes, leave no temp dir", async () => {
  await withModel(worlds.mdmfsFails(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    assert.match(output(run), /cannot prepare the memory copy of \/rescue\. Not flipping\./);
    assert.deepEqual(run.events, ["injected-failure mdmfs:"], explain(run));
    assert.deepEqual(readdirSync(join(run.root.dir, "tmp")), []);
    assertOracleClean(run);
  });
});
