/**
 * The pieces of serve's lifecycle on their own: signals remembered during
 * start-up, the pid file (written, removed, or emptied where it may not be
 * removed), the control socket's protocol against hostile input, and the
 * reloader's outcomes, none of which can throw.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlServer, MAX_CONTROL_BYTES, controlPathFor, parseReloadRequest, parseReply, sendReload } from "../../src/app/control-socket.js";
import { PidFile, readPidFile } from "../../src/app/pidfile.js";
import { Reloader, type ReloadOutcome } from "../../src/app/reloader.js";
import { SignalGate } from "../../src/app/signals.js";
import { createLogger } from "../../src/app/logger.js";
import { handedProbe, recordingProbe } from "../../src/config/probe.js";
import { loadInventoryText } from "../../src/config/load.js";
import { LaggbootError } from "../../src/errors.js";
import type { Inventory } from "../../src/config/types.js";
import { siteProbe } from "../support/probe.js";

const fakeProcess = () => {
  const e = new EventEmitter();
  return { proc: e as unknown as Pick<NodeJS.Process, "on" | "off">, emit: (s: string) => e.emit(s), count: () => e.listenerCount("SIGHUP") + e.listenerCount("SIGTERM") + e.listenerCount("SIGINT") };
};

test("signals before the server is ready are remembered: one reload after start-up, a stop at once", async () => {
  const f = fakeProcess();
  const gate = new SignalGate(f.proc);
  assert.equal(f.count(), 3, "installed at construction");
  f.emit("SIGHUP");
  f.emit("SIGHUP");
  const calls: string[] = [];
  const stopped = gate.run({ reload: () => calls.push("reload"), stop: async (s) => void calls.push(`stop ${s}`) });
  assert.deepEqual(calls, ["reload"]);
  f.emit("SIGHUP");
  f.emit("SIGTERM");
  f.emit("SIGHUP"); // while stopping: ignored
  f.emit("SIGINT"); // a second stop: ignored
  await stopped;
  assert.deepEqual(calls, ["reload", "reload", "stop SIGTERM"]);
  gate.dispose();
  assert.equal(f.count(), 0);

  const early = fakeProcess();
  const g2 = new SignalGate(early.proc);
  early.emit("SIGHUP");
  early.emit("SIGINT");
  const c2: string[] = [];
  await g2.run({ reload: () => c2.push("reload"), stop: async (s) => void c2.push(`stop ${s}`) });
  assert.deepEqual(c2, ["stop SIGINT"], "a stop during start-up wins over a pending reload");
});

test("the pid file: written, removed on release, never another server's (emptying it where unlinking is refused: serve-service-files.test.ts)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-pid-"));
  try {
    const p = PidFile.write(join(dir, "a.pid"), 4242);
    assert.deepEqual(readPidFile(join(dir, "a.pid")), { ok: true, pid: 4242 });
    p.release();
    p.release();
    assert.equal(existsSync(join(dir, "a.pid")), false);

    // Another server replaced the file: it is not ours to remove.
    const q = PidFile.write(join(dir, "b.pid"), 4243);
    rmSync(join(dir, "b.pid"));
    writeFileSync(join(dir, "b.pid"), "9999\n");
    q.release();
    assert.equal(readFileSync(join(dir, "b.pid"), "utf8"), "9999\n");

    assert.throws(() => PidFile.write(join(dir, "no/such/dir.pid")), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_IO" && /cannot write the pid file .*ENOENT/.test(e.message));
    assert.match(String((readPidFile(join(dir, "none.pid")) as { why: string }).why), /does not exist/);
    writeFileSync(join(dir, "junk.pid"), "hello\n");
    assert.match(String((readPidFile(join(dir, "junk.pid")) as { why: string }).why), /does not hold a process id/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the control socket lives beside the pid file", () => {
  assert.equal(controlPathFor("/run/laggboot.pid"), "/run/laggboot.sock");
  assert.equal(controlPathFor("/var/run/laggboot.pid"), "/var/run/laggboot.sock");
  assert.equal(controlPathFor("/tmp/x/pid"), "/tmp/x/pid.sock");
});

test("control requests and replies: anything that is not exactly a reload is refused with a reason", () => {
  for (const [text, why] of [
    ["", "not JSON"], ["[]", "unknown op undefined"], ["null", "not a JSON object"], ['{"op":"shutdown"}', 'unknown op "shutdown"'],
    ['{"op":"reload","path":"/x","text":"a"}', "a reload needs path, text and secrets"],
    ['{"op":"reload","path":"/x","text":"a","secrets":{"/k":5}}', "a reload needs path, text and secrets"],
    ['{"op":"reload","path":1,"text":"a","secrets":{}}', "a reload needs path, text and secrets"],
  ] as const) assert.equal(parseReloadRequest(text), why, text);
  assert.deepEqual(parseReloadRequest('{"op":"reload","path":"/x","text":"a","secrets":{"/k":"v"},"extra":1}'), { op: "reload", path: "/x", text: "a", secrets: { "/k": "v" } });
  assert.equal(parseReply('{"outcome":"reloaded","clients":"3","warnings":[]}'), "not a reload outcome");
  assert.deepEqual(parseReply('{"outcome":"refused","reason":"r"}'), { outcome: "refused", reason: "r" });
});

const INV = "server:\n  address: 198.18.0.1\n  networks: [{ name: lan, prefix: 198.18.0.0/24 }]\nclients:\n  - { name: pc1, kind: pxe, ip: 198.18.0.10, macs: [02:00:00:00:00:01] }\n";
const WIFI = (file: string) => `${INV}  - { name: fb1, kind: freebsd-lagg, ip: 198.18.0.11, macs: [02:00:00:00:00:02], wired: re0, wifi: { parent: iwn0, firmware: [iwn6000fw], ssid: s, passphraseFile: ${file} } }\n`;

function reloaderFor(path: string, app: { reload(i: Inventory): { ok: boolean; reason?: string } }, read: () => string, lines: string[]) {
  const log = createLogger({ level: "debug", format: "json", write: (l) => lines.push(l) });
  return new Reloader({ app, log, path, readFile: read, droppedTo: () => "nobody", probe: siteProbe });
}

test("the reloader: every failure is an outcome and a log line, never a throw; secrets come only from the request", () => {
  const lines: string[] = [];
  const applied: Inventory[] = [];
  const app = { reload: (i: Inventory) => (applied.push(i), i.clients.length > 2 ? { ok: false, reason: "needs a restart" } : { ok: true }) };
  const r = reloaderFor("/etc/laggboot/laggboot.yaml", app, () => {
    throw new LaggbootError("LB_ERR_IO", "cannot read /etc/laggboot/laggboot.yaml: permission denied");
  }, lines);
  const denied = r.fromFile();
  assert.equal(denied.outcome, "rejected");
  assert.match((denied as { hint: string }).hint, /runs as nobody .* run 'laggboot reload' as root/);
  assert.match(lines.pop()!, /"msg":"reload rejected: still serving the previous inventory".*permission denied/);

  const ok = r.fromRequest({ op: "reload", path: "/etc/laggboot/laggboot.yaml", text: WIFI("/etc/laggboot/wifi.psk"), secrets: { "/etc/laggboot/wifi.psk": "twelve chars!" } });
  assert.deepEqual(ok, { outcome: "reloaded", clients: 2, warnings: [] } satisfies ReloadOutcome);
  assert.equal(applied.at(-1)!.clients.find((c) => c.name === "fb1")?.kind, "freebsd-lagg");
  const noSecret = r.fromRequest({ op: "reload", path: "/etc/laggboot/laggboot.yaml", text: WIFI("/etc/laggboot/wifi.psk"), secrets: {} });
  assert.equal(noSecret.outcome, "rejected");
  assert.match(JSON.stringify(noSecret), /cannot read \/etc\/laggboot\/wifi\.psk: not handed over by laggboot reload/);
  const other = r.fromRequest({ op: "reload", path: "/tmp/other.yaml", text: INV, secrets: {} });
  assert.equal(other.outcome, "refused");
  const bad = r.fromRequest({ op: "reload", path: "/etc/laggboot/laggboot.yaml", text: "server: [", secrets: {} });
  assert.equal(bad.outcome, "rejected");
  const restart = r.fromRequest({ op: "reload", path: "/etc/laggboot/laggboot.yaml", text: `${INV}  - { name: pc2, kind: pxe, ip: 198.18.0.12, macs: [02:00:00:00:00:03] }\n  - { name: pc3, kind: pxe, ip: 198.18.0.13, macs: [02:00:00:00:00:04] }\n`, secrets: {} });
  assert.deepEqual(restart, { outcome: "refused", reason: "needs a restart" });
  const crash = reloaderFor("/x.yaml", { reload: () => { throw new Error("bug"); } }, () => INV, lines).fromFile();
  assert.deepEqual(crash, { outcome: "rejected", errors: ["internal error [LB_ERR_INTERNAL]: bug"] });
});

test("recordingProbe hands over exactly the secrets the load read; handedProbe answers only those", () => {
  const { probe, secrets } = recordingProbe({ readSecret: (p) => (p === "/a" ? { ok: true, value: "s3cret-a" } : { ok: false, error: "EACCES" }), kindOf: () => "missing" });
  const r = loadInventoryText(WIFI("/a"), "x.yaml", probe);
  assert.ok(r.inventory);
  assert.deepEqual(secrets, { "/a": "s3cret-a" });
  const handed = handedProbe(secrets, { readSecret: () => assert.fail("the server never reads a secret file itself"), kindOf: () => "file" });
  assert.deepEqual(handed.readSecret("/a"), { ok: true, value: "s3cret-a" });
  assert.deepEqual(handed.readSecret("/b"), { ok: false, error: "not handed over by laggboot reload" });
  assert.equal(handed.kindOf("/x"), "file");
});

test("the control socket: mode 0600, a reload round trip, oversized or garbage input refused, a live one never replaced", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-ctl-"));
  const path = join(dir, "laggboot.sock");
  const bad: string[] = [];
  try {
    const seen: string[] = [];
    const server = await ControlServer.open(path, (req) => (seen.push(req.text), { outcome: "reloaded", clients: 7, warnings: [] }), (why) => bad.push(why));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await sendReload(path, { op: "reload", path: "/x", text: "t", secrets: {} }), { outcome: "reloaded", clients: 7, warnings: [] });
    assert.deepEqual(seen, ["t"]);
    // Garbage gets a rejected outcome; an oversized request is cut off.
    const raw = (payload: Buffer | string): Promise<string> => new Promise((resolve) => {
      const s = connect(path);
      let got = "";
      s.on("data", (c) => { got += c.toString(); });
      s.on("close", () => resolve(got));
      s.on("error", () => undefined);
      s.end(payload);
    });
    assert.match(await raw("not json"), /"outcome":"rejected".*bad control request: not JSON/);
    assert.equal(await raw(Buffer.alloc(MAX_CONTROL_BYTES + 1, 0x20)), "");
    assert.ok(bad.includes("not JSON") && bad.some((b) => /longer than/.test(b)), bad.join("; "));
    await assert.rejects(ControlServer.open(path, () => ({ outcome: "refused", reason: "x" }), () => undefined), /another laggboot serve answers on/);
    await server.close();
    writeFileSync(join(dir, "plain"), "x");
    await assert.rejects(ControlServer.open(join(dir, "plain"), () => ({ outcome: "refused", reason: "x" }), () => undefined), /exists and is not a socket/);
    await assert.rejects(sendReload(join(dir, "none.sock"), { op: "reload", path: "/x", text: "t", secrets: {} }), /there is no control socket .*none\.sock/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
