/**
 * Two `laggboot serve` processes, one inventory, one PostgreSQL: two server
 * namespaces and a client namespace on one bridged segment (198.18.40.0/22,
 * prefix lbd), PostgreSQL from Debian's packages on a unix socket in a
 * temporary directory. Real clients (busybox udhcpc) and a pool-client storm
 * (pool-storm-client.ts) against both servers at once; then the faults: one
 * server killed with SIGKILL during a storm, a server restarted, and the
 * database stopped for 20 s during traffic.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Lab, waitExit, type Namespace } from "../support/netns.js";
import { CLI, startServe, type ServeProc } from "../support/serve-proc.js";
import { startPostgres, type PgServer } from "../support/postgres.js";
import { parseEnv, probe, setMac, tempDir } from "./dhcp-harness.js";
import { plainRequest, pxeRequest, requestBytes } from "../support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption } from "../../src/wire/dhcp4/option-values.js";
import { DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";

const stormMain = fileURLToPath(new URL("./pool-storm-client.js", import.meta.url));
const SERVERS = { boot1: "198.18.40.1", boot2: "198.18.40.2" } as const;
const RESERVED = { mac: "02:17:00:00:00:01", ip: "198.18.40.10" };
const CLIENT_LINK = "198.18.40.250";

let lab: Lab;
let pg: PgServer;
let dir: string;
let cli: Namespace;
const ns: Record<string, Namespace> = {};
const serve: Record<string, ServeProc> = {};

function inventory(): string {
  return [
    "server:",
    `  address: ${SERVERS.boot1}`,
    "  networks:",
    "    - name: lan",
    "      prefix: 198.18.40.0/22",
    "      pool: { first: 198.18.41.0, last: 198.18.43.250 }",
    `  tftp: { root: ${dir}/tftp }`,
    "  storage:",
    "    kind: postgres",
    `    postgres: { connectionFile: ${dir}/pg.conn }`,
    "  instances:",
    `    - { name: boot1, addresses: [${SERVERS.boot1}] }`,
    `    - { name: boot2, addresses: [${SERVERS.boot2}] }`,
    "clients:",
    `  - { name: r1, kind: pxe, ip: ${RESERVED.ip}, macs: ["${RESERVED.mac}"], bootFile: r1.efi }`,
    "",
  ].join("\n");
}

async function startServer(name: "boot1" | "boot2"): Promise<ServeProc> {
  const p = startServe(ns[name]!, ["--config", join(dir, "laggboot.yaml"), "--instance", name]);
  await p.waitLog((l) => l["msg"] === "laggboot serving", 30_000);
  serve[name] = p;
  return p;
}

before(async () => {
  dir = tempDir("shared-pg");
  mkdirSync(join(dir, "tftp"));
  writeFileSync(join(dir, "tftp", "r1.efi"), "x");
  pg = await startPostgres();
  writeFileSync(join(dir, "pg.conn"), `# the shared lease database\n${pg.connection}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "laggboot.yaml"), inventory());
  lab = new Lab("sharedpg");
  const sw = await lab.namespace("sw");
  await lab.bridge(sw, "br0");
  for (const [name, addr] of Object.entries(SERVERS)) {
    const n = await lab.namespace(name);
    ns[name] = n;
    await lab.plug(sw, "br0", `p-${name}`, n, "s0");
    await n.addr("s0", `${addr}/22`);
  }
  cli = await lab.namespace("cli");
  await lab.plug(sw, "br0", "p-cli", cli, "c0");
  await cli.addr("c0", `${CLIENT_LINK}/22`);
  await Promise.all([startServer("boot1"), startServer("boot2")]);
});

after(async () => {
  await lab?.cleanup();
  await pg?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function api(name: string, path: string): Promise<unknown> {
  const r = await ns[name]!.exec(["curl", "-sS", "--max-time", "5", `http://127.0.0.1:8067${path}`]);
  return JSON.parse(r.stdout);
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function udhcpc(mac: string, tag: string, tries = 3): Promise<Map<string, string> | undefined> {
  await setMac(cli, "c0", mac);
  const script = join(dir, `udhcpc-${tag}.sh`);
  writeFileSync(script, `#!/bin/sh\nenv > "${dir}/udhcpc-${tag}-$1.env"\n`);
  chmodSync(script, 0o755);
  const child = cli.spawn(["busybox", "udhcpc", "-i", "c0", "-f", "-q", "-n", "-t", String(tries), "-T", "1", "-s", script], { stdio: "ignore" });
  await waitExit(child, 30_000);
  const file = join(dir, `udhcpc-${tag}-bound.env`);
  return existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : undefined;
}

interface StormOut { clients: number; bound: [string, string, string][]; naks: number; retries: number }

async function storm(prefix: string, n: number, during?: () => Promise<void>): Promise<StormOut> {
  const macs = Array.from({ length: n }, (_, i) => `02:${prefix}:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`);
  const child = cli.spawn([process.execPath, stormMain, JSON.stringify({ macs, sendFrom: CLIENT_LINK, spreadMs: 1000, retryMs: 3000, deadlineMs: 60_000 })],
    { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => { out += c; });
  await during?.();
  assert.equal(await waitExit(child, 90_000), 0, "the storm client failed");
  return JSON.parse(out) as StormOut;
}

/** Bound leases in the database, ip -> mac. */
async function dbLeases(): Promise<Map<string, string>> {
  const rows = (await pg.psql("SELECT ip, mac FROM leases WHERE state = 'bound'")).trim();
  return new Map(rows === "" ? [] : rows.split("\n").map((l) => l.split("|") as [string, string]));
}

/** Zero duplicates, from the clients and from the database; every acknowledged lease is in the database. */
async function assertNoDuplicates(s: StormOut): Promise<void> {
  assert.equal(s.bound.length, s.clients, `every client bound (naks ${s.naks}, retries ${s.retries})`);
  const ips = new Map<string, string>();
  for (const [mac, ip] of s.bound) {
    assert.equal(ips.get(ip) ?? mac, mac, `${ip} acknowledged to two clients`);
    ips.set(ip, mac);
  }
  const db = await dbLeases();
  for (const [mac, ip] of s.bound) assert.equal(db.get(ip), mac, `the acknowledged lease ${ip} -> ${mac} is in the database`);
  const dup = (await pg.psql("SELECT count(*) - count(DISTINCT ip) FROM leases")).trim();
  assert.equal(dup, "0");
}

test("a reserved client gets the same address, options and boot file from either server", async () => {
  const answers = await probe(cli, {
    bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 1500,
    sends: [{ to: "255.255.255.255", port: 67, bytes: requestBytes(pxeRequest({ mac: RESERVED.mac, arch: 7, xid: 0x17170001 })) }],
  });
  const offers = answers.map((a) => decode(a.bytes));
  const byServer = new Map(offers.map((o) => [getOption(o.options, DhcpOption.ServerIdentifier), o]));
  assert.deepEqual([...byServer.keys()].sort(), [SERVERS.boot1, SERVERS.boot2]);
  const [a, b] = [byServer.get(SERVERS.boot1)!, byServer.get(SERVERS.boot2)!];
  assert.equal(a.yiaddr, RESERVED.ip);
  assert.equal(b.yiaddr, RESERVED.ip);
  assert.equal(a.file, "r1.efi");
  assert.equal(b.file, a.file);
  // Everything but who answered is the same: server identifier, and next-server (siaddr, option 66) naming the answering server's TFTP.
  assert.equal(a.siaddr, SERVERS.boot1);
  assert.equal(b.siaddr, SERVERS.boot2);
  const who: readonly number[] = [DhcpOption.ServerIdentifier, DhcpOption.TftpServerName];
  const rest = (o: typeof a) => [...o.options].filter(([code]) => !who.includes(code)).map(([c, v]) => `${c}=${Buffer.from(v).toString("hex")}`).sort();
  assert.deepEqual(rest(a), rest(b));
  const env = await udhcpc(RESERVED.mac, "reserved");
  assert.equal(env?.get("ip"), RESERVED.ip);
});

test("a pool client is served, renews against the other server and releases there", async () => {
  const mac = "02:17:00:00:01:01";
  const env = await udhcpc(mac, "pool");
  assert.ok(env !== undefined, "udhcpc got no pool lease");
  const ip = env.get("ip")!;
  const first = env.get("serverid")!;
  assert.match(ip, /^198\.18\.4[1-3]\.\d+$/);
  const other = first === SERVERS.boot1 ? SERVERS.boot2 : SERVERS.boot1;
  await cli.addr("c0", `${ip}/22`);
  try {
    await sleep(300); // the change feed carries the lease to the other server
    const renew = await probe(cli, {
      bind: { address: ip, port: 68 }, listenMs: 1500,
      sends: [{ to: other, port: 67, bytes: requestBytes(plainRequest({ mac, type: MessageType.Request, ciaddr: ip, xid: 0x17170002 })) }],
    });
    const ack = renew.map((r) => decode(r.bytes)).find((p) => getOption(p.options, DhcpOption.DhcpMessageType) === MessageType.Ack);
    const otherName = other === SERVERS.boot1 ? "boot1" : "boot2";
    assert.ok(ack, `the other server (${other}) ACKs the renewal; it logged:\n${serve[otherName]!.logs.filter((l) => JSON.stringify(l).includes(mac)).map((l) => JSON.stringify(l)).join("\n")}`);
    assert.equal(ack.yiaddr, ip);
    assert.equal(getOption(ack.options, DhcpOption.ServerIdentifier), other);
    await probe(cli, {
      bind: { address: ip, port: 68 }, listenMs: 300,
      sends: [{ to: other, port: 67, bytes: requestBytes(plainRequest({ mac, type: MessageType.Release, ciaddr: ip, serverId: other, xid: 0x17170003 })) }],
    });
    await until("the release reaches the database", async () => !(await dbLeases()).has(ip), 5000);
  } finally {
    await cli.exec(["ip", "addr", "del", `${ip}/22`, "dev", "c0"]);
  }
});

test("the status of either server shows every client, which server answered, and both servers", async () => {
  for (const name of ["boot1", "boot2"]) {
    await until(`${name} knows who answered r1`, async () => {
      const clients = (await api(name, "/api/v1/clients")) as { name: string; lastDhcp?: { server?: string } }[];
      const s = clients.find((c) => c.name === "r1")?.lastDhcp?.server;
      return s === "boot1" || s === "boot2";
    });
    await until(`${name}'s heartbeat lists both servers`, async () => ((await api(name, "/healthz")) as { cluster?: { servers: unknown[] } }).cluster?.servers.length === 2);
    const health = (await api(name, "/healthz")) as { cluster?: { server: string; online: boolean; servers: { name: string; sameInventory: boolean }[]; inventoryMismatch: string[] } };
    assert.equal(health.cluster?.server, name);
    assert.equal(health.cluster?.online, true);
    assert.deepEqual(health.cluster?.servers.map((s) => [s.name, s.sameInventory]).sort(), [["boot1", true], ["boot2", true]]);
    assert.deepEqual(health.cluster?.inventoryMismatch, []);
  }
  const text = (await ns["boot2"]!.exec([process.execPath, CLI, "status", "--url", "http://127.0.0.1:8067"])).stdout;
  assert.match(text, /r1 .* by boot[12]/);
  assert.match(text, /this is boot2; database reachable/);
  assert.match(text, /boot1 {2}seen \d+ s ago {2}same inventory/);
});

test("a server reloaded with another inventory is reported by the other: log warning, status, doctor", async () => {
  const file = join(dir, "laggboot.yaml");
  const original = readFileSync(file, "utf8");
  const edited = original.replace("clients:\n", "clients:\n  - { name: r2, kind: pxe, ip: 198.18.40.11, macs: [\"02:17:00:00:00:02\"] }\n");
  assert.notEqual(edited, original);
  writeFileSync(file, edited);
  try {
    serve["boot2"]!.child.kill("SIGHUP");
    await serve["boot2"]!.waitLog((l) => l["msg"] === "reloaded");
    const warning = await serve["boot1"]!.waitLog((l) => String(l["msg"]).startsWith("another server sharing the database runs a different inventory") && l["server"] === "boot2", 20_000);
    assert.equal(warning["level"], "warn");
    await until("boot1's status names boot2", async () => {
      const h = (await api("boot1", "/healthz")) as { cluster: { inventoryMismatch: string[] } };
      return h.cluster.inventoryMismatch.join() === "boot2";
    });
    const text = (await ns["boot1"]!.exec([process.execPath, CLI, "status", "--url", "http://127.0.0.1:8067"])).stdout;
    assert.match(text, /boot2 {2}seen \d+ s ago {2}DIFFERENT inventory/);
    // doctor compares with the file as it is now: boot2 runs it, boot1 does not.
    const doctor = await ns["boot1"]!.exec([process.execPath, CLI, "doctor", "--config", file, "--instance", "boot1", "--no-nfs", "--json"])
      .catch((e: unknown) => e as { stdout: string });
    const findings = (JSON.parse(doctor.stdout) as { findings: { check: string; status: string }[] }).findings;
    const status = (check: string) => findings.find((f) => f.check === check)?.status;
    assert.deepEqual([status("database"), status("database schema"), status("server boot1"), status("server boot2")], ["ok", "ok", "fail", "ok"]);
  } finally {
    writeFileSync(file, original);
    serve["boot2"]!.child.kill("SIGHUP");
  }
  await until("the mismatch clears once boot2 runs the same inventory again", async () =>
    ((await api("boot1", "/healthz")) as { cluster: { inventoryMismatch: string[] } }).cluster.inventoryMismatch.length === 0, 20_000);
});

test("a storm of pool clients against both servers at once: zero duplicate addresses", async () => {
  const s = await storm("a1", 300);
  await assertNoDuplicates(s);
  const servers = new Set(s.bound.map((b) => b[2]));
  assert.deepEqual([...servers].sort(), [SERVERS.boot1, SERVERS.boot2], "both servers answered part of the storm");
});

test("kill -9 one server during a storm: the other serves everyone, no acknowledged lease lost, no duplicate", async () => {
  const victim = serve["boot1"]!;
  const s = await storm("a2", 300, async () => {
    await sleep(500);
    victim.child.kill("SIGKILL");
  });
  assert.equal(await victim.exited, null);
  await assertNoDuplicates(s);
  assert.ok(s.bound.some((b) => b[2] === SERVERS.boot2));
});

test("a restarted server picks up the shared state", async () => {
  await startServer("boot1");
  const leases = (await api("boot1", "/api/v1/leases")) as { ip: string; mac: string; state: string }[];
  const db = await dbLeases();
  assert.ok(db.size >= 600, `the storms' leases are in the database (${db.size})`);
  const mirror = new Map(leases.filter((l) => l.state === "bound").map((l) => [l.ip, l.mac]));
  assert.deepEqual([...db].sort(), [...mirror].sort(), "boot1's view is the database's");
  // A client from the storm that boot2 served asks boot1 for its address (INIT-REBOOT): boot1 ACKs it.
  const [ip, mac] = [...db].find(([, m]) => m.startsWith("02:a2:"))!;
  const answers = await probe(cli, {
    bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 1500,
    sends: [{ to: "255.255.255.255", port: 67, bytes: requestBytes(plainRequest({ mac, type: MessageType.Request, requestedIp: ip, xid: 0x17170004 })) }],
  });
  const fromBoot1 = answers.map((a) => decode(a.bytes)).find((p) => getOption(p.options, DhcpOption.ServerIdentifier) === SERVERS.boot1);
  assert.equal(fromBoot1 && getOption(fromBoot1.options, DhcpOption.DhcpMessageType), MessageType.Ack);
  assert.equal(fromBoot1?.yiaddr, ip);
});

test("PostgreSQL stopped for 20 s: reserved clients still served, pool clients wait, all resumes and queued events arrive", async () => {
  const down = Date.now();
  await pg.stop("fast");
  for (const name of ["boot1", "boot2"]) {
    await until(`${name} sees the database gone`, async () => ((await api(name, "/healthz")) as { cluster: { online: boolean } }).cluster.online === false);
  }
  const metrics = (await ns["boot1"]!.exec(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:8067/metrics"])).stdout;
  assert.match(metrics, /^laggboot_store_online 0$/m);
  const reserved = await udhcpc(RESERVED.mac, "outage-reserved");
  assert.equal(reserved?.get("ip"), RESERVED.ip, "a reserved client is answered from memory");
  const waiting = await udhcpc("02:17:00:00:02:01", "outage-pool", 2);
  assert.equal(waiting, undefined, "no pool answer while the database is down");
  const queued = (await api(reserved!.get("serverid") === SERVERS.boot1 ? "boot1" : "boot2", "/healthz")) as { cluster: { queuedEvents: number } };
  assert.ok(queued.cluster.queuedEvents > 0, "the reserved client's events wait in the queue");
  await sleep(Math.max(0, 20_000 - (Date.now() - down)));
  await pg.start();
  for (const name of ["boot1", "boot2"]) {
    await until(`${name} reconnects`, async () => {
      const h = (await api(name, "/healthz")) as { cluster: { online: boolean; queuedEvents: number } };
      return h.cluster.online && h.cluster.queuedEvents === 0;
    }, 30_000);
  }
  const pool = await udhcpc("02:17:00:00:02:01", "after-pool");
  assert.match(pool?.get("ip") ?? "", /^198\.18\.4[1-3]\.\d+$/, "the pool client is served once the database is back");
  const during = (await pg.psql(`SELECT count(*) FROM events WHERE mac = '${RESERVED.mac}' AND kind = 'dhcp.ack' AND at_ms >= ${down}`)).trim();
  assert.ok(Number(during) >= 1, "the events queued during the outage reached the database");
});
