/**
 * `laggboot lab --client linux` through the real CLI: the diskless Linux
 * client boots from laggboot serve with its bond and NFS root, its cable is
 * pulled and plugged back twice while its heartbeat goes on, the run is
 * printed live and as JSON, and nothing the command made is left behind.
 * The full proof (ten pulls, the backup, both cables, reboot, run-time flip,
 * negative control) is test/e2e/linux-client.test.ts.
 * Needs root and the packages named there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LinuxLabReport } from "../../src/cli/lab-linux.js";
import { ensureLinuxClientAssets } from "../../src/lab/linux-assets.js";

const CLI = join(process.cwd(), "dist/src/cli/main.js");

function run(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "lab", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`laggboot lab did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => void (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => void (stderr += c.toString("utf8")));
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("laggboot lab --client linux --pulls 2 --json: boots on the bond, the heartbeat goes on through the pulls; nothing left", { timeout: 400_000 }, async (t) => {
  await ensureLinuxClientAssets();
  const r = await run(["--client", "linux", "--pulls", "2", "--timeout", "240", "--json"], 380_000);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as LinuxLabReport;
  assert.equal(report.ok, true, report.failure);
  assert.deepEqual(report.stages.map((s) => s.stage), ["dhcp-offered", "dhcp-acked", "ipxe-script-sent", "file-sent", "file-sent", "os-dhcp-acked"]);
  assert.equal(report.stages[2]!.detail, `laggboot/${report.client!.name}.ipxe`);
  assert.ok(report.console.some((c) => c.text.startsWith("laggboot-bond: bond0: active-backup of ")), "the bond from the initramfs");
  assert.ok(report.console.some((c) => /^IP-Config: bond0 complete/.test(c.text)));
  assert.deepEqual(report.events.map((e) => e.what), ["pull 1: wired cable out", "pull 1: wired cable back", "pull 2: wired cable out", "pull 2: wired cable back"]);
  for (const e of report.events) assert.ok(e.gapS < 10, `${e.what}: ${e.gapS} s`);
  assert.equal(report.failover!.count, 2);
  const live = r.stderr;
  assert.match(live, /server +os-dhcp-acked /, "stages printed live");
  assert.match(live, /lab +pull 1: largest heartbeat gap /);
  const ns = /namespaces (\S+) \(laggboot serve, nfs-ganesha\) and (\S+) \(QEMU\); work dir (\S+)/.exec(live);
  assert.ok(ns, live);
  const left = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  for (const n of [ns[1]!, ns[2]!]) {
    assert.ok(!left.includes(n), `namespace ${n} left behind`);
    assert.ok(!existsSync(`/etc/netns/${n}`));
  }
  assert.ok(!existsSync(ns[3]!), "work dir left behind");
  const pid = /qemu +started \(.*pid (\d+)\)/.exec(live);
  assert.ok(pid, live);
  assert.throws(() => process.kill(Number(pid[1]), 0), "QEMU still running");
  t.diagnostic(`first heartbeat ${(report.bootToHeartbeatMs! / 1000).toFixed(1)} s after QEMU started; gaps ${report.events.map((e) => e.gapS.toFixed(2)).join(" ")} s`);
});

test("laggboot lab --client linux: usage errors exit 2", async () => {
  const uefi = await run(["--client", "linux", "--firmware", "uefi"], 30_000);
  assert.equal(uefi.code, 2);
  assert.match(uefi.stderr, /--client linux boots with --firmware bios/);
  const pulls = await run(["--client", "linux", "--pulls", "many"], 30_000);
  assert.equal(pulls.code, 2);
  assert.match(pulls.stderr, /--pulls must be a whole number/);
  const os = await run(["--client", "windows"], 30_000);
  assert.equal(os.code, 2);
});
