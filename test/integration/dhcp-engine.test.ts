/**
 * The pieces of the socket adapter that need no sockets: the bridge from the
 * responder's decisions to the adapter's verdicts, the per-MAC rate limit and
 * the once-per-interval log throttle.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { laggbootEngine } from "../../src/servers/dhcp/engine.js";
import { OncePerInterval, RateLimiter } from "../../src/servers/dhcp/rate-limit.js";
import { createResponder } from "../../src/protocol/dhcp/index.js";
import { MemoryStore } from "../../src/store/index.js";
import { MessageType } from "../../src/wire/dhcp4/codes.js";
import { SITE, plainRequest, poolPolicy, requestBytes, sitePolicy } from "../support/dhcp-builders.js";
import type { Arrival } from "../../src/servers/dhcp/types.js";

const NOW = 1_700_000_000_000;
const broadcast: Arrival = { localPort: 67, localAddress: undefined, sourceAddress: "0.0.0.0", sourcePort: 68 };

function decide(policy = sitePolicy(), store = new MemoryStore(), bytes: Uint8Array, arrival = broadcast) {
  const p = laggbootEngine.decode(bytes);
  return laggbootEngine.decide(p, { arrival, policy: createResponder(policy), store, nowMs: NOW });
}

test("engine: a reserved DISCOVER becomes a broadcast OFFER sent from the network's server address", () => {
  const v = decide(undefined, undefined, requestBytes(plainRequest({ mac: SITE.c1.macs[1]!, type: MessageType.Discover })));
  assert.equal(v.kind, "reply");
  if (v.kind !== "reply") return;
  assert.equal(v.mac, SITE.c1.macs[1]);
  assert.equal(v.messageType, "OFFER");
  assert.equal(v.toAddress, "255.255.255.255");
  assert.equal(v.toPort, 68);
  assert.equal(v.fromAddress, SITE.serverLan);
  assert.equal(v.fromProxyPort, false);
  assert.equal(v.eventKind, "dhcp.offer");
  assert.equal(v.ip, SITE.c1.ip);
  assert.deepEqual(v.writes, []);
});

test("engine: a pool DISCOVER carries the offer hold as a store write", () => {
  const v = decide(poolPolicy(), new MemoryStore(), requestBytes(plainRequest({ mac: "02:00:00:00:77:01", type: MessageType.Discover })));
  assert.equal(v.kind, "reply");
  assert.equal(v.writes.length, 1);
  const w = v.writes[0]!;
  assert.equal(w.kind, "commit");
  if (w.kind === "commit") assert.equal(w.lease.state, "offered");
});

test("engine: an unknown MAC is an ignore verdict flagged as an unknown client", () => {
  const v = decide(undefined, undefined, requestBytes(plainRequest({ mac: SITE.unknownMac, type: MessageType.Discover })));
  assert.equal(v.kind, "ignore");
  if (v.kind === "ignore") {
    assert.equal(v.reason, "unknown-client");
    assert.equal(v.unknownClient, true);
    assert.equal(v.mac, SITE.unknownMac);
  }
});

test("engine: RELEASE of a pool lease is a handled verdict that removes it", async () => {
  const store = new MemoryStore();
  const mac = "02:00:00:00:77:02";
  await store.commitLease({ ip: "198.18.10.100", mac, network: "lan", state: "bound", startMs: NOW, expiresMs: NOW + 3_600_000 });
  const v = decide(poolPolicy(), store, requestBytes(plainRequest({ mac, type: MessageType.Release, ciaddr: "198.18.10.100", serverId: SITE.serverLan })));
  assert.equal(v.kind, "handled");
  assert.deepEqual(v.writes, [{ kind: "remove", ip: "198.18.10.100" }]);
});

test("engine: clientMac reads hlen bytes and treats hlen 0 as Ethernet", () => {
  const p = laggbootEngine.decode(requestBytes(plainRequest({ mac: "0a:1b:2c:3d:4e:5f", type: MessageType.Discover })));
  assert.equal(laggbootEngine.clientMac(p), "0a:1b:2c:3d:4e:5f");
  assert.equal(laggbootEngine.clientMac({ ...p, hlen: 0 }), "0a:1b:2c:3d:4e:5f");
  assert.equal(laggbootEngine.clientMac({ ...p, hlen: 2 }), "0a:1b");
});

test("rate limit: a burst, then the refill rate; MACs are independent; the table stays bounded", () => {
  const rl = new RateLimiter({ burst: 3, perSecond: 2, maxTracked: 8 });
  const a = [0, 0, 0, 0].map(() => rl.allow("a", 0));
  assert.deepEqual(a, [true, true, true, false]);
  assert.equal(rl.allow("b", 0), true);
  assert.equal(rl.allow("a", 499), false, "0.998 of a token after 499 ms at 2/s");
  assert.equal(rl.allow("a", 500), true, "one token after 500 ms at 2/s");
  for (let i = 0; i < 100; i++) rl.allow(`m${i}`, 1000);
  assert.ok(rl.tracked <= 8);
});

test("rate limit: eviction drops the MACs seen least recently (to within a second), not one seen again since", () => {
  const rl = new RateLimiter({ burst: 3, perSecond: 2, maxTracked: 8 });
  for (const m of ["a", "b", "c", "d", "e", "f", "g", "h"]) rl.allow(m, 0);
  // "a" comes back two seconds later and uses up its burst; "b".."h" are now the stalest.
  assert.deepEqual([0, 0, 0, 0].map(() => rl.allow("a", 2000)), [true, true, true, false]);
  rl.allow("z", 2000); // the table is full: the stalest eighth (one MAC) goes
  assert.equal(rl.tracked, 8);
  assert.equal(rl.allow("a", 2000), false, "a was evicted: it came back with a fresh burst");
});

test("unknown-client log: once per key per interval", () => {
  const once = new OncePerInterval(1000, 4);
  assert.equal(once.shouldReport("x", 0), true);
  assert.equal(once.shouldReport("x", 999), false);
  assert.equal(once.shouldReport("y", 999), true);
  assert.equal(once.shouldReport("x", 1000), true);
  for (let i = 0; i < 10; i++) once.shouldReport(`k${i}`, 2000);
  assert.equal(once.shouldReport("k9", 2001), false, "recent keys survive eviction");
});
