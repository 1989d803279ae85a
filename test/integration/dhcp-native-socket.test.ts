/**
 * The native DHCP socket layer (native/dhcp_sock.c, native-socket.ts) on
 * 127.0.0.1 with ports chosen by the kernel (no DHCP traffic): batching,
 * truncation, send errors, closing, descriptors; and the bounded send queue
 * with a scripted socket.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { constants } from "node:os";
import { DhcpServer } from "../../src/servers/dhcp/server.js";
import { loadNativeDhcp, type NativeDhcpAddon } from "../../src/servers/dhcp/native.js";
import { NativeUdpSocket, RECV_BATCH, SendQueue, SLOT_BYTES, ipv4Text } from "../../src/servers/dhcp/native-socket.js";
import { SocketSet } from "../../src/servers/dhcp/sockets.js";
import { MemoryStore } from "../../src/store/index.js";
import type { DhcpServerEvent } from "../../src/servers/dhcp/types.js";
import { fakeEngine, fakeRequest } from "./dhcp-fake-engine.js";
import { requireNativeDhcp } from "../support/native-guard.js";

const EAGAIN = -constants.errno.EAGAIN;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Waits (bounded by a count of loop turns, not a clock) until `done()`. */
async function until(done: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await tick();
  assert.ok(done(), "condition not reached");
}

test("SendQueue sends straight through, queues in order on a full buffer, is bounded, and fails what waits on close", () => {
  const wire: string[] = [];
  let full = false;
  let waits = 0;
  const q = new SendQueue((b, a, p) => {
    if (full) return EAGAIN;
    wire.push(`${Buffer.from(b).toString()}>${a}:${p}`);
    return 0;
  }, () => { waits++; }, 3);
  const settled: string[] = [];
  const later = (tag: string) => (err: Error | null): void => { settled.push(`${tag}:${err === null ? "ok" : err.message}`); };
  assert.equal(q.send(Buffer.from("a"), 68, "198.18.0.1", later("a")), null);
  full = true;
  assert.equal(q.send(Buffer.from("b"), 68, "198.18.0.2", later("b")), undefined);
  assert.equal(waits, 1);
  full = false; // still queued behind b: order is kept
  assert.equal(q.send(Buffer.from("c"), 68, "198.18.0.3", later("c")), undefined);
  assert.equal(q.send(Buffer.from("d"), 68, "198.18.0.4", later("d")), undefined);
  const over = q.send(Buffer.from("e"), 68, "198.18.0.5", later("e"));
  assert.ok(over instanceof Error && /send queue full \(3\) 198\.18\.0\.5:68/.test(over.message));
  assert.equal(wire.length, 1);
  full = true;
  q.flush(); // writable, but full again at once: waits again
  assert.equal(waits, 2);
  full = false;
  q.flush();
  assert.deepEqual(wire, ["a>198.18.0.1:68", "b>198.18.0.2:68", "c>198.18.0.3:68", "d>198.18.0.4:68"]);
  assert.deepEqual(settled, ["b:ok", "c:ok", "d:ok"]);
  full = true;
  assert.equal(q.send(Buffer.from("f"), 68, "198.18.0.6", later("f")), undefined);
  q.failAll();
  assert.equal(q.length, 0);
  assert.match(settled.at(-1)!, /^f:send 198\.18\.0\.6:68: socket closed$/);
});

test("SendQueue reports other errors at once, Node-style", () => {
  const q = new SendQueue(() => -constants.errno.ENETUNREACH, () => assert.fail("no wait"));
  const err = q.send(Buffer.from("x"), 68, "198.19.99.99", () => assert.fail("not queued"));
  assert.ok(err instanceof Error);
  assert.equal(err.message, "send ENETUNREACH 198.19.99.99:68");
  assert.equal((err as NodeJS.ErrnoException).code, "ENETUNREACH");
});

test("ipv4Text formats host-order addresses", () => {
  assert.equal(ipv4Text(0), "0.0.0.0");
  assert.equal(ipv4Text(0x7f000001), "127.0.0.1");
  assert.equal(ipv4Text(0xffffffff), "255.255.255.255");
  assert.equal(ipv4Text(0xc612ff01), "198.18.255.1");
});

if (requireNativeDhcp()) {
  const l = loadNativeDhcp();
  const addon = (l as { addon: NativeDhcpAddon }).addon;

  test("a burst longer than one recvmmsg batch arrives whole, in order, with its source, one JS call per batch", async () => {
    const ring = Buffer.allocUnsafeSlow(RECV_BATCH * SLOT_BYTES);
    const meta = new Uint32Array(RECV_BATCH * 4);
    const got: string[] = [];
    const wakes: number[] = [];
    const rx = new addon.Socket("127.0.0.1", 0, 1 << 20, ring, meta, SLOT_BYTES, (n) => {
      wakes.push(n);
      for (let i = 0; i < n; i++) {
        const len = meta[i * 4]!;
        got.push(`${ring.toString("utf8", i * SLOT_BYTES, i * SLOT_BYTES + len)}|${ipv4Text(meta[i * 4 + 1]!)}|${meta[i * 4 + 2]}|${meta[i * 4 + 3]}`);
      }
    });
    const txRing = Buffer.allocUnsafeSlow(SLOT_BYTES);
    const tx = new addon.Socket("127.0.0.1", 0, 0, txRing, new Uint32Array(4), SLOT_BYTES, () => undefined);
    try {
      const [, port] = rx.localAddress();
      const [, txPort] = tx.localAddress();
      const N = 3 * RECV_BATCH + 5;
      // Synchronous sends: all N wait in the receive queue before the loop turns.
      for (let i = 0; i < N; i++) assert.equal(tx.send(Buffer.from(`packet ${i}`), "127.0.0.1", port), 0);
      await until(() => got.length >= N);
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => `packet ${i}|127.0.0.1|${txPort}|0`));
      assert.equal(wakes[0], RECV_BATCH, "the first wake-up takes a full batch");
      assert.ok(wakes.every((n) => n >= 1 && n <= RECV_BATCH), `wakes ${wakes.join(",")}`);
      assert.ok(wakes.length >= Math.ceil(N / RECV_BATCH));
    } finally {
      rx.close();
      tx.close();
    }
  });

  test("a datagram longer than a slot is cut and flagged; the server counts it malformed", async () => {
    const seen: { len: number; truncated: boolean; from: string }[] = [];
    const rx = new NativeUdpSocket(addon, "127.0.0.1", 0, undefined, (msg, from, _port, truncated) => seen.push({ len: msg.length, truncated, from }));
    const tx = new NativeUdpSocket(addon, "127.0.0.1", 0, undefined, () => undefined);
    try {
      const port = rx.local().port;
      assert.equal(tx.send(Buffer.alloc(SLOT_BYTES + 500, 1), port, "127.0.0.1", () => assert.fail("not queued")), null);
      assert.equal(tx.send(Buffer.alloc(SLOT_BYTES, 2), port, "127.0.0.1", () => assert.fail("not queued")), null);
      await until(() => seen.length >= 2);
      assert.deepEqual(seen, [{ len: SLOT_BYTES, truncated: true, from: "127.0.0.1" }, { len: SLOT_BYTES, truncated: false, from: "127.0.0.1" }]);
    } finally {
      rx.close();
      tx.close();
    }

    const events: DhcpServerEvent[] = [];
    const server = new DhcpServer({
      engine: fakeEngine, store: new MemoryStore(), policy: "lab", serverAddresses: [], proxy: false, wildcardAddress: "127.0.0.1",
      ports: { server: 0, proxy: 0 }, dataPath: "native", onEvent: (e) => events.push(e),
    });
    await server.start();
    const client = new NativeUdpSocket(addon, "127.0.0.1", 0, undefined, () => undefined);
    try {
      assert.equal(server.dataPath, "native");
      const port = server.bound[0]!.port;
      const long = Buffer.alloc(SLOT_BYTES + 100);
      Buffer.from(fakeRequest("02:00:00:00:99:01", { ignore: "scripted" })).copy(long);
      client.send(long, port, "127.0.0.1", () => undefined);
      client.send(fakeRequest("02:00:00:00:99:02", { ignore: "scripted" }), port, "127.0.0.1", () => undefined);
      await until(() => server.counters.received >= 2);
      assert.equal(server.counters.malformed, 1);
      assert.equal(server.counters.ignored.get("scripted"), 1, "the whole one is handled");
      const bad = events.find((e) => e.type === "malformed");
      assert.ok(bad !== undefined && bad.type === "malformed" && /truncated/.test(bad.error) && bad.from === `127.0.0.1:${client.local().port}`);
    } finally {
      client.close();
      await server.stop();
    }
  });

  test("a send the kernel refuses is an error at once, and the socket keeps working", async () => {
    const seen: string[] = [];
    const rx = new NativeUdpSocket(addon, "127.0.0.1", 0, undefined, (msg) => seen.push(msg.toString()));
    const tx = new NativeUdpSocket(addon, "127.0.0.1", 0, undefined, () => undefined);
    try {
      // UDP refuses destination port 0 (EINVAL) without any packet leaving.
      const err = tx.send(Buffer.from("x"), 0, "127.0.0.1", () => assert.fail("not queued"));
      assert.ok(err instanceof Error && err.message === "send EINVAL 127.0.0.1:0", String(err));
      assert.equal(tx.send(Buffer.from("after"), rx.local().port, "127.0.0.1", () => assert.fail("not queued")), null);
      await until(() => seen.length >= 1);
      assert.deepEqual(seen, ["after"]);
    } finally {
      rx.close();
      tx.close();
    }
  });

  test("close is safe twice, sends after it throw, and no descriptor is left open", async () => {
    const fds = (): number => readdirSync("/proc/self/fd").length;
    const before = fds();
    const set = await SocketSet.open(
      { wildcardAddress: "127.0.0.1", serverPort: 0, proxyPort: 0, serverAddresses: ["127.0.0.1"] }, () => undefined, { path: "native", addon },
    );
    const one = set.all[0]!;
    try {
      // 67 and 4011, each on the wildcard and on the server address.
      assert.equal(set.all.length, 4);
      assert.equal(fds(), before + 4);
    } finally {
      await set.close();
    }
    await set.close();
    await one.close();
    assert.throws(() => one.send(Buffer.from("x"), 68, "127.0.0.1", () => undefined), /closed/);
    assert.deepEqual(one.local(), { address: "0.0.0.0", port: 0 });
    await tick();
    assert.equal(fds(), before);
    for (let i = 0; i < 50; i++) new NativeUdpSocket(addon, "127.0.0.1", 0, 1 << 16, () => undefined).close();
    await tick();
    assert.equal(fds(), before);
  });
}
