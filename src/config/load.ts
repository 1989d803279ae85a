/**
 * Loads an inventory: YAML with positions -> defaults merged -> schema ->
 * resolved values -> semantic checks. Every problem is collected and located;
 * nothing here throws for bad input. File access is injected (`SiteProbe`) so
 * the whole pipeline runs on plain values in tests.
 */
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { isErrorCode, type ErrorCode } from "../errors.js";
import { formatKeyPath, severityOf, sortFindings, type Finding, type KeyPath } from "./findings.js";
import { Locator } from "./locate.js";
import { clientSchema, serverSchema, type ClientParsed } from "./schema.js";
import { resolveInventory } from "./resolve.js";
import type { Inventory } from "./types.js";

/** What the loader may ask of the machine it runs on. */
export interface SiteProbe {
  /** First line of a secret file, or an error message. */
  readSecret(path: string): { ok: true; value: string } | { ok: false; error: string };
  /** "file" | "dir" | "other" | "missing" */
  kindOf(path: string): "file" | "dir" | "other" | "missing";
}

export interface LoadResult {
  /** Present when there are no errors (warnings allowed). */
  readonly inventory: Inventory | undefined;
  readonly findings: readonly Finding[];
}

/** Collects findings with positions; passed to every check. */
export class Reporter {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  constructor(
    private readonly file: string,
    private readonly locator: Locator | undefined,
    /** Fallback paths for values that came from `defaults:` rather than the client. */
    private readonly origins: Map<string, KeyPath> = new Map(),
  ) {}

  add(code: ErrorCode, path: KeyPath, message: string, opts: { key?: boolean } = {}): void {
    let where = path;
    if (this.locator && !this.locator.has(path)) {
      const alt = this.originOf(path);
      if (alt) where = alt;
    }
    const pos = this.locator ? this.locator.locate(where, opts) : { line: 1, col: 1 };
    // A value inherited from defaults: is reported once, where it is written.
    const shown = formatKeyPath(where);
    const key = `${code}|${pos.line}|${pos.col}|${shown}|${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.findings.push({ code, severity: severityOf(code), message, file: this.file, line: pos.line, col: pos.col, path: shown });
  }

  /** clients[i].a.b -> defaults[kind].a.b when the client did not set it itself. */
  private originOf(path: KeyPath): KeyPath | undefined {
    for (let n = path.length; n >= 2; n--) {
      const alt = this.origins.get(JSON.stringify(path.slice(0, n)));
      if (alt) return [...alt, ...path.slice(n)];
    }
    return undefined;
  }

  get hasErrors(): boolean {
    return this.findings.some((f) => f.severity === "error");
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const NESTED = new Set(["wifi", "root", "lagg"]);
const EXCLUSIVE = [["passphrase", "passphraseFile"]];

/** Client keys over defaults; nested objects merge one level deep. Records where each value came from. */
function mergeDefaults(client: Obj, defaults: Obj | undefined, clientPath: KeyPath, defaultsPath: KeyPath, origins: Map<string, KeyPath>): Obj {
  if (!defaults) return client;
  const out: Obj = { ...client };
  for (const [k, dv] of Object.entries(defaults)) {
    const cv = client[k];
    if (cv === undefined) {
      out[k] = dv;
      origins.set(JSON.stringify([...clientPath, k]), [...defaultsPath, k]);
    } else if (NESTED.has(k) && isObj(cv) && isObj(dv)) {
      // Keys that exclude each other: a client's own choice replaces the default's.
      const dropped = new Set(EXCLUSIVE.filter((group) => group.some((g) => cv[g] !== undefined)).flat());
      const inherited = Object.fromEntries(Object.entries(dv).filter(([nk]) => !dropped.has(nk)));
      out[k] = { ...inherited, ...cv };
      for (const nk of Object.keys(inherited)) {
        if (cv[nk] === undefined) origins.set(JSON.stringify([...clientPath, k, nk]), [...defaultsPath, k, nk]);
      }
    }
  }
  return out;
}

function reportZod(rep: Reporter, base: KeyPath, error: z.ZodError): void {
  for (const issue of error.issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const params = (issue as { params?: { lbCode?: unknown } }).params;
    const code: ErrorCode = typeof params?.lbCode === "string" && isErrorCode(params.lbCode) ? params.lbCode : "LB_ERR_SCHEMA";
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) rep.add(code, [...path, k], `unknown key "${k}"`, { key: true });
    } else if (issue.code === "invalid_type" && issue.input === undefined) {
      rep.add(code, path, `required key "${String(path[path.length - 1])}" is missing`);
    } else {
      rep.add(code, path, issue.message);
    }
  }
}

const TOP_KEYS = new Set(["version", "server", "defaults", "clients"]);
const KINDS = ["freebsd-lagg", "pxe"] as const;

export function loadInventoryText(text: string, file: string, probe: SiteProbe): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const findings: Finding[] = doc.errors.map((e) => {
      const p = lineCounter.linePos(e.pos[0]);
      return {
        code: "LB_ERR_YAML_SYNTAX",
        severity: "error",
        message: e.message.split("\n")[0] ?? e.message,
        file,
        line: p.line,
        col: p.col,
        path: "(document)",
      };
    });
    return { inventory: undefined, findings: sortFindings(findings) };
  }
  const origins = new Map<string, KeyPath>();
  const rep = new Reporter(file, new Locator(doc, lineCounter), origins);
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isObj(root)) {
    rep.add("LB_ERR_SCHEMA", [], "the inventory must be a YAML mapping with server: and clients:");
    return { inventory: undefined, findings: rep.findings };
  }
  for (const k of Object.keys(root)) {
    if (!TOP_KEYS.has(k)) rep.add("LB_ERR_SCHEMA", [k], `unknown key "${k}"`, { key: true });
  }
  if (root["version"] !== undefined && root["version"] !== 1) {
    rep.add("LB_ERR_SCHEMA", ["version"], "unsupported inventory version (this laggboot reads version 1)");
  }

  const server = serverSchema.safeParse(root["server"]);
  if (!server.success) reportZod(rep, ["server"], server.error);

  const defaults = root["defaults"];
  if (defaults !== undefined && !isObj(defaults)) rep.add("LB_ERR_SCHEMA", ["defaults"], "defaults must be a mapping by client kind");
  const defaultsFor = (kind: unknown): Obj | undefined => {
    if (!isObj(defaults) || typeof kind !== "string") return undefined;
    const d = defaults[kind];
    return isObj(d) ? d : undefined;
  };
  if (isObj(defaults)) {
    for (const [k, v] of Object.entries(defaults)) {
      if (!(KINDS as readonly string[]).includes(k)) rep.add("LB_ERR_SCHEMA", ["defaults", k], `unknown client kind "${k}" (want ${KINDS.join(" or ")})`, { key: true });
      else if (!isObj(v)) rep.add("LB_ERR_SCHEMA", ["defaults", k], "must be a mapping of client keys");
      else for (const bad of ["name", "ip", "fqdn", "macs", "kind"]) {
        if (v[bad] !== undefined) rep.add("LB_ERR_SCHEMA", ["defaults", k, bad], `"${bad}" is per client and cannot be a default`, { key: true });
      }
    }
  }

  const clientsRaw = root["clients"] ?? [];
  const clients: { parsed: ClientParsed; index: number }[] = [];
  if (!Array.isArray(clientsRaw)) {
    rep.add("LB_ERR_SCHEMA", ["clients"], "clients must be a list");
  } else {
    clientsRaw.forEach((c: unknown, index) => {
      const path: KeyPath = ["clients", index];
      if (!isObj(c)) {
        rep.add("LB_ERR_SCHEMA", path, "a client must be a mapping");
        return;
      }
      const merged = mergeDefaults(c, defaultsFor(c["kind"]), path, ["defaults", String(c["kind"])], origins);
      const r = clientSchema.safeParse(merged);
      if (r.success) clients.push({ parsed: r.data, index });
      else reportZod(rep, path, r.error);
    });
  }

  const inventory = server.success ? resolveInventory(server.data, clients, rep, probe) : undefined;
  return { inventory: rep.hasErrors ? undefined : inventory, findings: sortFindings(rep.findings) };
}
