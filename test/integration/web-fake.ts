/**
 * Test doubles for the web layer: a StatusSource whose clients, leases and
 * events the test sets, and a small HTTP client that keeps raw control of
 * methods and headers and reads server-sent events incrementally.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { ClientStatus, HealthReport, StatusSource } from "../../src/app/status-types.js";
import type { BootEvent, BootEventInput, Lease } from "../../src/store/index.js";

export class FakeSource implements StatusSource {
  clientList: ClientStatus[] = [];
  leaseList: Lease[] = [];
  healthReport: HealthReport = { ok: true, startedAtMs: 1_700_000_000_000, inventory: "/etc/laggboot.yaml", services: { dhcp: "running", tftp: "running" } };
  metricsText = "# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n";
  /** Oldest first. */
  readonly log: BootEvent[] = [];
  readonly listeners = new Set<(e: BootEvent) => void>();
  readonly eventQueries: { mac?: string; afterId?: number; limit?: number }[] = [];
  failClients = false;

  clients(): readonly ClientStatus[] {
    if (this.failClients) throw new Error("tracker broke");
    return this.clientList;
  }

  leases(): readonly Lease[] {
    return this.leaseList;
  }

  events(query: { mac?: string; afterId?: number; limit?: number }): readonly BootEvent[] {
    this.eventQueries.push(query);
    return this.log
      .filter((e) => (query.mac === undefined || e.mac === query.mac) && (query.afterId === undefined || e.id > query.afterId))
      .reverse()
      .slice(0, query.limit ?? 100);
  }

  subscribe(listener: (event: BootEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): HealthReport {
    return this.healthReport;
  }

  metrics(): string {
    return this.metricsText;
  }

  /** Records an event (next id) and tells the subscribers, as the store plus app do. */
  emit(input: BootEventInput): BootEvent {
    const ev: BootEvent = { ...input, id: this.log.length + 1, details: input.details ?? {} };
    this.log.push(ev);
    for (const l of [...this.listeners]) l(ev);
    return ev;
  }
}

export function client(name: string, over: Partial<ClientStatus> = {}): ClientStatus {
  return {
    name, kind: "freebsd-lagg", fqdn: `${name}.lab.example`, ip: "198.18.0.10", macs: ["02:00:00:00:00:01"],
    stage: undefined, stages: [], lastDhcp: undefined, files: [], lastSeenMs: undefined, ...over,
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function httpRequest(port: number, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers ?? {}, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string | undefined;
  comment: string | undefined;
  retry: string | undefined;
}

/** An open event stream: messages as they arrive, parsed into fields. */
export class SseReader {
  readonly messages: SseMessage[] = [];
  ended = false;
  private buffer = "";
  private wake: (() => void) | undefined;

  private constructor(readonly res: IncomingMessage) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      this.buffer += chunk;
      let cut;
      while ((cut = this.buffer.indexOf("\n\n")) >= 0) {
        this.messages.push(parseBlock(this.buffer.slice(0, cut)));
        this.buffer = this.buffer.slice(cut + 2);
      }
      this.wake?.();
    });
    res.on("end", () => {
      this.ended = true;
      this.wake?.();
    });
    res.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
  }

  static open(port: number, path: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => resolve(new SseReader(res)));
      req.on("error", reject);
      req.end();
    });
  }

  /** Data messages (not comments, not retry-only blocks). */
  get data(): SseMessage[] {
    return this.messages.filter((m) => m.data !== undefined);
  }

  /** Waits until the predicate holds on the messages so far (or the stream ended, or the time ran out). */
  async until(pred: (r: SseReader) => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      if (this.ended) throw new Error(`stream ended; got ${JSON.stringify(this.messages)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.res.destroy();
  }
}

function parseBlock(block: string): SseMessage {
  const m: SseMessage = { id: undefined, event: undefined, data: undefined, comment: undefined, retry: undefined };
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) m.comment = (m.comment === undefined ? "" : m.comment + "\n") + line.slice(1).trim();
    else if (line.startsWith("id: ")) m.id = line.slice(4);
    else if (line.startsWith("retry: ")) m.retry = line.slice(7);
    else if (line.startsWith("event: ")) m.event = line.slice(7);
    else if (line.startsWith("data: ")) m.data = (m.data === undefined ? "" : m.data + "\n") + line.slice(6);
  }
  return m;
}
