/**
 * The PostgreSQL store against a real PostgreSQL (Debian's postgresql
 * package, started here in a temporary directory as an unprivileged user):
 * the contract every store passes, then what only a shared store does:
 * two servers racing for one address, the change feed, restart, outage.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { openPostgresStore, PG_SCHEMA_VERSION, type PostgresStore, type PostgresStoreOptions } from "../../src/store/index.js";
import { LaggbootError } from "../../src/errors.js";
import { startPostgres, type PgServer } from "../support/postgres.js";
import { freeAddressContract, lease, storeContract } from "./store-contract.js";
import { loadInventoryText } from "../../src/config/load.js";
import { checkDatabase, inspectPostgres } from "../../src/app/doctor-db.js";
import { siteProbe } from "../support/probe.js";

let pg: PgServer;
let dbCount = 0;

before(async () => {
  pg = await startPostgres();
});

after(async () => {
  await pg?.destroy();
});

/** A fresh database on the shared server; its connection string. */
async function freshDb(): Promise<string> {
  const name = `t${++dbCount}`;
  await pg.psql(`CREATE DATABASE ${name}`);
  return pg.connection.replace(`/${pg.database}?`, `/${name}?`);
}

/** SQL in the database of a connection string from freshDb. */
function sql(connection: string, text: string): Promise<string> {
  return pg.psql(text, connection.slice(connection.indexOf("@/") + 2, connection.indexOf("?")));
}

function open(connection: string, serverName: string, over: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  return openPostgresStore({ source: { connection }, serverName, inventoryHash: "h", tailMs: 50, heartbeatMs: 200, reconnectMaxMs: 300, ...over });
}

const factory = async () => {
  const store = await open(await freshDb(), "a");
  return { store, cleanup: async () => {} };
};
storeContract("postgres", factory);
freeAddressContract("postgres", factory);

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Two stores ("a", "b") on one fresh database, closed afterwards. */
async function twoServers(body: (conn: string, a: PostgresStore, b: PostgresStore) => Promise<void>, aOptions: Partial<PostgresStoreOptions> = {}): Promise<void> {
  const conn = await freshDb();
  const a = await open(conn, "a", aOptions);
  const b = await open(conn, "b");
  try {
    await body(conn, a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof LaggbootError && e.code === code;

test("postgres: two servers racing for one address: one wins, the other is refused and sees the winner", async () => twoServers(async (conn, a, b) => {
  for (let round = 0; round < 20; round++) {
    const ip = `198.18.2.${round + 1}`;
    const la = lease(round + 1, { ip, mac: "02:00:00:00:0a:01" });
    const lb = lease(round + 1, { ip, mac: "02:00:00:00:0b:01" });
    const [ra, rb] = await Promise.allSettled([a.commitLease(la), b.commitLease(lb)]);
    const wins = [ra, rb].filter((r) => r.status === "fulfilled").length;
    assert.equal(wins, 1, `round ${round}: exactly one server commits ${ip}`);
    const loser = ra.status === "rejected" ? ra : rb;
    assert.ok(loser.status === "rejected" && isCode("LB_ERR_LEASE_CONFLICT")(loser.reason));
    const winnerMac = ra.status === "fulfilled" ? la.mac : lb.mac;
    assert.equal(a.leaseByIp(ip)?.mac ?? winnerMac, winnerMac);
    await until("both mirrors agree", () => a.leaseByIp(ip)?.mac === winnerMac && b.leaseByIp(ip)?.mac === winnerMac);
  }
  const rows = await sql(conn, "SELECT count(*), count(DISTINCT ip) FROM leases");
  assert.equal(rows.trim(), "20|20");
}));

test("postgres: a write by one server reaches the other's reads through the change feed", async () => twoServers(async (conn, a, b) => {
  await a.commitLease(lease(5));
  await until("b sees the lease", () => b.leaseByIp(lease(5).ip)?.mac === lease(5).mac);
  await a.removeLease(lease(5).ip, lease(5).mac);
  await until("b sees the removal", () => b.leaseByIp(lease(5).ip) === undefined);
  await b.markBadAddress({ ip: "198.18.1.99", mac: lease(6).mac, network: "lab", sinceMs: 1, untilMs: 10 ** 15 });
  await until("a sees the bad mark", () => a.isBadAddress("198.18.1.99", 2));
  a.recordEvent({ atMs: 1, kind: "dhcp.ack", mac: lease(5).mac, ip: lease(5).ip, details: { n: 1 } });
  const seen: string[] = [];
  b.onEvent((e) => seen.push(`${e.server}:${e.kind}`));
  await until("b's tail brings a's event", () => seen.includes("a:dhcp.ack"));
  assert.equal(b.events({ mac: lease(5).mac })[0]?.server, "a");
  await until("heartbeats list both servers", () => a.servers().length === 2 && b.servers().length === 2);
  assert.deepEqual(a.servers().map((s) => s.name).sort(), ["a", "b"]);
}));

test("postgres: a removal with a MAC never takes a lease another server has since rewritten", async () => twoServers(async (conn, a, b) => {
  // Ten rounds, so both orders of the two commits occur.
  for (let n = 70; n < 80; n++) {
    const offered = lease(n, { state: "offered", expiresMs: lease(n).startMs + 60_000 });
    await a.commitLease(offered);
    await until("b sees the hold", () => b.leaseByIp(offered.ip) !== undefined);
    // b binds it (same MAC) while a, seeing only its hold (the same synchronous turn: no change can reach it),
    // drops that hold. Whichever commits first, the bound lease stays: a's removal is of the row it saw.
    const binding = b.commitLease(lease(n, { startMs: offered.startMs + 1 }));
    assert.equal(a.leaseByIp(offered.ip)?.state, "offered");
    await Promise.all([binding, a.removeLease(offered.ip, offered.mac)]);
    assert.equal((await sql(conn, `SELECT state FROM leases WHERE ip = '${offered.ip}'`)).trim(), "bound");
  }
}));

test("postgres: a restart reloads leases, bad marks and events", async () => {
  const conn = await freshDb();
  const a = await open(conn, "a");
  await a.commitLease(lease(8, { hostName: "h8" }));
  await a.markBadAddress({ ip: "198.18.1.98", mac: lease(8).mac, network: "lab", sinceMs: 1, untilMs: 10 ** 15 });
  a.recordEvent({ atMs: 3, kind: "dhcp.ack", mac: lease(8).mac, details: { x: 1 } });
  await a.close();
  const again = await open(conn, "a");
  try {
    assert.deepEqual(again.leaseByIp(lease(8).ip), lease(8, { hostName: "h8" }));
    assert.equal(again.isBadAddress("198.18.1.98", 2), true);
    assert.deepEqual(again.events().map((e) => [e.kind, e.details, e.server]), [["dhcp.ack", { x: 1 }, "a"]]);
    assert.equal(again.schemaVersion, PG_SCHEMA_VERSION);
  } finally {
    await again.close();
  }
});

test("postgres: a database from a newer laggboot is refused with LB_ERR_STORE_VERSION", async () => {
  const conn = await freshDb();
  await (await open(conn, "a")).close();
  await sql(conn, `UPDATE laggboot_schema SET version = ${PG_SCHEMA_VERSION + 1}`);
  await assert.rejects(open(conn, "a"), isCode("LB_ERR_STORE_VERSION"));
});

test("postgres: while the database is down, lease writes are refused, events queue (bounded, drops counted), and all resumes", async () => twoServers(async (conn, a, b) => {
  await a.commitLease(lease(9));
  await pg.stop("fast");
  await until("a goes offline", () => !a.online());
  await assert.rejects(a.commitLease(lease(10)), isCode("LB_ERR_STORE_OFFLINE"));
  assert.equal(a.leaseByIp(lease(9).ip)?.mac, lease(9).mac, "reads still answer from the mirror");
  for (let i = 0; i < 8; i++) a.recordEvent({ atMs: 100 + i, kind: "dhcp.ack", mac: "02:00:00:00:00:99", details: { i } });
  assert.equal(a.queuedEvents, 5);
  assert.equal(a.droppedEvents, 3);
  await pg.start();
  await until("a reconnects", () => a.online(), 15_000);
  await until("b reconnects", () => b.online(), 15_000);
  await a.commitLease(lease(10));
  await until("the queued events arrive", () => a.queuedEvents === 0);
  await until("b's tail sees them", () => b.events({ mac: "02:00:00:00:00:99" }).length === 5, 10_000);
  assert.deepEqual(b.events({ mac: "02:00:00:00:00:99" }).map((e) => e.details["i"]).sort(), [3, 4, 5, 6, 7]);
  await until("b sees the new lease", () => b.leaseByIp(lease(10).ip) !== undefined);
}, { maxQueuedEvents: 5 }));

test("doctor: reachable, schema version, and each instance seen recently with this inventory", async () => {
  const conn = await freshDb();
  const text = [
    "server:", "  address: 198.18.0.1", "  networks:", "    - { name: lan, prefix: 198.18.0.0/24 }",
    "  storage:", "    kind: postgres", `    postgres: { connection: "${conn}" }`,
    "  instances:", "    - { name: boot1, addresses: [198.18.0.1] }", "    - { name: boot2, addresses: [198.18.0.2] }",
    "    - { name: boot3, addresses: [198.18.0.3] }", "",
  ].join("\n");
  const inv = loadInventoryText(text, "t.yaml", siteProbe).inventory!;
  const one = await open(conn, "boot1", { inventoryHash: inv.hash });
  const two = await open(conn, "boot2", { inventoryHash: "0".repeat(64) });
  try {
    const byCheck = new Map((await checkDatabase(inv, inspectPostgres)).map((f) => [f.check, f.status]));
    assert.deepEqual(Object.fromEntries(byCheck), {
      database: "ok", "database schema": "ok", "server boot1": "ok", "server boot2": "fail", "server boot3": "warn",
    });
  } finally {
    await one.close();
    await two.close();
  }
  const down = await checkDatabase(inv, () => inspectPostgres({ connection: conn.replace(/host=[^&]*/, "host=%2Fnonexistent") }));
  assert.deepEqual(down.map((f) => [f.check, f.status]), [["database", "fail"]]);
});
