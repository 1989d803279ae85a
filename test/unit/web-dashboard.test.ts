/**
 * The dashboard page: server-side rendering escapes every value, and the
 * inline script, run against a tiny fake DOM, fetch and EventSource, fills
 * the table with textContent only, refreshes when an event arrives, and keeps
 * the event list bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dashboardHtml, escapeHtml } from "../../src/web/dashboard.js";
import type { ClientStatus } from "../../src/app/status-types.js";

class FakeElement {
  textContent = "";
  className = "";
  children: FakeElement[] = [];
  constructor(readonly tag: string) {}
  appendChild(c: FakeElement): void {
    this.children.push(c);
  }
  replaceChildren(...cs: FakeElement[]): void {
    this.children = cs;
  }
  prepend(c: FakeElement): void {
    this.children.unshift(c);
  }
  get childElementCount(): number {
    return this.children.length;
  }
  get lastElementChild(): { remove(): void } {
    return { remove: () => void this.children.pop() };
  }
  set innerHTML(_v: string) {
    throw new Error("the dashboard script must not use innerHTML");
  }
}

const c = (over: Partial<ClientStatus>): ClientStatus => ({
  name: "pc", kind: "pxe", fqdn: "pc.lab.example", ip: "198.18.0.10", macs: ["02:00:00:00:00:01"], stage: undefined,
  stages: [], lastDhcp: undefined, files: [], lastSeenMs: undefined, ...over,
});

test("escapeHtml covers the five characters that matter in text and attributes", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
});

test("server-rendered table: one escaped row per client, stages joined", () => {
  const html = dashboardHtml([
    c({ name: "<b>x</b>", stage: "dhcp-acked", stages: [{ stage: "dhcp-offered", atMs: 1, detail: "" }, { stage: "dhcp-acked", atMs: 2, detail: "" }], lastSeenMs: 0 }),
  ], "/etc/<lagg>.yaml", 90_000);
  assert.ok(html.includes("<td>&#60;b&#62;x&#60;/b&#62;</td><td>198.18.0.10</td><td>dhcp-acked</td><td class=\"stages\">dhcp-offered &#62; dhcp-acked</td><td></td><td></td><td>90 s ago</td>"), html);
  assert.ok(html.includes("<code>/etc/&#60;lagg&#62;.yaml</code>"));
});

test("inline script: fills rows by textContent from /api/v1/clients, refreshes on events, keeps 50 events", async () => {
  const html = dashboardHtml([], "inv.yaml", 0);
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const elements = new Map(["clients", "state", "events"].map((id) => [id, new FakeElement(id)]));
  const document = {
    getElementById: (id: string) => elements.get(id),
    createElement: (tag: string) => new FakeElement(tag),
  };
  const fetched: string[] = [];
  let clients: unknown[] = [c({ name: "<img src=x onerror=alert(1)>", stage: "file-sent", files: [{ atMs: 1, path: "kernel", bytes: 1, durationMs: 1, outcome: "ok", protocol: "http" }], lastSeenMs: Date.now() - 3000 })];
  const fetch = async (url: string): Promise<unknown> => {
    fetched.push(url);
    return { ok: true, json: async () => clients };
  };
  const sources: { url: string; onopen?: () => void; onerror?: () => void; onmessage?: (m: { data: string }) => void }[] = [];
  class EventSource {
    onopen?: () => void;
    onmessage?: (m: { data: string }) => void;
    constructor(readonly url: string) {
      sources.push(this);
    }
  }
  const timers: (() => void)[] = [];
  const setTimeoutFake = (fn: () => void): number => timers.push(fn);
  const setIntervalFake = (): number => 0;
  const run = new Function("document", "fetch", "EventSource", "setTimeout", "setInterval", script) as (...a: unknown[]) => void;
  run(document, fetch, EventSource, setTimeoutFake, setIntervalFake);

  assert.equal(sources.length, 1);
  assert.equal(sources[0]!.url, "/api/v1/events/stream");
  sources[0]!.onopen!();
  assert.equal(elements.get("state")!.textContent, "live");
  assert.equal(timers.length, 1, "a refresh is scheduled");
  const flush = async (): Promise<void> => {
    for (const t of timers.splice(0)) t();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  await flush();
  assert.deepEqual(fetched, ["/api/v1/clients"]);
  const rows = elements.get("clients")!.children;
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]!.children.map((td) => td.textContent), ["<img src=x onerror=alert(1)>", "198.18.0.10", "file-sent", "", "", "kernel (http)", "3 s ago"]);

  // Events: each one is listed and schedules one refresh (several events, one fetch).
  clients = [c({ name: "a" }), c({ name: "b" })];
  for (let i = 1; i <= 60; i++) {
    sources[0]!.onmessage!({ data: JSON.stringify({ id: i, atMs: 0, kind: "dhcp.offer", mac: "02:00:00:00:00:01", ip: "198.18.0.10" }) });
  }
  assert.equal(timers.length, 1);
  await flush();
  assert.equal(fetched.length, 2);
  assert.deepEqual(elements.get("clients")!.children.map((r) => r.children[0]!.textContent), ["a", "b"]);
  const log = elements.get("events")!.children;
  assert.equal(log.length, 50);
  assert.equal(log[0]!.textContent, "1970-01-01T00:00:00.000Z dhcp.offer 02:00:00:00:00:01 198.18.0.10");
});
