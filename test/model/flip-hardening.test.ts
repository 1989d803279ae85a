// The flip against what a source review of FreeBSD found beyond the first
// model: the window runs chrooted into its memory disk, which is
// malloc-backed; a site that asks for DHCP on the boot NIC, the lagg or its
// ports (which devd's replayed boot events would act on) makes the script
// refuse; the boot NIC's offloads change before the window, not when wlan0
// rejoins. Each rule has a mutant that the model catches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { explain, withModel, withMutant, type ModelRun } from "./harness.js";
import { CLIENT_IP, GATEWAY_IP, worlds } from "./scenarios.js";
import { assertFlipped, assertNoChange, assertOracleClean, assertRestored, output } from "./expect.js";

const flipped = { bootif: "re0", ip: CLIENT_IP, prefixLength: 24, gateway: GATEWAY_IP, ports: ["re0", "wlan0"], master: "re0" } as const;

function at(run: ModelRun, prefix: string): number {
  return run.events.findIndex((e) => e.startsWith(prefix));
}

test("the window runs chrooted into a malloc-backed memory disk", async () => {
  await withModel(worlds.normal(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, flipped); // includes: every start inside the window is chrooted into the disk
    assert.ok(run.events.some((e) => /^mdmfs \/dev\/md\d+ \/tmp\/lagg\.\S+ malloc$/.test(e)), explain(run));
    // The pre-run, too, ran every tool of the window chrooted, before the window opened.
    const tools = run.verdict.execs.filter((e) => ["./ifconfig", "./route", "./sleep"].includes(e.argv[0]!));
    assert.ok(tools.some((e) => e.argv[0] === "./sleep") && tools.every((e) => e.root !== "/"), explain(run));
  });
});

test("chrooted window: a stray absolute path fails at once and the flip rolls back", async () => {
  for (const [from, to] of [
    ['step ./ifconfig -n "$bootif" inet "$ip" -alias ||', 'step ./ifconfig -n "$bootif" inet "$ip" -alias 2>/dev/null ||'],
    ['step ./ifconfig -n "$bootif" inet "$ip" -alias ||', 'step /sbin/ifconfig -n "$bootif" inet "$ip" -alias ||'],
  ] as const) {
    await withMutant(worlds.normal(), [[from, to]], ["start"], (run) => {
      assert.equal(run.runs[0]!.code, 1, explain(run));
      assert.match(output(run), /removing 198\.18\.0\.10 from re0; rolling back/);
      const log = readFileSync(join(run.root.dir, "var/run/lagg.log"), "utf8");
      assert.match(log, to.includes("/dev/null") ? /\/dev\/null/ : /\/sbin\/ifconfig: (not found|No such file)/, log);
      // Nothing was started or looked up on the NFS root; the root is back as it was.
      assert.ok(!run.verdict.execs.some((e) => e.path === "/sbin/ifconfig" && !e.nfsUp), explain(run));
      assertOracleClean(run);
      assertRestored(run, { ipv6Stripped: "re0" });
    });
  }
});

test("negative control: a window that is not chrooted is caught", async () => {
  await withMutant(worlds.normal(), [["exec ./chroot . ./sh ./window", "exec ./sh ./window"]], ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.throws(() => assertFlipped(run, flipped), /did not run chrooted/);
  });
});

test("negative control: a swap-backed memory disk is caught", async () => {
  await withMutant(worlds.normal(), [["mdmfs -M -S", "mdmfs -S"]], ["start"], (run) => {
    assert.ok(run.verdict.violations.some((m) => m.includes("swap-backed memory disk")), explain(run));
  });
});

for (const [what, lines, iface] of [
  ["ifconfig_DEFAULT", ['ifconfig_DEFAULT="DHCP"'], "ifconfig_DEFAULT"],
  ["the boot NIC", ['ifconfig_re0="SYNCDHCP"'], "re0"],
  ["the boot NIC (_ipv4)", ['ifconfig_re0_ipv4="inet dhcp"'], "re0"],
  ["the lagg", ['ifconfig_lagg0="laggproto failover laggport wlan0 DHCP"'], "lagg0"],
  ["a port of the lagg", ['ifconfig_wlan0="WPA NOSYNCDHCP"'], "wlan0"],
] as const) {
  test(`rc.conf asks for DHCP on ${what}: refuse, change nothing`, async () => {
    await withModel(worlds.normal(), ["start"], (run) => {
      assert.equal(run.runs[0]!.code, 1, explain(run));
      const want = iface === "ifconfig_DEFAULT" ? /ifconfig_DEFAULT asks for DHCP: devd would start dhclient on re0/ : new RegExp(`asks for DHCP on ${iface}: dhclient would take the boot address over`);
      assert.match(output(run), want);
      assert.match(output(run), /Not flipping\./);
      assertNoChange(run);
      assertOracleClean(run);
    }, { rcConf: lines });
  });
}

test("DHCP elsewhere, or ifconfig_DEFAULT without it, does not stop the flip", async () => {
  await withModel(worlds.normal(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, flipped);
  }, { rcConf: ['ifconfig_DEFAULT="up"', 'ifconfig_em1="DHCP"', 'ifconfig_wlan0="WPA"'] });
});

test("offloads: switched off on the boot NIC before the window; wlan0 rejoining changes nothing on it", async () => {
  await withModel(worlds.normal(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assertFlipped(run, flipped);
    const ours = run.events.filter((e) => /^caps re0 -\w+ \(ifconfig\)$/.test(e));
    assert.deepEqual(ours.map((e) => e.split(" ")[2]), ["-RXCSUM", "-TXCSUM", "-VLAN_MTU", "-VLAN_HWTAGGING", "-VLAN_HWCSUM", "-TSO4", "-WOL_MAGIC"]);
    const lastOffload = run.events.lastIndexOf(ours[ours.length - 1]!);
    assert.ok(lastOffload < at(run, "-laggport lagg0 wlan0") && lastOffload < at(run, "laggport lagg0 re0"), explain(run));
    assert.ok(!run.events.some((e) => /^caps re0 .*\(set by lagg\)$/.test(e)), explain(run));
    // What ifconfig cannot switch off stays, as lagg(4) leaves it.
    assert.deepEqual(run.state.ifaces.get("re0")?.caps, ["LINKSTATE"]);
  });
});

test("negative control: without the offload step, lagg(4) changes the boot NIC after the window", async () => {
  await withMutant(worlds.normal(), [["_offloads=$(lagg_offload_flags)", '_offloads=""']], ["start"], (run) => {
    const stripped = at(run, "caps re0 -RXCSUM,-TXCSUM");
    assert.ok(stripped > at(run, "route-add default"), explain(run));
    assert.match(run.events[stripped]!, /\(set by lagg\)$/);
  });
});

test("offloads: a failed flip turns them back on after the boot NIC left the lagg", async () => {
  await withModel(worlds.failAfterJoin(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 1, explain(run));
    const back = run.events.findIndex((e) => /^caps re0 \+RXCSUM \(ifconfig\)$/.test(e));
    assert.ok(back > at(run, "-laggport lagg0 re0"), explain(run));
    assertRestored(run, { ipv6Stripped: "re0" }); // capabilities included
  });
});

test("offloads that cannot be changed: a warning, and the flip goes on (lagg(4) changes them after the window)", async () => {
  await withModel(worlds.offloadsFail(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.match(output(run), /WARNING: could not change the offloads of re0; lagg\(4\) will when the other ports rejoin/);
    assertFlipped(run, flipped);
    assert.ok(at(run, "caps re0 -RXCSUM") > at(run, "route-add default"), explain(run));
  });
});

test("offloads: a lagg with the cable alone leaves them as they are", async () => {
  await withModel(worlds.noWifi(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    assert.ok(!run.events.some((e) => e.startsWith("caps ")), explain(run));
    assert.doesNotMatch(output(run), /Turning off/);
  });
});

test("lagg_wired_primary=NO: the boot NIC's MAC is forced (a bounce) inside the window, its offloads are not", async () => {
  await withModel(worlds.normal(), ["start"], (run) => {
    assert.equal(run.runs[0]!.code, 0, explain(run));
    const join = at(run, "laggport lagg0 re0");
    const bounce = run.events.indexOf("lladdr re0 00:1e:68:aa:bb:cc (forced by lagg)");
    assert.ok(bounce >= 0 && bounce < join && join < at(run, "inet-del re0"), explain(run));
    assert.ok(!run.events.some((e) => /^caps re0 .*\(set by lagg\)$/.test(e)), explain(run));
    assertFlipped(run, { ...flipped, master: "wlan0" });
  }, { rcConf: ['lagg_wired_primary="NO"'] });
});
