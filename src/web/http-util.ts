/**
 * Small pieces every endpoint shares: the request target split without
 * trusting it, query parameter checks that answer 400 instead of throwing,
 * JSON and error responses, and the headers every response carries.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Path and query of a request target. Not `new URL(req.url, base)`: a target
 * like `//evil/x` would become host "evil", path "/x". The path is compared
 * as sent (our routes are plain ASCII), so nothing is decoded.
 */
export function splitTarget(target: string | undefined): { path: string; query: URLSearchParams } {
  const t = target ?? "/";
  const q = t.indexOf("?");
  // URLSearchParams never throws: bad percent escapes are kept as they are.
  return q < 0 ? { path: t, query: new URLSearchParams() } : { path: t.slice(0, q), query: new URLSearchParams(t.slice(q + 1)) };
}

/** A request the client got wrong: answered 400 with this message. */
export class BadRequest extends Error {}

const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** A MAC in either colon or dash form, returned in the store's form (lower case, colons). */
export function macParam(query: URLSearchParams, name: string): string | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!MAC.test(v)) throw new BadRequest(`${name} must be a MAC address like 02:00:00:00:00:01`);
  return v.toLowerCase().replace(/-/g, ":");
}

/** A non-negative integer within [min, max]. */
export function intParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  return parseIntStrict(v, name, min, max);
}

export function parseIntStrict(v: string, name: string, min: number, max: number): number {
  if (!/^[0-9]{1,16}$/.test(v)) throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  const n = Number(v);
  if (n < min || n > max) throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A parameter given at most once; empty counts as given (and is then checked). */
export function single(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) throw new BadRequest(`${name} given ${all.length} times`);
  return all[0];
}

/** Headers on every response. No Access-Control-* unless configured: browsers on other origins may not read us. */
export function baseHeaders(res: ServerResponse, corsOrigin: string | undefined): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Cache-Control", "no-store");
  if (corsOrigin !== undefined) {
    res.setHeader("Access-Control-Allow-Origin", corsOrigin);
    res.setHeader("Vary", "Origin");
  }
}

/** API responses may never be run as a page: no scripts, no framing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export function sendBody(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": String(bytes.length), ...extra });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  res.setHeader("Content-Security-Policy", API_CSP);
  sendBody(res, status, "application/json; charset=utf-8", JSON.stringify(value, null, 2) + "\n", extra);
}

/** `{"error": "not-found", "message": "..."}`: a stable code and a sentence. */
export function sendError(res: ServerResponse, status: number, error: string, message: string, extra: Record<string, string> = {}): void {
  sendJson(res, status, { error, message }, extra);
}

/** Does the Accept header ask for an event stream (and not only as a fallback)? */
export function wantsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(";").map((s) => s.trim());
    return type === "text/event-stream" && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/**
 * DNS rebinding guard for a loopback-bound server: a page on an attacker's
 * name that resolves to 127.0.0.1 would send its own name as Host. Accept IP
 * literals, localhost, and names the operator lists.
 */
export function hostAllowed(hostHeader: string | undefined, extraNames: readonly string[]): boolean {
  if (hostHeader === undefined) return true; // HTTP/1.0 without Host: not a browser
  const h = hostHeader.toLowerCase();
  const name = h.startsWith("[") ? h.slice(1, h.indexOf("]")) : h.replace(/:[0-9]*$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(name)) return true;
  if (h.startsWith("[")) return true; // an IPv6 literal
  return extraNames.some((n) => n.toLowerCase() === name);
}
