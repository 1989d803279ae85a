/**
 * The HTTP status server on 127.0.0.1, port 0, over a fake StatusSource:
 * every endpoint, the event stream (live delivery, resume with
 * Last-Event-ID, gap notice, heartbeat, bounded streams, cleanup on close and
 * on stop), errors as JSON (400, 403, 404, 405, 500), and the headers that
 * keep other origins and inline injection out.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { connect, createServer as createTcpServer } from "node:net";
import { once } from "node:events";
import { Agent, request } from "node:http";
import { LaggbootError } from "../../src/errors.js";
import { createHttpServer, type HttpServer } from "../../src/web/server.js";
import { LaggbootMetrics, METRIC } from "../../src/web/metric-names.js";
import { FakeSource, SseReader, client, httpRequest } from "./web-fake.js";

const MAC1 = "02:00:00:00:00:01";
const MAC2 = "02:00:00:00:00:02";

async function startServer(source: FakeSource, options: Parameters<typeof createHttpServer>[2] = {}): Promise<{ http: HttpServer; port: number }> {
  const http = createHttpServer({ address: "127.0.0.1", port: 0 }, source, options);
  const { address, port } = await http.start();
  assert.equal(address, "127.0.0.1");
  return { http, port };
}

const json = (body: string): unknown => JSON.parse(body);

describe("HTTP API", () => {
  const source = new FakeSource();
  const metrics = new LaggbootMetrics(0);
  let http: HttpServer;
  let port: number;

  before(async () => {
    source.clientList = [
      client("alpha", {
        stage: "dhcp-acked", lastSeenMs: 1_700_000_000_000,
        stages: [{ stage: "dhcp-offered", atMs: 1, detail: "198.18.0.10" }, { stage: "dhcp-acked", atMs: 2, detail: "198.18.0.10" }],
      }),
      client("beta", { ip: "198.18.0.11", macs: [MAC2] }),
    ];
    source.leaseList = [{ ip: "198.18.0.100", mac: MAC2, network: "lab", state: "bound", startMs: 1, expiresMs: 2 }];
    ({ http, port } = await startServer(source, { metrics }));
  });
  after(() => http.stop());

  test("clients: JSON array with security headers and no CORS", async () => {
    const r = await httpRequest(port, "/api/v1/clients");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    assert.equal(r.headers["cache-control"], "no-store");
    assert.match(String(r.headers["content-security-policy"]), /default-src 'none'/);
    assert.equal(r.headers["access-control-allow-origin"], undefined);
    assert.deepEqual(json(r.body), JSON.parse(JSON.stringify(source.clientList)));
  });

  test("clients: ?name= filters by exact name; given twice is a 400", async () => {
    const r = await httpRequest(port, "/api/v1/clients?name=beta");
    assert.deepEqual((json(r.body) as { name: string }[]).map((c) => c.name), ["beta"]);
    const none = await httpRequest(port, "/api/v1/clients?name=bet");
    assert.deepEqual(json(none.body), []);
    const twice = await httpRequest(port, "/api/v1/clients?name=a&name=b");
    assert.equal(twice.status, 400);
    assert.deepEqual(json(twice.body), { error: "bad-request", message: "name given 2 times" });
  });

  test("leases: JSON array", async () => {
    const r = await httpRequest(port, "/api/v1/leases");
    assert.equal(r.status, 200);
    assert.deepEqual(json(r.body), source.leaseList);
  });

  test("events: query passed to the source; MAC normalized; default limit 100", async () => {
    source.emit({ atMs: 10, kind: "dhcp.offer", mac: MAC1, ip: "198.18.0.10" });
    source.emit({ atMs: 11, kind: "dhcp.offer", mac: MAC2 });
    source.emit({ atMs: 12, kind: "dhcp.ack", mac: MAC1, ip: "198.18.0.10" });
    source.eventQueries.length = 0;
    const all = await httpRequest(port, "/api/v1/events");
    assert.deepEqual((json(all.body) as { id: number }[]).map((e) => e.id), [3, 2, 1]);
    const some = await httpRequest(port, "/api/v1/events?mac=02-00-00-00-00-01&after=1&limit=5");
    assert.deepEqual((json(some.body) as { id: number }[]).map((e) => e.id), [3]);
    assert.deepEqual(source.eventQueries, [
      { mac: undefined, afterId: undefined, limit: 100 },
      { mac: MAC1, afterId: 1, limit: 5 },
    ]);
  });

  test("events: bad query values are 400 JSON, never a crash", async () => {
    for (const q of ["mac=zz", "mac=02:00:00:00:00", "after=-1", "after=1.5", "after=99999999999999999", "limit=0", "limit=1001",
      "limit=abc", "limit=", "limit=1&limit=2", "mac=%ZZ"]) {
      const r = await httpRequest(port, `/api/v1/events?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal((json(r.body) as { error: string }).error, "bad-request", q);
    }
    // Garbage that names no parameter we read is ignored.
    const r = await httpRequest(port, "/api/v1/events?%E0%A4%A&&==&x=%00");
    assert.equal(r.status, 200);
  });

  test("healthz: 200 when ok, 503 when not, the report as JSON", async () => {
    const ok = await httpRequest(port, "/healthz");
    assert.equal(ok.status, 200);
    assert.deepEqual(json(ok.body), source.healthReport);
    source.healthReport = { ...source.healthReport, ok: false, services: { dhcp: "failed" } };
    try {
      const bad = await httpRequest(port, "/healthz");
      assert.equal(bad.status, 503);
      assert.equal((json(bad.body) as { ok: boolean }).ok, false);
    } finally {
      source.healthReport = { ...source.healthReport, ok: true };
    }
  });

  test("metrics: the source's text with the 0.0.4 content type", async () => {
    const r = await httpRequest(port, "/metrics");
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(r.body, source.metricsText);
  });

  test("dashboard: self-contained HTML, everything escaped, CSP allows exactly the inline script and style", async () => {
    const evil = '<script>alert("x")</script>&';
    const saved = source.clientList;
    source.clientList = [client(evil, { stage: "file-sent", files: [{ atMs: 1, path: "<img src=x onerror=alert(1)>", bytes: 1, durationMs: 1, outcome: "ok", protocol: "tftp" }] })];
    try {
      const r = await httpRequest(port, "/");
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
      assert.ok(!r.body.includes(evil) && !r.body.includes("<img"), "raw markup from data in the page");
      assert.ok(r.body.includes("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;"));
      assert.ok(!/(src|href)=["']?https?:/i.test(r.body), "external asset");
      const csp = String(r.headers["content-security-policy"]);
      const script = /<script>([\s\S]*?)<\/script>/.exec(r.body)![1]!;
      const style = /<style>([\s\S]*?)<\/style>/.exec(r.body)![1]!;
      const h = (t: string): string => `'sha256-${createHash("sha256").update(t).digest("base64")}'`;
      assert.ok(csp.includes(`script-src ${h(script)}`), csp);
      assert.ok(csp.includes(`style-src ${h(style)}`), csp);
      assert.ok(csp.includes("default-src 'none'") && csp.includes("connect-src 'self'") && csp.includes("frame-ancestors 'none'"));
      assert.ok(script.includes("/api/v1/events/stream") && script.includes("textContent") && !script.includes("innerHTML"));
      // The inline script at least compiles (it is not run here: no DOM).
      assert.doesNotThrow(() => new Function(script));
    } finally {
      source.clientList = saved;
    }
  });

  test("unknown paths are 404 JSON; a target like //host/path is not read as a URL", async () => {
    for (const p of ["/nope", "/api/v1/clients/", "//evil.example/api/v1/clients", "/api/v1/CLIENTS", "/%2e%2e/etc/passwd"]) {
      const r = await httpRequest(port, p);
      assert.equal(r.status, 404, p);
      assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
      assert.equal((json(r.body) as { error: string }).error, "not-found");
    }
  });

  test("methods other than GET and HEAD are 405 with Allow", async () => {
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const r = await httpRequest(port, "/api/v1/clients", { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers["allow"], "GET, HEAD");
      assert.equal((json(r.body) as { error: string }).error, "method-not-allowed");
    }
    const head = await httpRequest(port, "/api/v1/clients", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
  });

  test("a Host that is not an IP literal or localhost is refused on loopback (DNS rebinding)", async () => {
    const evil = await httpRequest(port, "/api/v1/clients", { headers: { Host: "attacker.example:8067" } });
    assert.equal(evil.status, 403);
    assert.equal((json(evil.body) as { error: string }).error, "host-not-allowed");
    for (const host of ["localhost:8067", "127.0.0.1", "[::1]:8067"]) {
      const r = await httpRequest(port, "/api/v1/clients", { headers: { Host: host } });
      assert.equal(r.status, 200, host);
    }
  });

  test("a throwing source is a 500 JSON answer and the server keeps serving", async () => {
    source.failClients = true;
    try {
      const r = await httpRequest(port, "/api/v1/clients");
      assert.equal(r.status, 500);
      assert.deepEqual(json(r.body), { error: "internal", message: "tracker broke" });
    } finally {
      source.failClients = false;
    }
    assert.equal((await httpRequest(port, "/api/v1/leases")).status, 200);
  });

  test("a malformed HTTP request gets 400 and the server lives on", async () => {
    const sock = connect(port, "127.0.0.1");
    await once(sock, "connect");
    sock.write("GARBAGE\x00 / HTTP/9\r\n\r\n");
    let text = "";
    sock.setEncoding("utf8");
    sock.on("data", (c: string) => (text += c));
    await once(sock, "close");
    assert.match(text, /^HTTP\/1\.1 400/);
    assert.equal((await httpRequest(port, "/healthz")).status, 200);
  });

  test("requests are counted into the metrics by status code", () => {
    const text = metrics.render();
    assert.match(text, new RegExp(`^${METRIC.httpRequests}\\{code="200"\\} [1-9][0-9]*$`, "m"));
    assert.match(text, new RegExp(`^${METRIC.httpRequests}\\{code="404"\\} 5$`, "m"));
    assert.equal(http.stats.responses.get(405), 4);
  });
});

describe("event stream", () => {
  test("live events arrive with id = event id, over /events/stream and over Accept on /events; ?mac= filters", async () => {
    const source = new FakeSource();
    const { http, port } = await startServer(source);
    try {
      const a = await SseReader.open(port, "/api/v1/events/stream");
      const b = await SseReader.open(port, "/api/v1/events", { Accept: "text/event-stream" });
      const c = await SseReader.open(port, "/api/v1/events/stream?mac=02:00:00:00:00:02");
      assert.equal(a.res.headers["content-type"], "text/event-stream; charset=utf-8");
      assert.equal(a.res.headers["cache-control"], "no-store");
      await a.until((r) => r.messages.length > 0); // the retry/hello block: the stream is set up
      await b.until((r) => r.messages.length > 0);
      await c.until((r) => r.messages.length > 0);
      assert.equal(source.listeners.size, 3);
      const e1 = source.emit({ atMs: 1, kind: "dhcp.offer", mac: MAC1, details: { note: "line1\nline2" } });
      const e2 = source.emit({ atMs: 2, kind: "dhcp.offer", mac: MAC2 });
      for (const r of [a, b]) {
        await r.until((x) => x.data.length === 2);
        assert.deepEqual(r.data.map((m) => m.id), ["1", "2"]);
        assert.deepEqual(json(r.data[0]!.data!), e1);
      }
      await c.until((x) => x.data.length === 1);
      assert.deepEqual(c.data.map((m) => json(m.data!)), [e2]);
      assert.equal(a.messages[0]!.retry, "2000");
    } finally {
      await http.stop();
    }
  });

  test("resume with Last-Event-ID replays what was missed, in order, then goes live without duplicates", async () => {
    const source = new FakeSource();
    const { http, port } = await startServer(source);
    try {
      for (let i = 1; i <= 5; i++) source.emit({ atMs: i, kind: "tftp.sent", mac: i % 2 ? MAC1 : MAC2 });
      const r = await SseReader.open(port, "/api/v1/events/stream", { "Last-Event-ID": "2" });
      await r.until((x) => x.data.length === 3);
      assert.deepEqual(r.data.map((m) => m.id), ["3", "4", "5"]);
      source.emit({ atMs: 6, kind: "dhcp.ack", mac: MAC1 });
      await r.until((x) => x.data.length === 4);
      assert.deepEqual(r.data.map((m) => m.id), ["3", "4", "5", "6"]);
      // ?after= does the same for a fresh client; with ?mac= only that client's events.
      const f = await SseReader.open(port, "/api/v1/events/stream?after=0&mac=02:00:00:00:00:02");
      await f.until((x) => x.data.length === 2);
      assert.deepEqual(f.data.map((m) => m.id), ["2", "4"]);
      // The header wins over ?after= (a reconnecting EventSource keeps its URL).
      const g = await SseReader.open(port, "/api/v1/events/stream?after=0", { "Last-Event-ID": "5" });
      await g.until((x) => x.data.length === 1);
      assert.deepEqual(g.data.map((m) => m.id), ["6"]);
      const bad = await httpRequest(port, "/api/v1/events/stream", { headers: { "Last-Event-ID": "abc" } });
      assert.equal(bad.status, 400);
      r.close();
      f.close();
      g.close();
    } finally {
      await http.stop();
    }
  });

  test("more missed events than the replay limit: a gap event, then the newest ones", async () => {
    const source = new FakeSource();
    const { http, port } = await startServer(source, { replayLimit: 3 });
    try {
      for (let i = 1; i <= 6; i++) source.emit({ atMs: i, kind: "k", mac: MAC1 });
      const r = await SseReader.open(port, "/api/v1/events/stream?after=1");
      await r.until((x) => x.data.length === 4);
      assert.equal(r.data[0]!.event, "gap");
      assert.equal((json(r.data[0]!.data!) as { resumesAt: number }).resumesAt, 4);
      assert.deepEqual(r.data.slice(1).map((m) => m.id), ["4", "5", "6"]);
      // Exactly the limit missed: no gap.
      const s = await SseReader.open(port, "/api/v1/events/stream?after=3");
      await s.until((x) => x.data.length === 3);
      assert.ok(s.data.every((m) => m.event === undefined));
      r.close();
      s.close();
    } finally {
      await http.stop();
    }
  });

  test("heartbeat comments keep an idle stream alive", async () => {
    const source = new FakeSource();
    const { http, port } = await startServer(source, { heartbeatMs: 50 });
    try {
      const r = await SseReader.open(port, "/api/v1/events/stream");
      await r.until((x) => x.messages.filter((m) => m.comment === "heartbeat").length >= 2);
      r.close();
    } finally {
      await http.stop();
    }
  });

  test("streams are bounded (503 beyond), and a closed stream unsubscribes and frees its slot", async () => {
    const source = new FakeSource();
    const metrics = new LaggbootMetrics(0);
    const { http, port } = await startServer(source, { maxStreams: 2, metrics });
    try {
      const a = await SseReader.open(port, "/api/v1/events/stream");
      const b = await SseReader.open(port, "/api/v1/events/stream");
      await a.until((x) => x.messages.length > 0);
      await b.until((x) => x.messages.length > 0);
      const c = await httpRequest(port, "/api/v1/events/stream");
      assert.equal(c.status, 503);
      assert.equal(c.headers["retry-after"], "10");
      assert.equal((json(c.body) as { error: string }).error, "too-many-streams");
      assert.equal(http.stats.eventStreams, 2);
      assert.ok(metrics.render().includes(`${METRIC.httpEventStreams} 2\n`));
      a.close();
      const open = (): number => http.stats.eventStreams;
      const deadline = Date.now() + 2000;
      while (open() !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(open(), 1);
      assert.equal(source.listeners.size, 1);
      const d = await SseReader.open(port, "/api/v1/events/stream");
      await d.until((x) => x.messages.length > 0);
      b.close();
      d.close();
    } finally {
      await http.stop();
    }
  });

  test("a reader that stops reading is cut off once its backlog passes the bound", async () => {
    const source = new FakeSource();
    const { http, port } = await startServer(source, { maxBufferedBytes: 64 * 1024 });
    try {
      const r = await SseReader.open(port, "/api/v1/events/stream");
      await r.until((x) => x.messages.length > 0);
      r.res.pause(); // the kernel buffers fill, then Node's
      const big = "x".repeat(64 * 1024);
      for (let i = 0; i < 400 && source.listeners.size > 0; i++) source.emit({ atMs: i, kind: "k", mac: MAC1, details: { big } });
      assert.equal(source.listeners.size, 0, "slow reader still subscribed");
      assert.equal(http.stats.eventStreams, 0);
      r.close();
    } finally {
      await http.stop();
    }
  });

  test("stop() ends open streams, unsubscribes, and frees the port promptly", async () => {
    const source = new FakeSource();
    // A long grace: stop() must not need it, since ending the streams closes their connections.
    const { http, port } = await startServer(source, { stopGraceMs: 20_000 });
    const r = await SseReader.open(port, "/api/v1/events/stream");
    await r.until((x) => x.messages.length > 0);
    // And an idle keep-alive connection, which server.close() alone would wait for.
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => res.resume().on("end", resolve)).on("error", reject).end();
    });
    assert.equal(Object.values(agent.freeSockets).flat().length, 1);
    const t0 = Date.now();
    await http.stop();
    assert.ok(Date.now() - t0 < 10_000, `stop took ${Date.now() - t0} ms`);
    await r.until((x) => x.ended);
    assert.equal(source.listeners.size, 0);
    await assert.rejects(httpRequest(port, "/healthz"), /ECONNREFUSED/);
    await http.stop(); // idempotent
    agent.destroy();
  });
});

describe("listening", () => {
  test("a port in use is LB_ERR_BIND: the bind-error sentence naming the service, address and holder", async () => {
    const blocker = createTcpServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const http = createHttpServer({ address: "127.0.0.1", port }, new FakeSource());
      await assert.rejects(http.start(), (e: unknown) =>
        e instanceof LaggbootError && e.code === "LB_ERR_BIND"
        && e.message.startsWith(`HTTP status API cannot bind TCP 127.0.0.1:${port}: the port is in use by pid ${process.pid} (`));
    } finally {
      blocker.close();
    }
  });

  test("CORS only when configured; allowedHosts extends the Host guard", async () => {
    const { http, port } = await startServer(new FakeSource(), { corsOrigin: "https://ops.example", allowedHosts: ["boot.lab.example"] });
    try {
      const r = await httpRequest(port, "/api/v1/clients", { headers: { Host: "boot.lab.example:8067" } });
      assert.equal(r.status, 200);
      assert.equal(r.headers["access-control-allow-origin"], "https://ops.example");
    } finally {
      await http.stop();
    }
  });
});
