/**
 * The real `laggboot doctor` in a namespace: it binds the ports to see they
 * are free, sees a port held by a running laggboot as fine and one held by
 * another program as a failure, and reports an NFS server without a
 * portmapper with advice. (The MOUNT check against a real nfs-ganesha is in
 * test/interop/mount-ganesha.test.ts.)
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import { tempDir } from "../interop/dhcp-harness.js";
import { CLI, startServe } from "../support/serve-proc.js";

interface Report { ok: boolean; failed: number; findings: { check: string; status: string; proves: string; advice?: string }[] }

describe("laggboot doctor on a namespace", { timeout: 60_000 }, () => {
  let lab: Lab;
  let ns: Namespace;
  let dir: string;
  let inv: string;

  before(async () => {
    dir = tempDir("doctor");
    mkdirSync(join(dir, "tftp"));
    writeFileSync(join(dir, "tftp/pxeboot"), "x");
    writeFileSync(join(dir, "tftp/boot.ipxe"), "#!ipxe\n");
    inv = join(dir, "laggboot.yaml");
    writeFileSync(inv, [
      "server:",
      "  address: 198.18.40.1",
      "  networks: [{ name: lan, prefix: 198.18.40.0/24 }]",
      `  tftp: { root: ${dir}/tftp }`,
      `  storage: { path: ${dir}/db/l.sqlite }`,
      "clients:",
      "  - { name: fb1, kind: freebsd-lagg, ip: 198.18.40.10, macs: [02:00:00:00:40:01], wired: re0 }",
      "",
    ].join("\n"));
    lab = new Lab("doctor");
    ns = (await lab.serverAndClient("198.18.40.1/24")).srv;
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function doctor(): Promise<{ code: number; report: Report }> {
    const r = await ns.exec(["sh", "-c", `${process.execPath} ${CLI} doctor --json --nfs-timeout 1 --config ${inv}; echo "exit=$?"`]);
    const code = Number(/exit=(\d+)/.exec(r.stdout)![1]);
    return { code, report: JSON.parse(r.stdout.replace(/exit=\d+\s*$/, "")) as Report };
  }

  test("finds the missing boot file and the missing portmapper, passes the rest", async () => {
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const status = Object.fromEntries(report.findings.map((f) => [f.check, f.status]));
    assert.equal(status["address 198.18.40.1"], "ok");
    assert.equal(status["port udp/67"], "ok");
    assert.equal(status["port udp/69"], "ok");
    assert.equal(status["port tcp/8067"], "ok");
    assert.equal(status["boot file pxeboot"], "ok");
    assert.equal(status["boot file loader.efi"], "fail");
    const nfs = report.findings.find((f) => f.check === "nfs export for fb1")!;
    assert.equal(nfs.status, "fail");
    assert.match(nfs.proves, /No portmapper \(rpcbind\) answered at 198\.18\.40\.1:111/);
    assert.match(nfs.advice!, /rpcbind/);
  });

  test("ports held by a running laggboot pass; the boot file, once there, passes", async () => {
    writeFileSync(join(dir, "tftp/loader.efi"), "x");
    const serve = startServe(ns, ["--config", inv]);
    try {
      await serve.waitLog((l) => l["msg"] === "laggboot serving");
      const { report } = await doctor();
      const ports = report.findings.filter((f) => f.check.startsWith("port"));
      assert.deepEqual(ports.map((f) => f.status), ["ok", "ok", "ok"], JSON.stringify(ports));
      assert.ok(ports.every((f) => /held by a running laggboot/.test(f.proves)), JSON.stringify(ports));
      assert.equal(report.findings.find((f) => f.check === "boot file loader.efi")!.status, "ok");
    } finally {
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  });

  test("a port held by another program fails with advice", async () => {
    const holder = ns.spawn([process.execPath, "-e", "require('node:dgram').createSocket('udp4').bind(69, '198.18.40.1')"], { stdio: ["ignore", "ignore", "ignore"] });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const { report } = await doctor();
      const f = report.findings.find((x) => x.check === "port udp/69")!;
      assert.equal(f.status, "fail");
      assert.match(f.proves, /in use by pid \d+ \(\S*node -e /);
      assert.match(f.advice!, /Stop the other TFTP server/);
    } finally {
      holder.kill("SIGKILL");
    }
  });
});
