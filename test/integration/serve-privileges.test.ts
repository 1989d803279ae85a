/**
 * serve with server.runAs: it binds 67 and 69 as root, hands the lease
 * database to the user, drops to it, and keeps serving DHCP and TFTP; a
 * reload that would need a new privileged port is refused with a restart hint.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, waitExit, type Namespace } from "../support/netns.js";
import { parseEnv, setMac, tempDir } from "../interop/dhcp-harness.js";
import { startServe, type ServeProc } from "../support/serve-proc.js";

const SERVER = "198.18.31.1";
const MAC = "02:00:00:00:31:01";

function inventory(dir: string, tftpPort: number): string {
  return [
    "server:",
    `  address: ${SERVER}`,
    "  networks: [{ name: lan, prefix: 198.18.31.0/24, domain: lab.example }]",
    `  tftp: { root: ${dir}/tftp, port: ${tftpPort} }`,
    `  storage: { path: ${dir}/db/leases.sqlite }`,
    "  runAs: { user: nobody, group: nogroup }",
    "clients:",
    `  - { name: pc1, kind: pxe, ip: 198.18.31.10, macs: [${MAC}] }`,
    "",
  ].join("\n");
}

describe("serve drops privileges after binding", { timeout: 120_000 }, () => {
  let lab: Lab;
  let srv: Namespace;
  let cli: Namespace;
  let dir: string;
  let serve: ServeProc;
  const nobodyUid = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }).trim());

  before(async () => {
    dir = tempDir("privs");
    chmodSync(dir, 0o755); // the unprivileged user must reach the TFTP root
    mkdirSync(join(dir, "tftp"));
    writeFileSync(join(dir, "tftp/pxeboot"), "boot program\n");
    writeFileSync(join(dir, "laggboot.yaml"), inventory(dir, 69));
    lab = new Lab("privs");
    ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
    await cli.addr("c0", "198.18.31.200/24");
    serve = startServe(srv, ["--config", join(dir, "laggboot.yaml")]);
    await serve.waitLog((l) => l["msg"] === "laggboot serving");
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the process runs as the unprivileged user and owns its database", async () => {
    const line = await serve.waitLog((l) => l["msg"] === "dropped root privileges");
    assert.equal(line["uid"], nobodyUid);
    const status = readFileSync(`/proc/${serve.child.pid}/status`, "utf8");
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)!;
    assert.deepEqual(uids.slice(1).map(Number), [nobodyUid, nobodyUid, nobodyUid, nobodyUid], "real, effective, saved and fs uid");
    assert.equal(statSync(join(dir, "db/leases.sqlite")).uid, nobodyUid);
  });

  test("DHCP and TFTP still answer on their privileged ports", async () => {
    await setMac(cli, "c0", MAC);
    const script = join(dir, "u.sh");
    writeFileSync(script, `#!/bin/sh\nenv > "${dir}/u-$1.env"\n`);
    chmodSync(script, 0o755);
    const child = cli.spawn(["busybox", "udhcpc", "-i", "c0", "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", script], { stdio: ["ignore", "ignore", "ignore"] });
    await waitExit(child, 20_000);
    assert.ok(existsSync(join(dir, "u-bound.env")), "no lease after the privilege drop");
    assert.equal(parseEnv(readFileSync(join(dir, "u-bound.env"), "utf8")).get("ip"), "198.18.31.10");
    const out = join(dir, "got");
    await cli.exec(["busybox", "tftp", "-g", "-r", "pxeboot", "-l", out, SERVER], 20_000);
    assert.equal(readFileSync(out, "utf8"), "boot program\n");
  });

  test("a reload that needs a new privileged port is refused: restart needed", async () => {
    writeFileSync(join(dir, "laggboot.yaml"), inventory(dir, 70));
    serve.child.kill("SIGHUP");
    const line = await serve.waitLog((l) => String(l["msg"]).startsWith("reload refused"));
    assert.match(String(line["reason"]), /privileged port.*restart laggboot/);
    serve.child.kill("SIGTERM");
    assert.equal(await serve.exited, 0);
  });
});

describe("serve refuses to start, and exits, when it cannot bind or cannot become runAs", { timeout: 60_000 }, () => {
  test("a busy TFTP port: exit 2 with the error, nothing left running", async () => {
    const dir = tempDir("busy");
    const lab = new Lab("busy");
    try {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, "tftp"));
      const { srv } = await lab.serverAndClient(`${SERVER}/24`);
      writeFileSync(join(dir, "laggboot.yaml"), inventory(dir, 69).replace("  runAs: { user: nobody, group: nogroup }\n", ""));
      const holder = srv.spawn([process.execPath, "-e", `require('node:dgram').createSocket('udp4').bind(69, '${SERVER}')`], { stdio: ["ignore", "ignore", "ignore"] });
      await new Promise((r) => setTimeout(r, 500));
      const serve = startServe(srv, ["--config", join(dir, "laggboot.yaml")]);
      const code = await Promise.race([serve.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 20_000))]);
      assert.equal(code, 2, serve.stderrText());
      assert.match(serve.stderrText(), /^laggboot: error \[LB_ERR_BIND\]: TFTP cannot bind UDP 198\.18\.31\.1:69: the port is in use by pid \d+ \(/m);
      holder.kill("SIGKILL");
    } finally {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("busy ports disagree: DHCP, ProxyDHCP, TFTP and HTTP busy all exit 2 with one LB_ERR_BIND sentence, no pid file left", async () => {
    const dir = tempDir("busyall");
    const lab = new Lab("busyall");
    try {
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, "tftp"));
      const { srv } = await lab.serverAndClient(`${SERVER}/24`);
      const base = inventory(dir, 69).replace("  runAs: { user: nobody, group: nogroup }\n", "");
      const cases: { name: string; inv: string; hold: string; sentence: RegExp }[] = [
        { name: "DHCP", inv: base, hold: "require('node:dgram').createSocket('udp4').bind(67, '0.0.0.0')", sentence: /DHCP cannot bind UDP 0\.0\.0\.0:67: the port is in use by pid \d+ \(/ },
        { name: "ProxyDHCP", inv: base.replace("  tftp:", "  dhcp: { mode: proxy }\n  tftp:"), hold: "require('node:dgram').createSocket('udp4').bind(4011, '0.0.0.0')", sentence: /ProxyDHCP cannot bind UDP 0\.0\.0\.0:4011: the port is in use by pid \d+ \(/ },
        { name: "TFTP", inv: base, hold: `require('node:dgram').createSocket('udp4').bind(69, '${SERVER}')`, sentence: /TFTP cannot bind UDP 198\.18\.31\.1:69: the port is in use by pid \d+ \(/ },
        { name: "HTTP", inv: base, hold: "require('node:net').createServer().listen(8067, '127.0.0.1')", sentence: /HTTP status API cannot bind TCP 127\.0\.0\.1:8067: the port is in use by pid \d+ \(/ },
      ];
      for (const c of cases) {
        writeFileSync(join(dir, "laggboot.yaml"), c.inv);
        const holder = srv.spawn([process.execPath, "-e", c.hold], { stdio: ["ignore", "ignore", "ignore"] });
        try {
          await new Promise((r) => setTimeout(r, 500));
          const serve = startServe(srv, ["--config", join(dir, "laggboot.yaml"), "--pidfile", join(dir, "serve.pid")]);
          const code = await Promise.race([serve.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 20_000))]);
          assert.equal(code, 2, `${c.name}: ${serve.stderrText()}`);
          const last = serve.stderrText().trim().split("\n").pop()!;
          assert.match(last, /^laggboot: error \[LB_ERR_BIND\]: /, c.name);
          assert.match(last, c.sentence, c.name);
          assert.equal(existsSync(join(dir, "serve.pid")), false, `${c.name}: pid file left`);
        } finally {
          holder.kill("SIGKILL");
          await waitExit(holder, 5000);
        }
      }
    } finally {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an unknown runAs user: exit 2 before binding anything", async () => {
    const dir = tempDir("nouser");
    const lab = new Lab("nouser");
    try {
      mkdirSync(join(dir, "tftp"));
      const { srv } = await lab.serverAndClient(`${SERVER}/24`);
      writeFileSync(join(dir, "laggboot.yaml"), inventory(dir, 69).replace("user: nobody", "user: no-such-user-lb"));
      const serve = startServe(srv, ["--config", join(dir, "laggboot.yaml")]);
      assert.equal(await serve.exited, 2);
      assert.match(serve.stderrText(), /no such user "no-such-user-lb"/);
      assert.ok(!serve.logs.some((l) => l["msg"] === "laggboot serving"));
    } finally {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
