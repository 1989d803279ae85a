/**
 * Receive coalescing on the native DHCP socket (native/dhcp_sock.c,
 * after_drain), on 127.0.0.1 with kernel-chosen ports (no DHCP traffic):
 * the first datagram after a quiet spell is handed over at once; what comes
 * while the window runs is handed over together when it ends; a full batch
 * is drained at once; nothing is lost; 0 turns it off; and the setting's
 * parsing. The windows used here (300 ms) are far longer than the few
 * synchronous sends each test makes inside them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadNativeDhcp, type NativeDhcpAddon, type NativeDhcpSocket } from "../../src/servers/dhcp/native.js";
import { RECV_BATCH, SLOT_BYTES } from "../../src/servers/dhcp/native-socket.js";
import { DEFAULT_RECEIVE_COALESCE_MS, receiveCoalesceMs } from "../../src/servers/dhcp/server.js";
import { requireNativeDhcp } from "../support/native-guard.js";

const WINDOW_MS = 300;
/** Loop turns that take far less than WINDOW_MS. */
const SOON = 200;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("the coalescing window: option, then LAGGBOOT_DHCP_COALESCE_MS, then the default; bounded", () => {
  assert.equal(receiveCoalesceMs(undefined, {}), DEFAULT_RECEIVE_COALESCE_MS);
  assert.equal(receiveCoalesceMs(7, { LAGGBOOT_DHCP_COALESCE_MS: "2" }), 7);
  assert.equal(receiveCoalesceMs(undefined, { LAGGBOOT_DHCP_COALESCE_MS: "0" }), 0);
  assert.equal(receiveCoalesceMs(undefined, { LAGGBOOT_DHCP_COALESCE_MS: "12" }), 12);
  assert.equal(receiveCoalesceMs(undefined, { LAGGBOOT_DHCP_COALESCE_MS: "lots" }), DEFAULT_RECEIVE_COALESCE_MS);
  assert.equal(receiveCoalesceMs(undefined, { LAGGBOOT_DHCP_COALESCE_MS: "-3" }), DEFAULT_RECEIVE_COALESCE_MS);
  assert.equal(receiveCoalesceMs(5000, {}), 100, "capped at 100 ms");
  assert.equal(receiveCoalesceMs(2.5, {}), DEFAULT_RECEIVE_COALESCE_MS);
});

if (requireNativeDhcp()) {
  const addon = (loadNativeDhcp() as { addon: NativeDhcpAddon }).addon;

  /** A receiving socket that records each wake-up's datagrams, and a sender. */
  function pair(): { rx: NativeDhcpSocket; tx: NativeDhcpSocket; wakes: string[][]; send(text: string): void; close(): void } {
    const ring = Buffer.allocUnsafeSlow(RECV_BATCH * SLOT_BYTES);
    const meta = new Uint32Array(RECV_BATCH * 4);
    const wakes: string[][] = [];
    const rx = new addon.Socket("127.0.0.1", 0, 1 << 20, ring, meta, SLOT_BYTES, (n) => {
      const got: string[] = [];
      for (let i = 0; i < n; i++) got.push(ring.toString("utf8", i * SLOT_BYTES, i * SLOT_BYTES + meta[i * 4]!));
      wakes.push(got);
    });
    const tx = new addon.Socket("127.0.0.1", 0, 0, Buffer.allocUnsafeSlow(SLOT_BYTES), new Uint32Array(4), SLOT_BYTES, () => undefined);
    const port = rx.localAddress()[1];
    return {
      rx, tx, wakes,
      send: (text) => assert.equal(tx.send(Buffer.from(text), "127.0.0.1", port), 0),
      close: () => {
        rx.close();
        tx.close();
      },
    };
  }

  /** Waits for the n-th wake-up: within `turns` loop turns (SOON: "at once"), or else within a few windows. */
  async function untilWakes(wakes: unknown[], n: number, turns?: number): Promise<void> {
    if (turns !== undefined) for (let i = 0; i < turns && wakes.length < n; i++) await tick();
    else for (let i = 0; i < 200 && wakes.length < n; i++) await sleep(WINDOW_MS / 10);
    assert.ok(wakes.length >= n, `${wakes.length} wake-ups, wanted ${n}`);
  }

  test("coalescing: the first datagram at once, the next ones together when the window ends, then quiet again", async () => {
    const p = pair();
    try {
      p.rx.coalesce(WINDOW_MS);
      p.send("a");
      // A couple of hundred loop turns take far less than the window: "at once" means here.
      await untilWakes(p.wakes, 1, SOON);
      assert.deepEqual(p.wakes, [["a"]], "a datagram after a quiet spell is not held back");
      // The window is running: these wait for it, and come in one wake-up.
      p.send("b");
      p.send("c");
      p.send("d");
      for (let i = 0; i < 200; i++) await tick();
      assert.deepEqual(p.wakes, [["a"]], "nothing handed over while the window runs");
      await untilWakes(p.wakes, 2);
      assert.deepEqual(p.wakes, [["a"], ["b", "c", "d"]]);
      // The next window finds nothing: the socket is watched per datagram again.
      await sleep(WINDOW_MS * 2.5);
      p.send("e");
      const before = p.wakes.length;
      await untilWakes(p.wakes, before + 1, SOON);
      assert.deepEqual(p.wakes.at(-1), ["e"]);
    } finally {
      p.close();
    }
  });

  test("coalescing: a full batch is drained at once and nothing is lost", async () => {
    const p = pair();
    try {
      p.rx.coalesce(WINDOW_MS);
      p.send("first");
      await untilWakes(p.wakes, 1);
      const n = 2 * RECV_BATCH + 3;
      for (let i = 0; i < n; i++) p.send(`p${i}`);
      await untilWakes(p.wakes, 4);
      const after = p.wakes.slice(1);
      assert.deepEqual(after.flat(), Array.from({ length: n }, (_, i) => `p${i}`), "all of them, in order");
      assert.equal(after[0]!.length, RECV_BATCH);
      assert.equal(after[1]!.length, RECV_BATCH);
    } finally {
      p.close();
    }
  });

  test("coalescing off (0): every wake-up hands over what is there at once", async () => {
    const p = pair();
    try {
      p.rx.coalesce(WINDOW_MS);
      p.send("a");
      await untilWakes(p.wakes, 1);
      p.rx.coalesce(0); // turned off inside a running window: watched per datagram again, now
      p.send("b");
      await untilWakes(p.wakes, 2, SOON);
      assert.deepEqual(p.wakes, [["a"], ["b"]]);
    } finally {
      p.close();
    }
  });

  test("closing inside a window: nothing is delivered after close, and closing twice is safe", async () => {
    const p = pair();
    p.rx.coalesce(WINDOW_MS);
    p.send("a");
    await untilWakes(p.wakes, 1);
    p.send("b");
    p.close();
    await sleep(WINDOW_MS + 100);
    assert.deepEqual(p.wakes, [["a"]]);
    p.rx.close(); // twice is safe
  });
}
