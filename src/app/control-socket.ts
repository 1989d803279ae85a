/**
 * The control socket of `laggboot serve`: a Unix socket beside the pid file
 * (/run/laggboot.pid -> /run/laggboot.sock), mode 0600, created while the
 * server is still root. Connecting needs write permission on it, so only
 * root (and the user serve was started as) can talk to the server, also
 * after it dropped to server.runAs: the listening socket stays open.
 *
 * One request per connection, one JSON document each way; the client ends
 * its side after the request. Today's one request is a reload carrying the
 * inventory's text and its secrets (reloader.ts). Input is bounded in size
 * and time like any other.
 */
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { LaggbootError } from "../errors.js";
import type { ReloadOutcome, ReloadRequest } from "./reloader.js";

/** Largest request or reply: an inventory of thousands of clients fits many times. */
export const MAX_CONTROL_BYTES = 16 * 1024 * 1024;
const SERVER_TIMEOUT_MS = 30_000;

/** The control socket that goes with a pid file: the same name with .sock for .pid. */
export function controlPathFor(pidfile: string): string {
  return `${pidfile.endsWith(".pid") ? pidfile.slice(0, -4) : pidfile}.sock`;
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");

/** A reload request, or why the bytes are not one. */
export function parseReloadRequest(text: string): ReloadRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (typeof v !== "object" || v === null) return "not a JSON object";
  const o = v as Record<string, unknown>;
  if (o["op"] !== "reload") return `unknown op ${JSON.stringify(o["op"])}`;
  if (typeof o["path"] !== "string" || typeof o["text"] !== "string" || !isStringMap(o["secrets"])) return "a reload needs path, text and secrets";
  return { op: "reload", path: o["path"], text: o["text"], secrets: o["secrets"] };
}

/** The server's answer, or why the bytes are not one. */
export function parseReply(text: string): ReloadOutcome | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");
  if (o["outcome"] === "reloaded" && typeof o["clients"] === "number" && strings(o["warnings"])) return { outcome: "reloaded", clients: o["clients"], warnings: o["warnings"] };
  if (o["outcome"] === "rejected" && strings(o["errors"])) return { outcome: "rejected", errors: o["errors"], ...(typeof o["hint"] === "string" ? { hint: o["hint"] } : {}) };
  if (o["outcome"] === "refused" && typeof o["reason"] === "string") return { outcome: "refused", reason: o["reason"] };
  return "not a reload outcome";
}

/** Reads a whole stream up to `max` bytes; rejects when it is longer or stalls past `timeoutMs`. */
function readAll(sock: Socket, max: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new Error(`nothing more within ${timeoutMs / 1000} s`));
    });
    sock.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        sock.destroy();
        reject(new Error(`longer than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    sock.on("end", () => {
      sock.setTimeout(0);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    sock.on("error", reject);
  });
}

/** Does a server answer on this socket path? */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export type ReloadHandler = (req: ReloadRequest) => ReloadOutcome;

export class ControlServer {
  private constructor(readonly path: string, private readonly server: Server) {}

  /** Listen on `path` (a stale socket there is replaced; a live one or another kind of file is an LB_ERR_IO). */
  static async open(path: string, onReload: ReloadHandler, onBadRequest: (why: string) => void): Promise<ControlServer> {
    let stale = false;
    try {
      const st = lstatSync(path);
      if (!st.isSocket()) throw new LaggbootError("LB_ERR_IO", `${path} exists and is not a socket: move it away (laggboot serve's control socket goes there)`);
      stale = true;
    } catch (e) {
      if (e instanceof LaggbootError) throw e;
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new LaggbootError("LB_ERR_IO", `cannot inspect ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (stale) {
      if (await answers(path)) throw new LaggbootError("LB_ERR_IO", `another laggboot serve answers on ${path}: stop it first, or give this one another --pidfile`);
      unlinkSync(path);
    }
    // Half-open: the client ends its side after the request and still reads the answer.
    const server = createServer({ allowHalfOpen: true }, (sock) => {
      readAll(sock, MAX_CONTROL_BYTES, SERVER_TIMEOUT_MS).then((text) => {
        const req = parseReloadRequest(text);
        if (typeof req === "string") {
          onBadRequest(req);
          sock.end(JSON.stringify({ outcome: "rejected", errors: [`bad control request: ${req}`] }));
          return;
        }
        sock.end(JSON.stringify(onReload(req)));
      }, (e: unknown) => onBadRequest(e instanceof Error ? e.message : String(e)));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) => reject(new LaggbootError("LB_ERR_IO", `cannot create the control socket ${path}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e })));
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o600);
    server.on("error", () => undefined); // after listen: per-connection errors are handled per connection
    return new ControlServer(path, server);
  }

  /** Stop listening. The socket file goes too where this process may unlink it (not in /run after dropping root: then the next start replaces it). */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** `laggboot reload`'s side: send the request, wait for the outcome. LB_ERR_IO saying why when no server answers. */
export function sendReload(path: string, req: ReloadRequest, timeoutMs = 60_000): Promise<ReloadOutcome> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    sock.once("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "ENOENT" ? `there is no control socket ${path}: is laggboot serve running with that pid file?`
        : e.code === "ECONNREFUSED" ? `nothing answers on ${path}: laggboot serve is not running (the socket is left from an earlier run)`
          : e.code === "EACCES" ? `permission denied on ${path}: run laggboot reload as root`
            : `cannot reach laggboot serve on ${path}: ${e.code ?? e.message}`;
      reject(new LaggbootError("LB_ERR_IO", why, { cause: e }));
    });
    sock.once("connect", () => {
      sock.end(JSON.stringify(req));
      readAll(sock, MAX_CONTROL_BYTES, timeoutMs).then((text) => {
        const r = parseReply(text);
        if (typeof r === "string") reject(new LaggbootError("LB_ERR_IO", `laggboot serve on ${path} gave no usable answer (${r})`));
        else resolve(r);
      }, (e: unknown) => reject(new LaggbootError("LB_ERR_IO", `no answer from laggboot serve on ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })));
    });
  });
}
