// The flip script run for real in the FreeBSD model: successful flips and
// the cases where it must do nothing. Runs as root (chroot, unshare); gcc,
// dash and busybox-static are required, as in CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { explain, withModel } from "./harness.js";
import { CLIENT_IP, GATEWAY_IP, worlds } from "./scenarios.js";
import { assertFlipped, assertNoChange, assertOracleClean, output } from "./expect.js";
import { reach, readModelFile, runInRoot, setLink } from "./fakeroot.js";
import { judge } from "./oracle.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const flipped = { bootif: "re0", ip: CLIENT_IP, prefixLength: 24, gateway: GATEWAY_IP } as const;

test("normal flip: the address moves to lagg0, re0 becomes master, the cable can be pulled", async () => {
  await withModel(worlds.normal(), ["start", "status"], async (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0", "wlan0"], master: "re0" });
    // The window order of the design notes, as the model saw it.
    const order = ["-laggport lagg0 wlan0", "laggport lagg0 re0", "inet-del re0", "inet-add lagg0", "route-add default", "laggport lagg0 wlan0"];
    const at = order.map((o) => run.events.findIndex((e) => e.startsWith(o)));
    assert.ok(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)), `window order ${at.join(",")}\n${explain(run)}`);
    // wlan0 rejoined after re0, so the lagg forced its MAC on it (if_setlladdr).
    assert.ok(run.events.includes("lladdr wlan0 00:1e:68:aa:bb:cc (forced by lagg)"), explain(run));
    assert.deepEqual(readdirSync(join(run.root.dir, "tmp")), [], "temp mount point left behind");
    assert.match(readFileSync(join(run.root.dir, "var/run/lagg.log"), "utf8"), /^step: \.\/ifconfig -n lagg0 laggport re0$/m);
    assert.match(output(run, 1), /flipped: 198\.18\.0\.10 is on lagg0 \(boot NIC re0\); ports: re0 \(master, active\), wlan0\./);
    assert.equal(run.runs[1]!.code, 0);

    // Pull the cable: failover moves to wlan0 and the root stays reachable.
    await setLink(run.root, "re0", false);
    assert.deepEqual(await reach(run.root), { up: true, why: "ok" });
    const shown = await runInRoot(run.root, ["/sbin/ifconfig", "lagg0"]);
    assert.match(shown.stdout, /laggport: re0 flags=1<MASTER>\n\tlaggport: wlan0 flags=4<ACTIVE>/);
    await setLink(run.root, "re0", true);
    const back = await runInRoot(run.root, ["/sbin/ifconfig", "lagg0"]);
    assert.match(back.stdout, /laggport: re0 flags=5<MASTER,ACTIVE>/);
  });
});

test("second run: already flipped, nothing is touched", async () => {
  await withModel(worlds.normal(), ["start", "start"], (run) => {
    assert.equal(run.runs[1]!.code, 0, explain(run));
    assert.match(output(run, 1), /198\.18\.0\.10 is already on lagg0; nothing to do/);
    assert.equal(run.events.filter((e) => e.startsWith("mdmfs")).length, 1, explain(run));
    assert.equal(run.events.filter((e) => e.startsWith("laggport lagg0 re0")).length, 1, explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0", "wlan0"], master: "re0" });
  });
});

test("not a diskless boot: nothing is touched", async () => {
  await withModel(worlds.notDiskless(), ["start", "status"], (run) => {
    assert.equal(run.runs[0]!.code, 0);
    assert.match(output(run, 0), /not a diskless boot/);
    assert.match(output(run, 1), /not a diskless boot/);
    assertNoChange(run);
    assertOracleClean(run);
  });
});

test("lagg_enable=NO: start refuses, faststart is silent, nothing is touched", async () => {
  await withModel(worlds.normal(), ["start", "faststart", "status"], (run) => {
    assert.match(output(run, 0), /Cannot 'start' lagg\. Set lagg_enable to YES/);
    assert.equal(output(run, 1), "");
    assertNoChange(run);
    assertOracleClean(run);
  }, { rcConf: ['lagg_enable="NO"'] });
});

test("onestatus before any flip says not flipped and where the address is", async () => {
  await withModel(worlds.normal(), ["onestatus"], (run) => {
    assert.equal(run.runs[0]!.code, 1);
    assert.match(output(run), /not flipped: 198\.18\.0\.10 is on re0/);
    assertNoChange(run);
  }, { rcConf: ['lagg_enable="NO"'] });
});

test("no Wi-Fi port: lagg0 is built with the cable alone", async () => {
  await withModel(worlds.noWifi(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0"], master: "re0" });
  });
});

test("lagg0 missing: the script creates it (failover) and flips onto it", async () => {
  await withModel(worlds.laggMissing(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.ok(run.events.includes("create lagg0"), explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0"], master: "re0" });
    assert.equal(run.state.ifaces.get("wlan0")?.lagg, undefined);
  });
});

test("NFS server off-link: the default route moves to lagg0 inside the window", async () => {
  await withModel(worlds.offLinkServer(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0", "wlan0"], master: "re0" });
  });
});

test("no gateway (0.0.0.0): no route is touched", async () => {
  await withModel(worlds.noGateway(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.equal(run.events.filter((e) => /^route-(add|delete|change) /.test(e)).length, 0, explain(run));
    assertFlipped(run, { bootif: "re0", ip: CLIENT_IP, prefixLength: 24, ports: ["re0", "wlan0"], master: "re0" });
  });
});

test("boot NIC known only by MAC: wlan0 and lagg0 carry the same MAC and are skipped", async () => {
  await withModel(worlds.bootifByMacOnly(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, { ...flipped, bootif: "ue0", ports: ["wlan0", "ue0"], master: "ue0" });
  });
});

test("lagg_wired_primary=NO: the boot NIC joins behind wlan0, which stays master", async () => {
  await withModel(worlds.normal(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.ok(!run.events.some((e) => e.startsWith("-laggport")), explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0", "wlan0"], master: "wlan0" });
  }, { rcConf: ['lagg_wired_primary="NO"'] });
});

test("boot NIC found from the route to the NFS server when kenv names nothing", async () => {
  await withModel(worlds.bootifByRouteOnly(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0", "wlan0"], master: "re0" });
  });
});

test("no boot.netif.* values: address and mask from ifconfig, gateway from the routing table", async () => {
  await withModel(worlds.noNetifKenv(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.ok(run.events.some((e) => e === "inet-add lagg0 198.18.0.10/24"), explain(run));
    assertFlipped(run, { ...flipped, ports: ["re0", "wlan0"], master: "re0" });
  });
});

test("boot path: /etc/rc's run_rc_script sources the script with faststart and it flips", async () => {
  await withModel(worlds.normal(), [], async (run) => {
    const r = await runInRoot(run.root, ["/bin/sh", "-c", ". /etc/rc.subr; run_rc_script /etc/rc.d/lagg faststart; echo rc-continues"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Moving 198\.18\.0\.10 from re0 to lagg0\.\n[^]*rc-continues/);
    const status = await runInRoot(run.root, ["/etc/rc.d/lagg", "status"]);
    assert.match(status.stdout, /^lagg: flipped: /);
    const verdict = judge(readModelFile(run.root, "log"), await reach(run.root));
    assert.deepEqual(verdict.violations, []);
    assert.ok(verdict.execs.some((e) => !e.nfsUp && e.onMemoryFs), "no window seen");
  });
});
