/**
 * The contract every Store implementation passes (run by store.test.ts for
 * the in-memory double and the SQLite store).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Lease, Store } from "../../src/store/index.js";
import { LaggbootError } from "../../src/errors.js";

export type StoreFactory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const T0 = 1_700_000_000_000;

export function lease(n: number, over: Partial<Lease> = {}): Lease {
  return {
    ip: `198.18.1.${n}`, mac: `02:00:00:00:01:${n.toString(16).padStart(2, "0")}`, network: "lab",
    state: "bound", startMs: T0, expiresMs: T0 + 3_600_000, ...over,
  };
}

async function withStore(factory: StoreFactory, body: (s: Store) => Promise<void>): Promise<void> {
  const { store, cleanup } = await factory();
  try {
    await body(store);
  } finally {
    await store.close();
    await cleanup();
  }
}

export function storeContract(name: string, factory: StoreFactory): void {
  test(`${name}: a committed lease is found by address, MAC and in the list`, () => withStore(factory, async (s) => {
    const a = lease(10, { clientId: "01020000000110", hostName: "alpha" });
    await s.commitLease(a);
    await s.commitLease(lease(9));
    assert.deepEqual(s.leaseByIp("198.18.1.10"), a);
    assert.deepEqual(s.leasesByMac(a.mac), [a]);
    assert.deepEqual(s.listLeases().map((l) => l.ip), ["198.18.1.9", "198.18.1.10"]);
    assert.equal(s.leaseByIp("198.18.1.11"), undefined);
    assert.deepEqual(s.leasesByMac("02:00:00:00:99:99"), []);
  }));

  test(`${name}: reads see a write before it is durable`, () => withStore(factory, async (s) => {
    const p = s.commitLease(lease(20));
    assert.equal(s.leaseByIp("198.18.1.20")?.mac, lease(20).mac);
    await p;
  }));

  test(`${name}: re-committing an expired address moves it to the new holder`, () => withStore(factory, async (s) => {
    await s.commitLease(lease(30, { state: "offered", expiresMs: T0 + 60_000 }));
    const moved = lease(30, { mac: "02:00:00:00:02:02", state: "bound", startMs: T0 + 60_000, expiresMs: T0 + 7_200_000 });
    await s.commitLease(moved);
    assert.deepEqual(s.leaseByIp("198.18.1.30"), moved);
    assert.deepEqual(s.leasesByMac(lease(30).mac), []);
    assert.deepEqual(s.leasesByMac("02:00:00:00:02:02"), [moved]);
    assert.equal(s.listLeases().length, 1);
  }));

  test(`${name}: an address held live by another MAC is refused with LB_ERR_LEASE_CONFLICT`, () => withStore(factory, async (s) => {
    const held = lease(31, { state: "offered", expiresMs: T0 + 60_000 });
    await s.commitLease(held);
    const other = lease(31, { mac: "02:00:00:00:02:03", startMs: T0 + 59_999 });
    await assert.rejects(s.commitLease(other), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_LEASE_CONFLICT");
    assert.deepEqual(s.leaseByIp(held.ip), held);
    // The same MAC renews and binds; an OFFER hold never replaces its live bound lease.
    const bound = lease(31, { startMs: T0 + 1000, expiresMs: T0 + 3_601_000 });
    await s.commitLease(bound);
    await assert.rejects(s.commitLease(lease(31, { state: "offered", startMs: T0 + 2000, expiresMs: T0 + 62_000 })),
      (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_LEASE_CONFLICT");
    assert.deepEqual(s.leaseByIp(held.ip), bound);
  }));

  test(`${name}: removeLease with a MAC removes only that MAC's lease`, () => withStore(factory, async (s) => {
    await s.commitLease(lease(32));
    await s.removeLease("198.18.1.32", "02:00:00:00:09:09");
    assert.equal(s.leaseByIp("198.18.1.32")?.mac, lease(32).mac);
    await s.removeLease("198.18.1.32", lease(32).mac);
    assert.equal(s.leaseByIp("198.18.1.32"), undefined);
  }));

  test(`${name}: removeLease forgets the lease`, () => withStore(factory, async (s) => {
    await s.commitLease(lease(40));
    await s.removeLease("198.18.1.40");
    await s.removeLease("198.18.1.41"); // unknown: no error
    assert.equal(s.leaseByIp("198.18.1.40"), undefined);
    assert.deepEqual(s.leasesByMac(lease(40).mac), []);
  }));

  test(`${name}: a declined address is bad until its time runs out`, () => withStore(factory, async (s) => {
    const bad = { ip: "198.18.1.50", mac: lease(50).mac, network: "lab", sinceMs: T0, untilMs: T0 + 1000 };
    await s.markBadAddress(bad);
    assert.equal(s.isBadAddress("198.18.1.50", T0 + 999), true);
    assert.equal(s.isBadAddress("198.18.1.50", T0 + 1000), false);
    assert.equal(s.isBadAddress("198.18.1.51", T0), false);
    assert.deepEqual(s.listBadAddresses(T0), [bad]);
    assert.deepEqual(s.listBadAddresses(T0 + 1000), []);
  }));

  test(`${name}: pruneExpired drops expired leases and old bad marks only`, () => withStore(factory, async (s) => {
    await s.commitLease(lease(60, { expiresMs: T0 + 10 }));
    await s.commitLease(lease(61, { expiresMs: T0 + 20 }));
    await s.markBadAddress({ ip: "198.18.1.62", mac: "02:00:00:00:00:62", network: "lab", sinceMs: T0, untilMs: T0 + 5 });
    assert.equal(await s.pruneExpired(T0 + 10), 1);
    assert.deepEqual(s.listLeases().map((l) => l.ip), ["198.18.1.61"]);
    assert.deepEqual(s.listBadAddresses(0), []);
  }));

  test(`${name}: events come back newest first, filtered by MAC and id`, () => withStore(factory, async (s) => {
    s.recordEvent({ atMs: T0, kind: "dhcp.offer", mac: "02:00:00:00:00:01", ip: "198.18.1.1", details: { xid: 1 } });
    s.recordEvent({ atMs: T0 + 1, kind: "dhcp.ack", mac: "02:00:00:00:00:01", ip: "198.18.1.1", details: { xid: 1, nested: { a: [1, 2] } } });
    s.recordEvent({ atMs: T0 + 2, kind: "tftp.sent", mac: "02:00:00:00:00:02" });
    const all = s.events();
    assert.deepEqual(all.map((e) => e.kind), ["tftp.sent", "dhcp.ack", "dhcp.offer"]);
    assert.ok(all[0]!.id > all[1]!.id && all[1]!.id > all[2]!.id);
    // A shared store also says which server recorded it.
    const { server: _server, ...first } = all[0]!;
    assert.deepEqual(first, { id: all[0]!.id, atMs: T0 + 2, kind: "tftp.sent", mac: "02:00:00:00:00:02", details: {} });
    assert.deepEqual(all[1]!.details, { xid: 1, nested: { a: [1, 2] } });
    assert.deepEqual(s.events({ mac: "02:00:00:00:00:01" }).map((e) => e.kind), ["dhcp.ack", "dhcp.offer"]);
    assert.deepEqual(s.events({ afterId: all[1]!.id }).map((e) => e.kind), ["tftp.sent"]);
    assert.deepEqual(s.events({ limit: 1 }).map((e) => e.kind), ["tftp.sent"]);
  }));

  test(`${name}: event details that JSON cannot hold are refused`, () => withStore(factory, async (s) => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    assert.throws(() => s.recordEvent({ atMs: T0, kind: "x", mac: "m", details: cyclic }), LaggbootError);
  }));

  test(`${name}: writes after close are rejected with LB_ERR_STORE`, async () => {
    const { store, cleanup } = await factory();
    await store.commitLease(lease(70));
    await store.close();
    await store.close(); // idempotent
    await assert.rejects(store.commitLease(lease(71)), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_STORE");
    await cleanup();
  });
}

export function freeAddressContract(name: string, factory: StoreFactory): void {
  test(`${name}: freeAddress walks the range from where it stopped and wraps`, () => withStore(factory, async (s) => {
    const taken = new Set(["198.18.3.1", "198.18.3.3"]);
    const usable = (ip: string): boolean => !taken.has(ip);
    assert.equal(s.freeAddress("198.18.3.1", "198.18.3.4", T0, usable), "198.18.3.2");
    assert.equal(s.freeAddress("198.18.3.1", "198.18.3.4", T0, usable), "198.18.3.4");
    assert.equal(s.freeAddress("198.18.3.1", "198.18.3.4", T0, usable), "198.18.3.2");
    taken.add("198.18.3.2").add("198.18.3.4");
    assert.equal(s.freeAddress("198.18.3.1", "198.18.3.4", T0, usable), undefined);
    assert.equal(s.freeAddress("198.18.3.9", "198.18.3.4", T0, usable), undefined);
    assert.equal(s.freeAddress("198.18.255.255", "198.19.0.0", T0, () => true), "198.18.255.255");
  }));
}
