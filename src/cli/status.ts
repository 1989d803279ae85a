/**
 * laggboot status [--url URL] [--json] [--client NAME]: each client's boot
 * stage, read from a running `laggboot serve` over its HTTP API.
 * Exit 0 shown; 1 the server answered with an error (or knows no such
 * client); 2 no server there, or a usage problem.
 */
import { existsSync } from "node:fs";
import { request as httpGet, type IncomingMessage } from "node:http";
import { request as httpsGet } from "node:https";
import type { Command } from "commander";
import type { ClientStatus, ClusterStatus } from "../app/status-types.js";
import { EXIT, act, loadFile } from "./common.js";

export const DEFAULT_STATUS_URL = "http://127.0.0.1:8067";
const TIMEOUT_MS = 5000;
const MAX_BODY_BYTES = 16 << 20;

export interface StatusOptions {
  readonly url?: string | undefined;
  readonly json?: boolean | undefined;
  readonly client?: string | undefined;
  /** --config (or $LAGGBOOT_CONFIG): where to read server.http from when --url is absent. */
  readonly config?: string | undefined;
}

export interface StatusIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  /** Local wall clock, used when the server sends no Date header. */
  readonly now: () => number;
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show each client's boot stage from a running laggboot serve")
    .option("--url <url>", `status server (default: the inventory's server.http, else ${DEFAULT_STATUS_URL})`)
    .option("--json", "print the clients as the API returns them")
    .option("--client <name>", "only this client")
    .action(act((opts: { url?: string; json?: boolean; client?: string }, cmd: Command) => {
      const config = cmd.optsWithGlobals<{ config?: string }>().config ?? (process.env["LAGGBOOT_CONFIG"] || undefined);
      return runStatus({ ...opts, config }, { out: process.stdout, err: process.stderr, now: Date.now });
    }));
}

class Usage extends Error {}

/** The base URL: --url, else the inventory's server.http (0.0.0.0 asked via loopback), else the default. */
export function statusUrl(opts: StatusOptions): URL {
  if (opts.url !== undefined) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new Usage(`--url ${JSON.stringify(opts.url)} is not a URL (want e.g. ${DEFAULT_STATUS_URL})`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Usage(`--url must be http:// or https://, not ${u.protocol}`);
    return u;
  }
  const file = opts.config ?? (existsSync("laggboot.yaml") ? "laggboot.yaml" : undefined);
  if (file === undefined) return new URL(DEFAULT_STATUS_URL);
  let inventory;
  try {
    inventory = loadFile(file).inventory;
  } catch (e) {
    throw new Usage(`${e instanceof Error ? e.message : String(e)}; or give --url`);
  }
  if (inventory === undefined) throw new Usage(`cannot take the server address from ${file}: it has errors (see "laggboot check ${file}"); or give --url`);
  const { address, port } = inventory.server.http;
  return new URL(`http://${address === "0.0.0.0" ? "127.0.0.1" : address}:${port}`);
}

/** `base` + `/api/v1/clients`, keeping a path prefix (a reverse proxy at /laggboot/). */
export function clientsUrl(base: URL, client: string | undefined): URL {
  const u = apiUrl(base, "/api/v1/clients");
  if (client !== undefined) u.searchParams.set("name", client);
  return u;
}

function apiUrl(base: URL, path: string): URL {
  const u = new URL(base.href);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}${path}`;
  u.search = "";
  u.hash = "";
  return u;
}

interface Answer { status: number; body: string; dateMs: number | undefined }

class Unreachable extends Error {}

function fetchText(url: URL): Promise<Answer> {
  const get = url.protocol === "https:" ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { Accept: "application/json" }, timeout: TIMEOUT_MS }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Unreachable(`answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on("end", () => {
        const date = res.headers.date === undefined ? NaN : Date.parse(res.headers.date);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), dateMs: Number.isNaN(date) ? undefined : date });
      });
      res.on("error", (e) => reject(new Unreachable(e.message)));
    });
    req.on("timeout", () => req.destroy(new Unreachable(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on("error", (e: NodeJS.ErrnoException) => reject(e instanceof Unreachable ? e : new Unreachable(e.code ?? e.message)));
    req.end();
  });
}

export async function runStatus(opts: StatusOptions, io: StatusIo): Promise<number> {
  let base: URL;
  try {
    base = statusUrl(opts);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    io.err.write(`laggboot: ${e.message}\n`);
    return EXIT.usage;
  }
  const shown = base.href.replace(/\/$/, "");
  let answer: Answer;
  try {
    answer = await fetchText(clientsUrl(base, opts.client));
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    io.err.write(`laggboot: no laggboot server at ${shown}: is \`laggboot serve\` running? (${e.message})\n`);
    return EXIT.usage;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  if (answer.status !== 200) {
    const message = isRecord(body) && typeof body["message"] === "string" ? body["message"] : answer.body.slice(0, 200);
    io.err.write(`laggboot: the server at ${shown} answered ${answer.status}: ${safe(message)}\n`);
    return EXIT.problems;
  }
  if (!Array.isArray(body) || !body.every(isClient)) {
    io.err.write(`laggboot: ${shown} answered, but not with laggboot client status (is it a laggboot server?)\n`);
    return EXIT.problems;
  }
  const clients = body as ClientStatus[];
  if (opts.client !== undefined && clients.length === 0) {
    io.err.write(`laggboot: the server at ${shown} knows no client named ${JSON.stringify(opts.client)}\n`);
    return EXIT.problems;
  }
  if (opts.json) {
    io.out.write(JSON.stringify(clients, null, 2) + "\n");
    return EXIT.ok;
  }
  io.out.write(formatTable(clients, answer.dateMs ?? io.now()));
  // Several servers on one store: which ones, and whether they agree (an older server has no cluster: nothing more).
  const health = await fetchText(apiUrl(base, "/healthz")).catch(() => undefined);
  let report: unknown;
  try {
    report = health === undefined ? undefined : JSON.parse(health.body);
  } catch {
    report = undefined;
  }
  const cluster = isRecord(report) && isRecord(report["cluster"]) ? (report["cluster"] as unknown as ClusterStatus) : undefined;
  if (cluster !== undefined && Array.isArray(cluster.servers)) io.out.write(formatCluster(cluster));
  return EXIT.ok;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Enough shape to format without throwing; the API is ours, but the URL may not be. */
function isClient(v: unknown): boolean {
  return isRecord(v) && typeof v["name"] === "string" && typeof v["ip"] === "string"
    && Array.isArray(v["files"]) && (v["lastSeenMs"] === undefined || typeof v["lastSeenMs"] === "number");
}

/** Names and paths come from the network: no terminal control characters. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function ago(nowMs: number, atMs: number | undefined): string {
  if (atMs === undefined) return "never";
  const s = Math.max(0, Math.round((nowMs - atMs) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

const HEADINGS = ["NAME", "IP", "STAGE", "LAST DHCP", "LAST FILE", "SEEN"] as const;

export function formatTable(clients: readonly ClientStatus[], nowMs: number): string {
  if (clients.length === 0) return "no clients in the inventory\n";
  const rows = clients.map((c) => {
    const d = c.lastDhcp;
    const last = c.files.length > 0 ? c.files[c.files.length - 1]! : undefined;
    // Older servers send no protocol: TFTP was the only one.
    const lastFile = last === undefined ? "-" : `${last.path} (${typeof last.protocol === "string" ? last.protocol : "tftp"})`;
    return [c.name, c.ip, c.stage ?? "-", d === undefined ? "-" : `${d.messageType} ${d.ip ?? ""}`.trim() + (d.server === undefined ? "" : ` by ${d.server}`), lastFile, ago(nowMs, c.lastSeenMs)].map(safe);
  });
  const widths = HEADINGS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ") + "\n";
  return line(HEADINGS) + rows.map(line).join("");
}

/** The servers sharing the store, after the client table. */
export function formatCluster(c: ClusterStatus): string {
  const lines = [
    "",
    `servers sharing the PostgreSQL store (this is ${c.server}; database ${c.online ? "reachable" : "UNREACHABLE: pool requests are not answered"}):`,
  ];
  for (const s of c.servers) {
    const seen = s.lastSeenAgoMs === undefined ? "never" : `${Math.round(s.lastSeenAgoMs / 1000)} s ago`;
    const inv = s.sameInventory ? "same inventory" : `DIFFERENT inventory (${s.inventoryHash.slice(0, 12)}, ours ${c.inventoryHash.slice(0, 12)})`;
    lines.push(`  ${s.name}  seen ${seen}  ${inv}`);
  }
  if (c.inventoryMismatch.length > 0) lines.push(`warning: ${c.inventoryMismatch.join(", ")} run(s) a different inventory: reserved clients may get different answers`);
  lines.push(`events queued for the database: ${c.queuedEvents}, dropped: ${c.droppedEvents}; lease writes lost to another server: ${c.leaseConflicts}`);
  return lines.map(safe).join("\n") + "\n";
}
