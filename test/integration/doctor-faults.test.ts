/**
 * doctor's faults from issue 11, each against the real CLI in a namespace:
 * an NFS server with no route is a finding (it crashed with
 * ERR_SOCKET_BAD_PORT, with and without --json); whatever escapes a command
 * exits 70 in one line; `doctor --root DIR` checks the tree `apply --root
 * DIR` wrote.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import { tempDir } from "../interop/dhcp-harness.js";
import { CLI } from "../support/serve-proc.js";

interface Report { ok: boolean; failed: number; findings: { check: string; status: string; proves: string; advice?: string }[] }

/** An NFS server this namespace has no route to (it has no default route). */
const NO_ROUTE = "198.19.200.1";

describe("doctor faults", { timeout: 120_000 }, () => {
  let lab: Lab;
  let ns: Namespace;
  let dir: string;
  let inv: string;

  before(async () => {
    dir = tempDir("doctor-faults");
    mkdirSync(join(dir, "tftp"));
    for (const f of ["pxeboot", "loader.efi", "boot.ipxe"]) writeFileSync(join(dir, "tftp", f), "x");
    inv = join(dir, "laggboot.yaml");
    writeFileSync(inv, [
      "server:",
      "  address: 198.18.41.1",
      "  networks: [{ name: lan, prefix: 198.18.41.0/24 }]",
      `  tftp: { root: ${dir}/tftp }`,
      `  storage: { path: ${dir}/db/l.sqlite }`,
      `  nfs: { server: ${NO_ROUTE}, rootsDir: /srv/lbdoc }`,
      "clients:",
      "  - { name: fb1, kind: freebsd-lagg, ip: 198.18.41.10, macs: [02:00:00:00:41:01], wired: re0 }",
      "  - { name: fb2, kind: freebsd-lagg, ip: 198.18.41.11, macs: [02:00:00:00:41:02], wired: re0, root: { layout: shared, path: /srv/lbdoc/shared } }",
      "",
    ].join("\n"));
    lab = new Lab("docfault");
    ns = (await lab.serverAndClient("198.18.41.1/24")).srv;
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: readonly string[], preload?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const node = preload === undefined ? [process.execPath] : [process.execPath, "--import", `data:text/javascript,${encodeURIComponent(preload)}`];
    const r = await ns.exec(["sh", "-c", `"$@"; echo "exit=$?" >&2`, "sh", ...node, CLI, ...args]);
    const code = Number(/exit=(\d+)\s*$/.exec(r.stderr)![1]);
    return { code, stdout: r.stdout, stderr: r.stderr.replace(/exit=\d+\s*$/, "") };
  }

  test("doctor crashes when the NFS server has no route: now a finding, text and --json", async () => {
    const text = await run(["doctor", "--config", inv, "--nfs-timeout", "2"]);
    assert.equal(text.code, 1, text.stderr);
    assert.equal(text.stderr, "");
    assert.match(text.stdout, new RegExp(`FAIL nfs export for fb1: No route to ${NO_ROUTE.replaceAll(".", "\\.")} from this machine \\(ENETUNREACH\\)`));
    assert.match(text.stdout, /-> Check nfs\.server/);
    const json = await run(["doctor", "--json", "--config", inv, "--nfs-timeout", "2"]);
    assert.equal(json.code, 1, json.stderr);
    const report = JSON.parse(json.stdout) as Report;
    const nfs = report.findings.filter((f) => f.check.startsWith("nfs export"));
    assert.equal(nfs.length, 2);
    assert.ok(nfs.every((f) => f.status === "fail" && f.proves.startsWith(`No route to ${NO_ROUTE}`)), JSON.stringify(nfs));
  });

  test("an error that escapes a command exits 70 with one line and no stack trace", async () => {
    // An NFS server on the link that does not answer keeps doctor waiting for 3 s; meanwhile a timer
    // throws, the kind of throw the NFS crash was (once the CLI has started, so it is the CLI's to handle).
    const silent = join(dir, "silent.yaml");
    writeFileSync(silent, readFileSync(inv, "utf8").replace(`server: ${NO_ROUTE}`, "server: 198.18.41.99"));
    const preload = "const t = setInterval(() => { if (process.listenerCount('uncaughtException') > 0) { clearInterval(t); setTimeout(() => { throw new RangeError('escaped on purpose'); }, 200); } }, 5);";
    const r = await run(["doctor", "--config", silent, "--nfs-timeout", "3"], preload);
    assert.equal(r.code, 70, r.stderr);
    assert.equal(r.stderr, "laggboot: internal error [LB_ERR_INTERNAL]: escaped on purpose\n");
  });

  test("doctor --root DIR checks the tree apply --root DIR wrote", async () => {
    const stage = join(dir, "stage");
    mkdirSync(join(stage, "srv/lbdoc/fb1"), { recursive: true });
    mkdirSync(join(stage, "srv/lbdoc/shared/etc"), { recursive: true });
    const before = JSON.parse((await run(["doctor", "--json", "--no-nfs", "--root", stage, "--config", inv])).stdout) as Report;
    const status = (r: Report, check: string) => r.findings.find((f) => f.check === check)?.status;
    assert.equal(status(before, "client files for fb1"), "fail");
    assert.equal(status(before, "shared root /srv/lbdoc/shared"), "fail");
    const applied = await run(["apply", "--root", stage, "--config", inv]);
    assert.equal(applied.code, 0, applied.stderr);
    const after = JSON.parse((await run(["doctor", "--json", "--no-nfs", "--root", stage, "--config", inv])).stdout) as Report;
    for (const check of ["client files for fb1", "client files for fb2", "shared root /srv/lbdoc/shared"]) {
      assert.equal(status(after, check), "ok", JSON.stringify(after.findings.find((f) => f.check === check)));
    }
    // An edit since apply is seen.
    writeFileSync(join(stage, "srv/lbdoc/fb1/etc/rc.conf.local"), "# edited\n");
    const edited = JSON.parse((await run(["doctor", "--json", "--no-nfs", "--root", stage, "--config", inv])).stdout) as Report;
    const f = edited.findings.find((x) => x.check === "client files for fb1")!;
    assert.equal(f.status, "fail");
    assert.match(f.proves, /not written by laggboot, or edited since: .*fb1\/etc\/rc\.conf\.local/);
    assert.equal((await run(["doctor", "--root", join(dir, "no-such-dir"), "--config", inv])).code, 2);
  });
});
