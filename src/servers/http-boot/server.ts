/**
 * The boot-file HTTP server: node:http around the pure request decisions
 * (src/protocol/http-boot) and the TFTP server's path jail. Read-only; GET
 * and HEAD; files stream from disk through two reused buffers (send-file.ts),
 * so one transfer holds at most two chunks whatever the file's size.
 *
 * Limits: connections in total and per client address (over either, the
 * connection gets a 503 and is closed); a request head must be whole within
 * headersTimeoutMs and at most maxHeaderBytes; a connection that moves no
 * byte for idleTimeoutMs (a client that stopped reading) is closed.
 */
import { LaggbootError } from "../../errors.js";
import { listenTcp } from "../bind-error.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { promises as fsp } from "node:fs";
import { performance } from "node:perf_hooks";
import { contentTypeFor, directoryListing, fileValidators, parseTarget, planFile, urlPath, type FilePlan } from "../../protocol/http-boot/index.js";
import { listDirectory, resolvePath } from "./files.js";
import { sendFileRange } from "./send-file.js";
import type {
  ClientRef, HttpBootDeps, HttpBootOptions, HttpBootRoute, HttpBootServer, HttpBootStats, HttpOutcome, HttpTransferEvent, RouteContext,
} from "./types.js";

const DEFAULTS = {
  port: 80,
  maxConnections: 1000,
  maxConnectionsPerClient: 8,
  listDirectories: true,
  maxPathBytes: 1024,
  maxHeaderBytes: 8192,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5000,
  readChunkBytes: 256 * 1024,
} as const;

type Cfg = Required<HttpBootOptions>;

/** Sent to a connection over a limit, before its request is read. */
const BUSY = Buffer.from("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 25\r\nRetry-After: 1\r\nConnection: close\r\n\r\nserver busy, retry later\n");
/** A connection we ended that the peer keeps open (it may never read our FIN) is destroyed after this long. */
const LINGER_MS = 2000;
const MAX_REQUESTED_CHARS = 1024;

/** One request of the boot-file route, from its start to its event. */
interface Tx {
  readonly t0: number;
  readonly client: ClientRef;
  readonly method: string;
  readonly requested: string;
  path: string | undefined;
  virtual: boolean;
  sizeBytes: number | undefined;
  plan: FilePlan | undefined;
  bytesRead: number;
  failed: string | undefined;
  reason: string | undefined;
}

export function createHttpBootServer(options: HttpBootOptions, deps: HttpBootDeps = {}): HttpBootServer {
  const cfg: Cfg = { ...DEFAULTS, ...definedOnly(options), root: options.root, address: options.address };
  const now = deps.now ?? (() => performance.now());
  const listeners = new Set<(ev: HttpTransferEvent) => void>();
  const perClient = new Map<string, number>();
  const refusedSockets = new WeakSet<Socket>();
  const counters = { connectionsRefused: 0, requests: 0, completed: 0, failed: 0, refused: 0, bytesSent: 0 };
  let open = 0;
  let active = 0;
  let server: Server | undefined;
  let realRoot = "";
  const routes: readonly HttpBootRoute[] = [...(deps.routes ?? []), { name: "boot-files", claims: () => true, handle: serveFile }];

  const emit = (ev: HttpTransferEvent): void => {
    for (const l of listeners) {
      try {
        l(ev);
      } catch {
        // A listener's failure must not break the server.
      }
    }
  };

  function onConnection(socket: Socket): void {
    const addr = socket.remoteAddress ?? "";
    const n = perClient.get(addr) ?? 0;
    if (open >= cfg.maxConnections || n >= cfg.maxConnectionsPerClient) {
      refusedSockets.add(socket);
      counters.connectionsRefused++;
      endAndDrop(socket, BUSY);
      emit({
        protocol: "http", clientAddress: addr, clientPort: socket.remotePort ?? 0, method: "", requested: "", path: undefined, virtual: false,
        status: 503, outcome: "refused", bytes: 0, sizeBytes: undefined, range: undefined, durationMs: 0,
        reason: open >= cfg.maxConnections ? "total connection limit" : "per-client connection limit",
      });
      return;
    }
    open++;
    perClient.set(addr, n + 1);
    socket.once("close", () => {
      open--;
      const left = (perClient.get(addr) ?? 1) - 1;
      if (left <= 0) perClient.delete(addr);
      else perClient.set(addr, left);
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (refusedSockets.has(req.socket)) return;
    counters.requests++;
    res.setHeader("Server", "laggboot");
    res.setHeader("X-Content-Type-Options", "nosniff");
    const ctx: RouteContext = {
      client: { address: req.socket.remoteAddress ?? "", port: req.socket.remotePort ?? 0 },
      target: parseTarget(req.url ?? "/", cfg.maxPathBytes),
    };
    const route = routes.find((r) => r.claims(req.method ?? "", ctx))!;
    Promise.resolve()
      .then(() => route.handle(req, res, ctx))
      .catch(() => {
        // A route's failure is that request's 500 (or its cut connection), never the server's.
        if (!res.headersSent) sendText(res, 500, "internal error\n");
        else res.destroy();
      });
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void> {
    const tx: Tx = {
      t0: now(), client: ctx.client, method: req.method ?? "", requested: (req.url ?? "").slice(0, MAX_REQUESTED_CHARS),
      path: undefined, virtual: false, sizeBytes: undefined, plan: undefined, bytesRead: 0, failed: undefined, reason: undefined,
    };
    active++;
    res.once("close", () => {
      active--;
      finish(tx, res);
    });
    if (req.method !== "GET" && req.method !== "HEAD") {
      tx.reason = "method not allowed";
      return sendText(res, 405, "GET and HEAD only\n", { Allow: "GET, HEAD" });
    }
    const t = ctx.target;
    if (!t.ok) {
      tx.reason = t.reason;
      return sendText(res, t.status, t.status === 403 ? "forbidden\n" : t.status === 414 ? "path too long\n" : "bad request\n");
    }
    tx.path = t.path;
    const r = await resolvePath(realRoot, t.path, ctx.client, deps.virtualFiles);
    const method = req.method;
    switch (r.kind) {
      case "virtual":
        tx.virtual = true;
        return sendPlanned(res, tx, planFile({ method, range: header(req, "range"), ifRange: header(req, "if-range") },
          { sizeBytes: r.content.length, contentType: contentTypeFor(t.path), validators: undefined }), r.content);
      case "file": {
        tx.sizeBytes = r.stat.size;
        const plan = planFile(
          {
            method, range: header(req, "range"), ifRange: header(req, "if-range"), ifMatch: header(req, "if-match"),
            ifNoneMatch: header(req, "if-none-match"), ifModifiedSince: header(req, "if-modified-since"), ifUnmodifiedSince: header(req, "if-unmodified-since"),
          },
          { sizeBytes: r.stat.size, contentType: contentTypeFor(t.path), validators: fileValidators(r.stat.ino, r.stat.size, r.stat.mtimeMs) },
        );
        return sendPlanned(res, tx, plan, r.file);
      }
      case "directory":
        return serveDirectory(req, res, tx, t.path, t.directory, r.realPath);
      case "missing":
        tx.reason = r.reason;
        return sendText(res, 404, "not found\n");
      case "forbidden":
        tx.reason = r.reason;
        return sendText(res, 403, "forbidden\n");
      case "error":
        tx.reason = r.reason;
        return sendText(res, 500, "internal error\n");
    }
  }

  async function serveDirectory(req: IncomingMessage, res: ServerResponse, tx: Tx, path: string, asked: boolean, realDir: string): Promise<void> {
    if (!asked) {
      // The common servers' answer; FreeBSD's loader retries the path with a trailing "/" itself.
      tx.reason = "a directory: add /";
      res.setHeader("Location", `${urlPath(path)}/`);
      return sendText(res, 301, "a directory\n");
    }
    if (!cfg.listDirectories) {
      tx.reason = "directory lists are off";
      return sendText(res, 403, "forbidden\n");
    }
    tx.path = path === "" ? "/" : `${path}/`;
    const body = Buffer.from(directoryListing(path, await listDirectory(realRoot, realDir)), "utf8");
    tx.sizeBytes = body.length;
    res.setHeader("Cache-Control", "no-store");
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": String(body.length) });
    tx.bytesRead = req.method === "HEAD" ? 0 : body.length;
    res.end(req.method === "HEAD" ? undefined : body);
  }

  function sendPlanned(res: ServerResponse, tx: Tx, plan: FilePlan, source: Buffer | fsp.FileHandle): void {
    tx.plan = plan;
    if (!Buffer.isBuffer(source) && plan.body === undefined) void source.close().catch(() => undefined);
    res.writeHead(plan.status, plan.headers);
    if (plan.body === undefined) {
      res.end();
      return;
    }
    const { start, end } = plan.body;
    if (Buffer.isBuffer(source)) {
      tx.bytesRead = end - start + 1;
      res.end(source.subarray(start, end + 1));
      return;
    }
    void sendFileRange(source, start, end, res, cfg.readChunkBytes, (n) => {
      tx.bytesRead += n;
    }).then((readError) => {
      if (readError === undefined) return;
      tx.failed = readError;
      res.destroy();
    });
  }

  function finish(tx: Tx, res: ServerResponse): void {
    const status = res.statusCode;
    const delivered = res.writableFinished;
    const bytes = delivered ? tx.bytesRead : Math.max(0, tx.bytesRead - res.writableLength);
    const outcome: HttpOutcome = tx.failed !== undefined ? "failed"
      : status >= 400 ? "refused"
        : !delivered ? "cancelled"
          : status === 304 ? "not-modified"
            : status === 301 ? "redirect"
              : tx.method === "HEAD" ? "probe"
                : status === 206 ? "partial" : "ok";
    if (outcome === "ok" || outcome === "partial" || outcome === "probe" || outcome === "not-modified" || outcome === "redirect") counters.completed++;
    else if (outcome === "refused") counters.refused++;
    else counters.failed++;
    counters.bytesSent += bytes;
    const body = tx.plan?.body;
    emit({
      protocol: "http", clientAddress: tx.client.address, clientPort: tx.client.port, method: tx.method, requested: tx.requested,
      path: tx.path, virtual: tx.virtual, status, outcome, bytes, sizeBytes: tx.sizeBytes,
      range: status === 206 && body ? { start: body.start, end: body.end } : undefined,
      durationMs: now() - tx.t0, reason: tx.failed ?? (outcome === "cancelled" ? "the client left before the body was out" : tx.reason),
    });
  }

  return {
    async start() {
      if (server) throw new LaggbootError("LB_ERR_INTERNAL", "http boot server already started");
      try {
        realRoot = await fsp.realpath(cfg.root);
      } catch (e) {
        throw new LaggbootError("LB_ERR_IO", `http boot: cannot open root ${cfg.root}`, { cause: e });
      }
      const s = createServer({ maxHeaderSize: cfg.maxHeaderBytes, requireHostHeader: false, connectionsCheckingInterval: 1000 }, handle);
      s.headersTimeout = cfg.headersTimeoutMs;
      s.requestTimeout = cfg.headersTimeoutMs * 3;
      s.keepAliveTimeout = cfg.keepAliveTimeoutMs;
      s.timeout = cfg.idleTimeoutMs;
      // A hard backstop above the counted limit: refused connections linger up to LINGER_MS.
      s.maxConnections = cfg.maxConnections + 256;
      s.on("connection", onConnection);
      s.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
        if (!socket.writable || refusedSockets.has(socket)) {
          socket.destroy();
          return;
        }
        const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large"
          : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
        endAndDrop(socket, `HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      });
      const bound = await listenTcp(s, { service: "HTTP boot", proto: "tcp", address: cfg.address, port: cfg.port });
      s.on("error", () => undefined);
      server = s;
      return bound;
    },

    async stop(graceMs: number) {
      const s = server;
      if (!s) return;
      server = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      const deadline = now() + graceMs;
      while (active > 0 && now() < deadline) await sleep(Math.min(50, Math.max(1, deadline - now())));
      s.closeAllConnections();
      await closed;
    },

    get stats(): HttpBootStats {
      return { connectionsOpen: open, active, ...counters };
    },

    onTransfer(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Says its last words and closes; a peer that keeps the connection open (slowloris) is cut off after LINGER_MS. */
function endAndDrop(socket: Socket, last: string | Buffer): void {
  socket.on("error", () => undefined);
  socket.end(last);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)), ...extra });
  res.end(res.req?.method === "HEAD" ? undefined : text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
