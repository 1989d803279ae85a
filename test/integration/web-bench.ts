/**
 * A bounded measurement of the HTTP status server (not a test; run by hand):
 * fan-out of boot events to many event streams, and /api/v1/clients for a
 * large inventory. Readers run in this same process, so the figures include
 * their parsing too.
 *
 *   npx tsc -p tsconfig.json && node dist/test/integration/web-bench.js [--streams 32] [--events 10000] [--clients 500]
 */
import { Agent, request, type IncomingMessage } from "node:http";
import { parseArgs } from "node:util";
import { createHttpServer } from "../../src/web/server.js";
import { FakeSource, client } from "./web-fake.js";

const { values } = parseArgs({ options: { streams: { type: "string", default: "32" }, events: { type: "string", default: "10000" }, clients: { type: "string", default: "500" } } });
const STREAMS = Number(values.streams);
const EVENTS = Number(values.events);
const CLIENTS = Number(values.clients);
const REQUESTS = 1000;
const CONCURRENCY = 8;
const DEADLINE_MS = 120_000;

interface Counter { res: IncomingMessage; ids: number; done: (() => void) | undefined }

function openStream(port: number): Promise<Counter> {
  return new Promise((resolve, reject) => {
    const q = request({ host: "127.0.0.1", port, path: "/api/v1/events/stream", agent: false }, (res) => {
      const c: Counter = { res, ids: 0, done: undefined };
      let tail = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const text = tail + chunk;
        for (let i = text.indexOf("\nid: "); i >= 0; i = text.indexOf("\nid: ", i + 1)) c.ids++;
        tail = text.slice(-4); // never a whole "\nid: ", so nothing is counted twice
        if (c.ids >= EVENTS) c.done?.();
      });
      resolve(c);
    });
    q.on("error", reject);
    q.end();
  });
}

async function main(): Promise<void> {
  const source = new FakeSource();
  source.clientList = Array.from({ length: CLIENTS }, (_, i) => client(`pc${i}`, {
    stage: "file-sent", lastSeenMs: 1,
    stages: [{ stage: "dhcp-offered", atMs: 1, detail: "198.18.0.10" }, { stage: "dhcp-acked", atMs: 2, detail: "198.18.0.10" }],
    files: [{ atMs: 3, path: "kernel", bytes: 1, durationMs: 1, outcome: "ok", protocol: "tftp" }],
  }));
  const http = createHttpServer({ address: "127.0.0.1", port: 0 }, source, { maxStreams: STREAMS });
  const { port } = await http.start();
  const deadline = setTimeout(() => {
    console.error("deadline passed");
    process.exit(1);
  }, DEADLINE_MS);
  try {
    const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(port)));
    await new Promise((r) => setTimeout(r, 200));
    let t0 = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      source.emit({ atMs: i, kind: "dhcp.offer", mac: "02:00:00:00:00:01", ip: "198.18.0.10", details: { client: "pc1", to: "255.255.255.255:68" } });
      if (i % 200 === 0) await new Promise((r) => setImmediate(r)); // let the readers read
    }
    await Promise.all(streams.map((s) => (s.ids >= EVENTS ? undefined : new Promise<void>((r) => (s.done = r)))));
    let ms = performance.now() - t0;
    console.log(`event streams: ${EVENTS} events to ${STREAMS} streams in ${ms.toFixed(0)} ms = ${Math.round((EVENTS * STREAMS) / ms * 1000)} deliveries/s`);
    for (const s of streams) s.res.destroy();

    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    let bytes = 0;
    const get = (): Promise<void> => new Promise((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/api/v1/clients", agent }, (res) => {
        let n = 0;
        res.on("data", (c: Buffer) => (n += c.length));
        res.on("end", () => {
          bytes = n;
          resolve();
        });
      }).on("error", reject).end();
    });
    t0 = performance.now();
    for (let i = 0; i < REQUESTS; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, get));
    ms = performance.now() - t0;
    console.log(`/api/v1/clients: ${CLIENTS} clients (${bytes} bytes), ${REQUESTS} requests, ${CONCURRENCY} at a time, in ${ms.toFixed(0)} ms = ${Math.round(REQUESTS / ms * 1000)} req/s, ${(ms / REQUESTS * CONCURRENCY).toFixed(1)} ms each`);
    agent.destroy();
  } finally {
    clearTimeout(deadline);
    await http.stop();
  }
}

await main();
