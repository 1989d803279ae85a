/**
 * The boot-file HTTP server on 127.0.0.1 (port 0) against a real boot tree:
 * GET/HEAD, Range, validators, keep-alive and Connection: close, directory
 * pages, per-client virtual files, and a hostile corpus sent byte for byte:
 * traversal in every spelling, symlinks out, FIFOs, huge heads, slowloris,
 * connection floods and stalled readers. Nothing outside the root is ever
 * answered, the server keeps answering others, memory stays bounded.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { request, Agent, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createHttpBootServer, type HttpBootServer, type HttpTransferEvent } from "../../src/servers/http-boot/index.js";
import type { HttpBootOptions, HttpBootRoute } from "../../src/servers/http-boot/types.js";
import { LaggbootError } from "../../src/errors.js";
import { openSocket, parseAnswer, rawExchange, rawGet } from "../support/raw-http.js";

const SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT";
let base = "";
let root = "";
const kernel = randomBytes(1 << 20);

before(() => {
  base = mkdtempSync(join(tmpdir(), "lb-httpboot-"));
  root = join(base, "root");
  mkdirSync(join(root, "sub/deeper"), { recursive: true });
  mkdirSync(join(base, "outside"));
  writeFileSync(join(base, "outside/secret"), SECRET);
  writeFileSync(join(root, "kernel"), kernel);
  writeFileSync(join(root, "loader.efi"), "MZ-efi-image");
  writeFileSync(join(root, "sub/a.txt"), "a\n");
  writeFileSync(join(root, "sub/.hidden"), "h\n");
  writeFileSync(join(root, "empty"), "");
  // 64 MiB of holes: a big file that costs no disk.
  writeFileSync(join(root, "big"), "");
  truncateSync(join(root, "big"), 64 << 20);
  symlinkSync("../kernel", join(root, "sub/link-in"));
  symlinkSync(join(base, "outside/secret"), join(root, "link-out"));
  symlinkSync(join(base, "outside"), join(root, "dir-out"));
  symlinkSync("/etc/passwd", join(root, "passwd"));
  execFileSync("mkfifo", [join(root, "fifo")]);
});

after(() => rmSync(base, { recursive: true, force: true }));

interface Running {
  readonly server: HttpBootServer;
  readonly port: number;
  readonly events: HttpTransferEvent[];
  /** The next event matching `pred` (already seen or future). */
  event(pred: (e: HttpTransferEvent) => boolean, timeoutMs?: number): Promise<HttpTransferEvent>;
}

async function startServer(o: Partial<HttpBootOptions> = {}, routes: readonly HttpBootRoute[] = []): Promise<Running> {
  const server = createHttpBootServer({ root, address: "127.0.0.1", port: 0, ...o }, {
    routes,
    virtualFiles: (client, path) => {
      if (path === "boot.ipxe") return `#!ipxe\n# for ${client.address}\n`;
      if (path === "broken") throw new Error("provider failed");
      return undefined;
    },
  });
  const events: HttpTransferEvent[] = [];
  const waiters: { pred: (e: HttpTransferEvent) => boolean; resolve: (e: HttpTransferEvent) => void }[] = [];
  server.onTransfer((e) => {
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  const { port } = await server.start();
  return {
    server, port, events,
    event: (pred, timeoutMs = 5000) => {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no such event; got ${JSON.stringify(events.slice(-5))}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        } });
      });
    },
  };
}

interface Got { status: number; headers: IncomingMessage["headers"]; body: Buffer; reused: boolean }

function get(port: number, path: string, o: { method?: string; headers?: Record<string, string>; agent?: Agent; localAddress?: string } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: o.method ?? "GET", headers: o.headers, agent: o.agent ?? false, localAddress: o.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reused: req.reusedSocket }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("http boot server: files", () => {
  let s: Running;
  before(async () => {
    s = await startServer();
  });
  after(() => s.server.stop(0));

  test("GET streams the whole file with length, type and validators; the event says ok", async () => {
    const r = await get(s.port, "/kernel");
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(kernel));
    assert.equal(r.headers["content-length"], String(kernel.length));
    assert.equal(r.headers["content-type"], "application/octet-stream");
    assert.match(String(r.headers["etag"]), /^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(r.headers["last-modified"]);
    assert.equal(r.headers["accept-ranges"], "bytes");
    const e = await s.event((x) => x.path === "kernel" && x.method === "GET" && x.status === 200);
    assert.equal(e.outcome, "ok");
    assert.equal(e.bytes, kernel.length);
    assert.equal(e.sizeBytes, kernel.length);
    assert.equal(e.protocol, "http");
    assert.equal(e.clientAddress, "127.0.0.1");
    assert.equal((await get(s.port, "/loader.efi")).headers["content-type"], "application/efi");
  });

  test("HEAD answers the headers of GET and no body (a probe)", async () => {
    const r = await get(s.port, "/kernel", { method: "HEAD" });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers["content-length"], String(kernel.length));
    const e = await s.event((x) => x.method === "HEAD" && x.path === "kernel");
    assert.equal(e.outcome, "probe");
    assert.equal(e.bytes, 0);
  });

  test("Range gives 206 with the slice; If-Range with an old tag the whole file; past the end 416", async () => {
    const r = await get(s.port, "/kernel", { headers: { Range: "bytes=1000-1999" } });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(kernel.subarray(1000, 2000)));
    assert.equal(r.headers["content-range"], `bytes 1000-1999/${kernel.length}`);
    const e = await s.event((x) => x.status === 206);
    assert.equal(e.outcome, "partial");
    assert.deepEqual(e.range, { start: 1000, end: 1999 });
    assert.equal(e.bytes, 1000);
    const suffix = await get(s.port, "/kernel", { headers: { Range: "bytes=-16" } });
    assert.ok(suffix.body.equals(kernel.subarray(kernel.length - 16)));
    const stale = await get(s.port, "/kernel", { headers: { Range: "bytes=0-9", "If-Range": '"stale"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.length, kernel.length);
    const fresh = await get(s.port, "/kernel", { headers: { Range: "bytes=0-9", "If-Range": String(stale.headers["etag"]) } });
    assert.equal(fresh.status, 206);
    const past = await get(s.port, "/kernel", { headers: { Range: `bytes=${kernel.length}-` } });
    assert.equal(past.status, 416);
    assert.equal(past.headers["content-range"], `bytes */${kernel.length}`);
  });

  test("ETag and Last-Modified: If-None-Match and If-Modified-Since give 304 without a body", async () => {
    const first = await get(s.port, "/kernel", { method: "HEAD" });
    const a = await get(s.port, "/kernel", { headers: { "If-None-Match": String(first.headers["etag"]) } });
    assert.equal(a.status, 304);
    assert.equal(a.body.length, 0);
    const b = await get(s.port, "/kernel", { headers: { "If-Modified-Since": String(first.headers["last-modified"]) } });
    assert.equal(b.status, 304);
    assert.equal((await s.event((x) => x.status === 304)).outcome, "not-modified");
    assert.equal((await get(s.port, "/kernel", { headers: { "If-Match": '"nope"' } })).status, 412);
  });

  test("keep-alive reuses one connection; Connection: close closes it after the answer", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const one = await get(s.port, "/sub/a.txt", { agent });
    const two = await get(s.port, "/sub/a.txt", { agent });
    agent.destroy();
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    assert.equal(two.reused, true, "the second request went over the first one's connection");
    // Two requests written at once, the first with Connection: close: only the first is answered, then the server closes.
    const both = await rawExchange(s.port, "GET /sub/a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /kernel HTTP/1.1\r\nHost: t\r\n\r\n", { timeoutMs: 3000 });
    const text = both.toString("latin1");
    assert.equal(text.match(/^HTTP\/1\.1 /gm)?.length, 1, text.slice(0, 400));
    assert.match(text, /connection: close/i);
  });

  test("an empty file is 200 with length 0", async () => {
    const r = await get(s.port, "/empty");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-length"], "0");
  });

  test("per-client virtual files: content for the asking address; a failing provider is a 500, not a crash", async () => {
    const a = await get(s.port, "/boot.ipxe");
    assert.equal(a.body.toString(), "#!ipxe\n# for 127.0.0.1\n");
    assert.equal(a.headers["cache-control"], "no-store");
    assert.equal(a.headers["etag"], undefined);
    const b = await get(s.port, "/boot.ipxe", { localAddress: "127.0.0.2" });
    assert.equal(b.body.toString(), "#!ipxe\n# for 127.0.0.2\n");
    assert.equal((await s.event((x) => x.path === "boot.ipxe")).virtual, true);
    assert.equal((await get(s.port, "/broken")).status, 500);
    assert.equal((await get(s.port, "/kernel")).status, 200, "still serving");
  });

  test("directories: without '/' a 301 to the '/' form; with it a page of links, no dotfiles, no links out", async () => {
    const r = await get(s.port, "/sub");
    assert.equal(r.status, 301);
    assert.equal(r.headers["location"], "/sub/");
    const page = await get(s.port, "/sub/");
    assert.equal(page.status, 200);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
    const names = [...page.body.toString().matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(names, ["a.txt", "deeper/", "link-in"]);
    const top = await get(s.port, "/");
    const topNames = [...top.body.toString().matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(!topNames.includes("link-out") && !topNames.includes("dir-out") && !topNames.includes("passwd") && !topNames.includes("fifo"), topNames.join(" "));
    assert.ok(topNames.includes("kernel") && topNames.includes("sub/"));
  });

  test("methods other than GET and HEAD: 405 with Allow", async () => {
    for (const m of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const r = await get(s.port, "/kernel", { method: m });
      assert.equal(r.status, 405, m);
      assert.equal(r.headers["allow"], "GET, HEAD");
    }
    assert.equal((await s.event((x) => x.status === 405)).outcome, "refused");
  });
});

describe("http boot server: hostile requests", () => {
  let s: Running;
  before(async () => {
    s = await startServer({ headersTimeoutMs: 600, idleTimeoutMs: 600, maxConnectionsPerClient: 4, maxConnections: 12, readChunkBytes: 64 * 1024 });
  });
  after(() => s.server.stop(0));

  const TRAVERSALS = [
    "/../outside/secret", "/../../../../etc/passwd", "/sub/../../outside/secret", "/%2e%2e/outside/secret", "/%2E%2E/%2E%2E/etc/passwd",
    "/..%2foutside%2fsecret", "/..%5coutside%5csecret", "/..\\outside\\secret", "/sub/%2e%2e/%2e%2e/outside/secret",
    "http://evil/../outside/secret", "/%252e%252e/outside/secret", "/./../outside/secret", "/.%2e/outside/secret",
    "/link-out", "/dir-out/secret", "/passwd", "/sub/link-in/../../outside/secret", "//outside/secret", "/kernel%00.efi",
    "/%c0%ae%c0%ae/outside/secret", "/..;/outside/secret", "/fifo", "/dir-out/", "/%",
  ];

  test("traversal in path and encoded forms, symlinks out, FIFOs: never a byte from outside the root", async () => {
    for (const t of TRAVERSALS) {
      const r = await rawGet(s.port, t);
      assert.ok([400, 403, 404].includes(r.status), `${t}: ${r.status}\n${r.raw.slice(0, 300)}`);
      assert.ok(!r.raw.includes(SECRET) && !r.raw.includes("root:x:0:0"), `${t} leaked: ${r.raw.slice(0, 300)}`);
    }
    const refused = s.events.filter((e) => e.outcome === "refused");
    assert.ok(refused.length >= TRAVERSALS.length, `every one is an event: ${refused.length}`);
    assert.equal((await rawGet(s.port, "/sub/link-in")).status, 200, "a symlink inside the root is fine");
  });

  test("a huge request head gets 431; the server answers the next client", async () => {
    const big = `GET /kernel HTTP/1.1\r\nHost: t\r\nX-Fill: ${"a".repeat(20_000)}\r\n\r\n`;
    const r = parseAnswer(await rawExchange(s.port, big));
    assert.equal(r.status, 431);
    const many = `GET /kernel HTTP/1.1\r\nHost: t\r\n${Array.from({ length: 2000 }, (_, i) => `X-${i}: y\r\n`).join("")}\r\n`;
    assert.equal(parseAnswer(await rawExchange(s.port, many)).status, 431);
    assert.equal((await get(s.port, "/sub/a.txt")).status, 200);
  });

  test("slowloris: a head that never ends is cut off; others are served meanwhile", async () => {
    const sock = await openSocket(s.port, "127.0.0.3");
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      sock.on("close", () => resolve(Date.now() - t0));
      sock.on("error", () => undefined);
    });
    sock.write("GET /kernel HTTP/1.1\r\nHost: t\r\n");
    const drip = setInterval(() => sock.writable && sock.write("X-a: b\r\n"), 100);
    assert.equal((await get(s.port, "/sub/a.txt")).status, 200, "served while the slow head drips");
    const ms = await closed;
    clearInterval(drip);
    assert.ok(ms < 5000, `closed after ${ms} ms`);
  });

  test("connection flood from one address: over the per-client limit a 503; other addresses still served", async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => openSocket(s.port, "127.0.0.4")));
    const over = parseAnswer(await rawExchange(s.port, "GET /kernel HTTP/1.1\r\nHost: t\r\n\r\n", { localAddress: "127.0.0.4" }));
    assert.equal(over.status, 503);
    assert.equal(over.headers["retry-after"], "1");
    assert.equal((await get(s.port, "/sub/a.txt", { localAddress: "127.0.0.5" })).status, 200);
    const e = await s.event((x) => x.reason === "per-client connection limit");
    assert.equal(e.clientAddress, "127.0.0.4");
    for (const h of held) h.destroy();
    assert.ok(s.server.stats.connectionsRefused >= 1);
  });

  test("total limit: many addresses at once, the ones over the limit get 503, the rest are served", async () => {
    const held = await Promise.all(Array.from({ length: 12 }, (_, i) => openSocket(s.port, `127.0.1.${i + 1}`)));
    await new Promise((r) => setTimeout(r, 50));
    const over = parseAnswer(await rawExchange(s.port, "GET /kernel HTTP/1.1\r\nHost: t\r\n\r\n", { localAddress: "127.0.2.1" }));
    assert.equal(over.status, 503);
    for (const h of held) h.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await get(s.port, "/sub/a.txt", { localAddress: "127.0.2.2" })).status, 200);
  });

  test("a client that stops reading is dropped after the idle timeout (cancelled), and holds bounded memory meanwhile", async (t) => {
    const before = process.memoryUsage().arrayBuffers;
    const socks = await Promise.all(Array.from({ length: 8 }, (_, i) => openSocket(s.port, `127.0.3.${i + 1}`)));
    for (const k of socks) {
      k.on("error", () => undefined);
      k.write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
      k.pause();
    }
    await new Promise((r) => setTimeout(r, 300));
    const during = process.memoryUsage().arrayBuffers - before;
    t.diagnostic(`arrayBuffers grew by ${during} bytes`);
    // 8 stalled transfers of 64 MiB: each holds its two 64 KiB buffers, not its file.
    assert.ok(during < 8 * (1 << 20), `arrayBuffers grew by ${during} bytes`);
    const e = await s.event((x) => x.path === "big" && x.outcome === "cancelled", 8000);
    assert.ok(e.bytes < 64 << 20, `cancelled after ${e.bytes} bytes`);
    for (const k of socks) k.destroy();
  });
});

test("a file that gets shorter while it is sent: the transfer fails (event failed), the connection is cut, the server goes on", async () => {
  const s = await startServer({ readChunkBytes: 64 * 1024 });
  try {
    writeFileSync(join(root, "shrinks"), randomBytes(8 << 20));
    const sock = await openSocket(s.port);
    sock.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => sock.on("close", () => resolve()));
    sock.write("GET /shrinks HTTP/1.1\r\nHost: t\r\n\r\n");
    sock.pause();
    await new Promise((r) => setTimeout(r, 200));
    truncateSync(join(root, "shrinks"), 1000);
    sock.resume();
    const e = await s.event((x) => x.path === "shrinks");
    assert.equal(e.outcome, "failed");
    assert.match(e.reason ?? "", /got shorter/);
    await closed;
    assert.equal((await get(s.port, "/sub/a.txt")).status, 200);
  } finally {
    await s.server.stop(0);
  }
});

test("directory pages can be turned off: 403", async () => {
  const s = await startServer({ listDirectories: false });
  try {
    assert.equal((await get(s.port, "/sub/")).status, 403);
    assert.equal((await get(s.port, "/sub/a.txt")).status, 200);
  } finally {
    await s.server.stop(0);
  }
});

test("a route placed before the boot files answers its own requests (the seam for a client report)", async () => {
  const route: HttpBootRoute = {
    name: "report",
    claims: (method, ctx) => method === "POST" && ctx.target.ok && ctx.target.path === "api/v1/report",
    handle: (_req, res) => {
      res.writeHead(204);
      res.end();
    },
  };
  const s = await startServer({}, [route]);
  try {
    assert.equal((await get(s.port, "/api/v1/report", { method: "POST" })).status, 204);
    assert.equal((await get(s.port, "/kernel", { method: "POST" })).status, 405);
  } finally {
    await s.server.stop(0);
  }
});

test("a port in use is LB_ERR_BIND naming address, port and why", async () => {
  const a = await startServer();
  try {
    const b = createHttpBootServer({ root, address: "127.0.0.1", port: a.port });
    await assert.rejects(b.start(), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_BIND" && e.message.includes(`127.0.0.1:${a.port}`) && /in use/.test(e.message));
  } finally {
    await a.server.stop(0);
  }
  const missing = createHttpBootServer({ root: join(base, "nope"), address: "127.0.0.1", port: 0 });
  await assert.rejects(missing.start(), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_IO");
});

test("stop: a transfer under way finishes within the grace; afterwards nothing answers", async () => {
  const s = await startServer();
  const got = get(s.port, "/kernel");
  await s.event((x) => x.path === "kernel", 5000).catch(() => undefined);
  await s.server.stop(2000);
  assert.ok((await got).body.equals(kernel));
  await assert.rejects(get(s.port, "/kernel"));
  assert.equal(readFileSync(join(root, "kernel")).length, kernel.length);
});
