/**
 * The HTTP endpoint of `laggboot serve`: status API, event stream, health,
 * Prometheus metrics and the dashboard, on node:http alone. It only formats
 * what a StatusSource (app.ts) gives it and binds only the address it is
 * given. Read-only: GET and HEAD, everything else 405. No request can take
 * the process down: every handler's error becomes a 500 JSON answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenTcp } from "../servers/bind-error.js";
import { LaggbootError } from "../errors.js";
import type { StatusSource } from "../app/status-types.js";
import { DASHBOARD_CSP, dashboardHtml } from "./dashboard.js";
import {
  BadRequest, baseHeaders, hostAllowed, intParam, macParam, parseIntStrict, sendBody, sendError, sendJson, single,
  splitTarget, wantsEventStream,
} from "./http-util.js";
import type { LaggbootMetrics } from "./metric-names.js";
import { PROMETHEUS_CONTENT_TYPE } from "./metrics.js";
import { EventStreams, type EventStreamOptions } from "./sse.js";

export interface HttpListen {
  readonly address: string;
  readonly port: number;
}

export interface HttpServerOptions extends Partial<EventStreamOptions> {
  /** Counts requests and open streams into these metrics. */
  readonly metrics?: LaggbootMetrics;
  /** Largest `limit` for /api/v1/events (default 1000). */
  readonly maxEventsLimit?: number;
  /** Sends Access-Control-Allow-Origin with this origin. Default: none (no CORS). */
  readonly corsOrigin?: string;
  /** Host names accepted besides IP literals and localhost when bound to loopback (DNS rebinding guard). */
  readonly allowedHosts?: readonly string[];
  /** Wall clock for the dashboard's "seen ago" (default Date.now). */
  readonly now?: () => number;
  /** How long stop() waits for requests in flight before closing their connections (default 2000 ms). */
  readonly stopGraceMs?: number;
}

export interface HttpStats {
  /** Responses by status code. */
  readonly responses: ReadonlyMap<number, number>;
  readonly eventStreams: number;
}

export interface HttpServer {
  start(): Promise<HttpListen>;
  /** Ends event streams, stops accepting, waits for requests in flight (bounded), closes. */
  stop(): Promise<void>;
  readonly stats: HttpStats;
}

export const DEFAULT_HTTP_OPTIONS = {
  heartbeatMs: 15_000,
  maxStreams: 32,
  replayLimit: 1000,
  maxBufferedBytes: 1 << 20,
  retryMs: 2000,
  maxEventsLimit: 1000,
  stopGraceMs: 2000,
} as const;

const DEFAULT_EVENTS_LIMIT = 100;

export const ENDPOINTS = [
  "/", "/api/v1/clients", "/api/v1/leases", "/api/v1/events", "/api/v1/events/stream", "/healthz", "/metrics",
] as const;

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address === "localhost";
}

export function createHttpServer(listen: HttpListen, source: StatusSource, options: HttpServerOptions = {}): HttpServer {
  const o = { ...DEFAULT_HTTP_OPTIONS, ...definedOnly(options) };
  const responses = new Map<number, number>();
  const streams = new EventStreams(source, o, (n) => options.metrics?.httpEventStreams.set(undefined, n));
  const now = options.now ?? Date.now;
  const checkHost = isLoopback(listen.address);
  const allowedHosts = options.allowedHosts ?? [];
  let server: Server | undefined;

  const count = (status: number): void => {
    responses.set(status, (responses.get(status) ?? 0) + 1);
    options.metrics?.httpRequests.inc({ code: String(status) });
  };

  function route(req: IncomingMessage, res: ServerResponse): void {
    const { path, query } = splitTarget(req.url);
    if (!(ENDPOINTS as readonly string[]).includes(path)) {
      sendError(res, 404, "not-found", `no endpoint ${path.slice(0, 200)}; try one of ${ENDPOINTS.join(" ")}`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(res, 405, "method-not-allowed", `${path} answers GET and HEAD only`, { Allow: "GET, HEAD" });
      return;
    }
    switch (path) {
      case "/api/v1/clients": {
        const name = single(query, "name");
        const all = source.clients();
        sendJson(res, 200, name === undefined ? all : all.filter((c) => c.name === name));
        return;
      }
      case "/api/v1/leases":
        sendJson(res, 200, source.leases());
        return;
      case "/api/v1/events":
        if (wantsEventStream(req)) stream(req, res, query);
        else events(res, query);
        return;
      case "/api/v1/events/stream":
        stream(req, res, query);
        return;
      case "/healthz": {
        const h = source.health();
        sendJson(res, h.ok ? 200 : 503, h);
        return;
      }
      case "/metrics":
        sendBody(res, 200, PROMETHEUS_CONTENT_TYPE, source.metrics());
        return;
      case "/": {
        res.setHeader("Content-Security-Policy", DASHBOARD_CSP);
        const health = source.health();
        sendBody(res, 200, "text/html; charset=utf-8", dashboardHtml(source.clients(), health.inventory, now(), health.cluster));
        return;
      }
    }
  }

  function events(res: ServerResponse, query: URLSearchParams): void {
    const mac = macParam(query, "mac");
    const afterId = intParam(query, "after", 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(query, "limit", 1, o.maxEventsLimit) ?? DEFAULT_EVENTS_LIMIT;
    sendJson(res, 200, source.events({ mac, afterId, limit }));
  }

  function stream(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const mac = macParam(query, "mac");
    // EventSource resends the last id it saw in Last-Event-ID; ?after= starts a fresh stream from an id.
    const header = req.headers["last-event-id"];
    const fromHeader = typeof header === "string" && header.trim() !== ""
      ? parseIntStrict(header.trim(), "Last-Event-ID", 0, Number.MAX_SAFE_INTEGER)
      : undefined;
    const afterId = fromHeader ?? intParam(query, "after", 0, Number.MAX_SAFE_INTEGER);
    if (streams.full) {
      sendError(res, 503, "too-many-streams", `${o.maxStreams} event streams are open already; try again later`, { "Retry-After": "10" });
      return;
    }
    streams.serve(req, res, { mac, afterId });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    res.on("finish", () => count(res.statusCode));
    baseHeaders(res, options.corsOrigin);
    try {
      if (checkHost && !hostAllowed(req.headers.host, allowedHosts)) {
        sendError(res, 403, "host-not-allowed", "this server answers only to IP addresses and localhost (DNS rebinding guard); see allowedHosts");
        return;
      }
      route(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof BadRequest) sendError(res, 400, "bad-request", e.message);
      else sendError(res, 500, "internal", e instanceof Error ? e.message : String(e));
    }
  }

  return {
    get stats(): HttpStats {
      return { responses: new Map(responses), eventStreams: streams.count };
    },

    start() {
      if (server !== undefined) return Promise.reject(new LaggbootError("LB_ERR_INTERNAL", "HTTP server started twice"));
      const s = createServer(handle);
      server = s;
      // A client that opens connections and sends nothing must not hold them for long.
      s.headersTimeout = 10_000;
      s.requestTimeout = 30_000;
      s.on("clientError", (_err, socket) => {
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        else socket.destroy();
      });
      return listenTcp(s, { service: "HTTP status API", proto: "tcp", address: listen.address, port: listen.port }).catch((e: unknown) => {
        server = undefined;
        throw e;
      });
    },

    async stop() {
      const s = server;
      if (s === undefined) return;
      server = undefined;
      streams.closeAll();
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      const grace = setTimeout(() => s.closeAllConnections(), o.stopGraceMs);
      await closed;
      clearTimeout(grace);
    },
  };
}

/** Drop keys set to undefined, so they do not override the defaults. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
