/**
 * The TFTP server's behaviour on 127.0.0.1, run once per data path (tftp-server.test.ts: Node's
 * dgram; tftp-server-native.test.ts: the native addon).
 */
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
import { createTftpServer, type TftpServer, type TransferEvent } from "../../src/servers/tftp/index.js";
import type { DataPath } from "../../src/servers/tftp/native.js";
import { tftpGet, tftpPut, TestSocket, type Peer } from "../support/tftp-client.js";

export function tftpServerSuite(dataPath: DataPath): void {
  const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
  const dir = mkdtempSync(join(tmpdir(), "lbtf-int-"));
  const root = join(dir, "root");
  const upload = join(dir, "upload");
  const secret = join(dir, "secret.txt");
  const files = {
    small: randomBytes(1000),
    exact: randomBytes(1024),
    big: randomBytes(3 * 1024 * 1024 + 17),
    empty: Buffer.alloc(0),
  };
  let server: TftpServer;
  let peer: Peer;
  const events: TransferEvent[] = [];

  before(async () => {
    mkdirSync(join(root, "boot"), { recursive: true });
    mkdirSync(upload);
    mkdirSync(join(upload, "sub"));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(root, k), v);
    writeFileSync(join(root, "boot", "text.txt"), "line1\nline2\r\n");
    writeFileSync(secret, "TOP SECRET outside the root\n");
    symlinkSync(secret, join(root, "escape-file"));
    symlinkSync(dir, join(root, "escape-dir"));
    symlinkSync("/dev/zero", join(root, "zero"));
    symlinkSync("small", join(root, "inside-link"));
    execFileSync("mkfifo", [join(root, "fifo")]);
    server = createTftpServer(
      { dataPath, root, address: "127.0.0.1", port: 0, writableDir: upload, minRtoMs: 20, initialRtoMs: 100, maxRetries: 4, maxTransfersPerClient: 8, maxWindowSize: 32 },
      {
        virtualFiles: (client, path) =>
          path === "boot.ipxe" ? `#!ipxe\necho hello ${client.address}\n` : path === "fail.ipxe" ? Promise.reject(new Error("boom")) : undefined,
      },
    );
    server.onTransfer((e) => events.push(e));
    const a = await server.start();
    peer = { address: "127.0.0.1", port: a.port };
  });

  after(async () => {
    await server.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  const opt = (name: string, value: string) => ({ name, value });

  test("reads files intact: lockstep at 512 and 1468, windowed 8 and 32, with tsize", async () => {
    for (const [name, data] of Object.entries(files)) {
      for (const options of [[], [opt("blksize", "1468")], [opt("blksize", "1468"), opt("windowsize", "8")], [opt("windowsize", "32"), opt("tsize", "0")]]) {
        const r = await tftpGet(peer, name, { options });
        assert.equal(r.error, undefined, `${name} ${JSON.stringify(options)}`);
        assert.equal(sha(r.data), sha(data), `${name} ${JSON.stringify(options)}`);
      }
    }
    const r = await tftpGet(peer, "big", { options: [opt("tsize", "0"), opt("blksize", "99999")] });
    assert.deepEqual(r.oack, [opt("tsize", String(files.big.length)), opt("blksize", "65464")]);
  });

  test(`the server runs the ${dataPath} data path`, () => {
    assert.equal(server.dataPath, dataPath);
  });

  test("each transfer uses its own port (RFC 1350 TID)", async () => {
    const r = await tftpGet(peer, "small");
    assert.notEqual(r.serverPort, peer.port);
  });

  test("real clients on loopback: curl and tftp-hpa", async () => {
    const out = join(dir, "curl.out");
    for (const bs of ["512", "1468", "8192"]) {
      await run("curl", ["-s", "--tftp-blksize", bs, "-o", out, `tftp://127.0.0.1:${peer.port}/big`], { timeout: 30_000 });
      assert.equal(sha(readFileSync(out)), sha(files.big), `curl blksize ${bs}`);
    }
    await run("tftp", ["127.0.0.1", String(peer.port), "-m", "binary", "-c", "get", "small", out], { timeout: 30_000 });
    assert.equal(sha(readFileSync(out)), sha(files.small));
  });

  test("virtual files differ per client and win over the root; a failing provider yields ERROR 0", async () => {
    const a = await tftpGet(peer, "/boot.ipxe");
    const b = await tftpGet(peer, "boot.ipxe", { localAddress: "127.0.0.2" });
    assert.equal(a.data.toString(), "#!ipxe\necho hello 127.0.0.1\n");
    assert.equal(b.data.toString(), "#!ipxe\necho hello 127.0.0.2\n");
    const f = await tftpGet(peer, "fail.ipxe");
    assert.equal(f.error?.code, 0);
  });

  test("netascii converts line ends; unknown modes are refused with ERROR 4", async () => {
    const r = await tftpGet(peer, "boot/text.txt", { mode: "NetASCII" });
    assert.equal(r.data.toString("latin1"), "line1\r\nline2\r\0\r\n");
    const m = await tftpGet(peer, "small", { mode: "mail" });
    assert.equal(m.error?.code, 4);
  });

  test("missing file: ERROR 1; directory, FIFO, device and escaping symlinks: ERROR 2; an inside symlink works", async () => {
    assert.equal((await tftpGet(peer, "nope")).error?.code, 1);
    for (const name of ["boot", "fifo", "zero", "escape-file", "escape-dir/secret.txt"]) {
      const r = await tftpGet(peer, name);
      assert.equal(r.error?.code, 2, name);
      assert.equal(r.data.length, 0, name);
    }
    assert.equal(sha((await tftpGet(peer, "inside-link")).data), sha(files.small));
  });

  test("security corpus: not one byte from outside the root, and the server keeps answering", async () => {
    const corpus = [
      "../secret.txt",
      "..\\secret.txt",
      "boot/../../secret.txt",
      "boot\\..\\..\\secret.txt",
      "%2e%2e/secret.txt",
      "%2e%2e%2fsecret.txt",
      "..%2fsecret.txt",
      "....//secret.txt",
      secret,
      `//${secret}`,
      "/etc/passwd",
      "/etc/shadow",
      "/proc/self/environ",
      "/dev/zero",
      "escape-file",
      "escape-dir/secret.txt",
      "escape-dir/root/small/../../secret.txt",
      "small\n",
      "\x1b[2J",
      "caf\xe9",
      "x".repeat(256),
      "a/".repeat(2000),
      ".",
      "/",
      "",
    ];
    for (const name of corpus) {
      const r = await tftpGet(peer, name, { options: [opt("blksize", "1468")] });
      assert.ok(r.error, `no error for ${JSON.stringify(name)}`);
      assert.ok(r.data.length === 0, `data for ${JSON.stringify(name)}`);
      assert.ok(!r.data.toString("latin1").includes("SECRET"));
    }
    // A NUL inside the name ends it early; the rest becomes a bogus mode.
    const s = await TestSocket.open();
    try {
      s.send(Buffer.from("\0\x01small\0../../secret.txt\0octet\0", "latin1"), peer);
      const m = await s.next(1000);
      assert.ok(m?.p?.type === "ERROR");
    } finally {
      s.close();
    }
    assert.equal(sha((await tftpGet(peer, "small")).data), sha(files.small));
  });

  test("out-of-range and malformed options are ignored or lowered, never fatal", async () => {
    const cases = [
      [opt("blksize", "0")],
      [opt("blksize", "7")],
      [opt("blksize", "-5")],
      [opt("blksize", "1".repeat(100))],
      [opt("windowsize", "0")],
      [opt("windowsize", "99999999")],
      [opt("timeout", "0")],
      [opt("timeout", "1000")],
      [opt("tsize", "abc")],
      [opt("blksize", "9"), opt("blksize", "100000")],
    ];
    for (const options of cases) {
      const r = await tftpGet(peer, "small", { options });
      assert.equal(r.error, undefined, JSON.stringify(options));
      assert.equal(sha(r.data), sha(files.small), JSON.stringify(options));
    }
  });

  test("malformed requests get ERROR 4; junk is dropped; the server lives on", async () => {
    const s = await TestSocket.open();
    try {
      s.send(Buffer.from([0, 1, 0x61, 0x62]), peer);
      const m = await s.next(1000);
      assert.ok(m?.p?.type === "ERROR" && m.p.code === 4);
      for (const junk of [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 9, 1, 2]), randomBytes(1400)]) s.send(junk, peer);
      s.send(Buffer.from([0, 4, 0, 1]), peer);
      assert.equal(await s.next(200), undefined);
    } finally {
      s.close();
    }
    assert.equal(sha((await tftpGet(peer, "small")).data), sha(files.small));
  });

  test("UEFI size probe: OACK, ERROR 8 is reported as 'probe'; the second request gets the file", async () => {
    const s = await TestSocket.open();
    try {
      s.send({ type: "RRQ", filename: "big", mode: "octet", options: [opt("tsize", "0"), opt("blksize", "1468"), opt("windowsize", "4")] }, peer);
      const m = await s.next(1000);
      assert.ok(m?.p?.type === "OACK");
      assert.deepEqual(m.p.options, [opt("tsize", String(files.big.length)), opt("blksize", "1468"), opt("windowsize", "4")]);
      s.send({ type: "ERROR", code: 8, message: "tsize probe" }, m.from);
      await new Promise((r) => setTimeout(r, 50));
      const ev = [...events].reverse().find((e) => e.path === "big" && e.clientPort === s.sock.address().port);
      assert.equal(ev?.outcome, "probe");
      assert.equal(ev?.clientErrorCode, 8);
    } finally {
      s.close();
    }
    const r = await tftpGet(peer, "big", { options: [opt("blksize", "1468"), opt("windowsize", "4")] });
    assert.equal(sha(r.data), sha(files.big));
  });

  test("a client that ignores the OACK and repeats its RRQ gets RFC 1350 defaults", async () => {
    const s = await TestSocket.open();
    try {
      const rrq = { type: "RRQ" as const, filename: "small", mode: "octet", options: [opt("blksize", "1468")] };
      s.send(rrq, peer);
      assert.equal((await s.next(1000))?.p?.type, "OACK");
      s.send(rrq, peer);
      assert.equal((await s.next(1000))?.p?.type, "OACK");
      s.send(rrq, peer);
      let m = await s.next(1000);
      while (m?.p?.type === "OACK") m = await s.next(1000);
      assert.ok(m?.p?.type === "DATA" && m.p.block === 1 && m.p.data.length === 512);
      s.send({ type: "ACK", block: 1 }, m.from);
      const m2 = await s.next(1000);
      assert.ok(m2?.p?.type === "DATA" && m2.p.block === 2 && m2.p.data.length === 1000 - 512);
      await s.send({ type: "ACK", block: 2 }, m.from);
    } finally {
      s.close();
    }
  });

  test("one event per transfer with client, file, bytes, duration and outcome", async () => {
    const before = events.length;
    await tftpGet(peer, "big", { options: [opt("blksize", "1468")] });
    await tftpGet(peer, "nope");
    await new Promise((r) => setTimeout(r, 20));
    const mine = events.slice(before).filter((e) => e.path === "big" || e.path === "nope");
    assert.equal(mine.length, 2, JSON.stringify(mine.map((e) => [e.path, e.outcome, e.reason])));
    assert.equal(mine[0]!.outcome, "ok");
    assert.equal(mine[0]!.bytes, files.big.length);
    assert.equal(mine[0]!.blockSize, 1468);
    assert.equal(mine[0]!.clientAddress, "127.0.0.1");
    assert.ok(mine[0]!.durationMs > 0);
    assert.equal(mine[1]!.outcome, "refused");
    assert.equal(server.stats.active, 0);
  });

  test("writes go only into the writable directory, never over a file, never outside", async () => {
    const data = randomBytes(5000);
    assert.deepEqual(await tftpPut(peer, "up.bin", data), {});
    await new Promise((r) => setTimeout(r, 300)); // the receiver dallies, then links the file
    assert.equal(sha(readFileSync(join(upload, "up.bin"))), sha(data));
    assert.equal((await tftpPut(peer, "up.bin", data)).error?.code, 6);
    assert.deepEqual(await tftpPut(peer, "sub/x.bin", randomBytes(512), [opt("blksize", "256")]), {});
    for (const name of ["../evil", "nodir/x", "sub/../../evil"]) {
      assert.ok((await tftpPut(peer, name, data)).error, name);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!existsSync(join(dir, "evil")));
    assert.ok(existsSync(join(upload, "sub", "x.bin")));
    assert.equal((await tftpPut(peer, "huge", data, [opt("tsize", String(1e12))])).error?.code, 3);
  });

  test("read-only by default: WRQ refused with ERROR 2", async () => {
    const ro = createTftpServer({ dataPath, root, address: "127.0.0.1", port: 0 });
    const a = await ro.start();
    try {
      const r = await tftpPut({ address: "127.0.0.1", port: a.port }, "x", Buffer.from("x"));
      assert.equal(r.error?.code, 2);
    } finally {
      await ro.stop(0);
    }
  });

  test("single-port mode answers every packet from the listening port", async () => {
    const sp = createTftpServer({ dataPath, root, address: "127.0.0.1", port: 0, singlePort: true, minRtoMs: 20 });
    const a = await sp.start();
    try {
      const p = { address: "127.0.0.1", port: a.port };
      const r = await tftpGet(p, "big", { options: [opt("blksize", "1468"), opt("windowsize", "8")] });
      assert.equal(r.serverPort, a.port);
      assert.equal(sha(r.data), sha(files.big));
      const [x, y] = await Promise.all([tftpGet(p, "small"), tftpGet(p, "exact")]);
      assert.equal(sha(x.data), sha(files.small));
      assert.equal(sha(y.data), sha(files.exact));
    } finally {
      await sp.stop(100);
    }
  });

  test("limits: per-client cap refuses the extra transfer; an RRQ flood leaves other clients served", async () => {
    const floodSockets: TestSocket[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const s = await TestSocket.open();
        floodSockets.push(s);
        for (let k = 0; k < 25; k++) s.send({ type: "RRQ", filename: "big", mode: "octet", options: [] }, peer);
      }
      await new Promise((r) => setTimeout(r, 200));
      // At most 8 from 127.0.0.1 may run; the rest were refused.
      assert.ok(server.stats.active <= 8, `active ${server.stats.active}`);
      let busy = 0;
      for (const s of floodSockets) {
        for (let m = await s.next(50); m; m = await s.next(10)) if (m.p?.type === "ERROR" && m.p.code === 0) busy++;
      }
      assert.ok(busy >= 30, `busy refusals ${busy}`);
      const t0 = Date.now();
      const r = await tftpGet(peer, "small", { localAddress: "127.0.0.2" });
      assert.equal(sha(r.data), sha(files.small));
      assert.ok(Date.now() - t0 < 1000);
    } finally {
      for (const s of floodSockets) s.close();
    }
    // The flood's transfers time out by themselves.
    const deadline = Date.now() + 10_000;
    while (server.stats.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.stats.active, 0);
  });

  test("graceful stop: no new transfers, a running one finishes within the grace period", async () => {
    const g = createTftpServer({ dataPath, root, address: "127.0.0.1", port: 0, minRtoMs: 200 });
    const evs: TransferEvent[] = [];
    g.onTransfer((e) => evs.push(e));
    const a = await g.start();
    const p = { address: "127.0.0.1", port: a.port };
    const running = tftpGet(p, "exact", { ackDelayMs: 50 });
    await new Promise((r) => setTimeout(r, 20));
    const stopped = g.stop(3000);
    await new Promise((r) => setTimeout(r, 10));
    const late = await TestSocket.open();
    late.send({ type: "RRQ", filename: "small", mode: "octet", options: [] }, p);
    assert.equal(await late.next(300), undefined);
    late.close();
    const r = await running;
    assert.equal(sha(r.data), sha(files.exact));
    await stopped;
    assert.equal(evs.length, 1);
    assert.equal(evs[0]!.outcome, "ok");
  });

  test("stop after the grace period aborts what still runs, with ERROR 0 to the client", async () => {
    const g = createTftpServer({ dataPath, root, address: "127.0.0.1", port: 0, minRtoMs: 200 });
    const evs: TransferEvent[] = [];
    g.onTransfer((e) => evs.push(e));
    const a = await g.start();
    const running = tftpGet({ address: "127.0.0.1", port: a.port }, "big", { ackDelayMs: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await g.stop(100);
    const r = await running;
    assert.equal(r.error?.code, 0);
    assert.equal(evs[0]?.outcome, "failed");
  });
}
