/**
 * Loads an inventory: YAML with positions -> defaults merged -> schema ->
 * resolved values -> semantic checks. Every problem is collected and located;
 * nothing here throws for bad input. File access is injected (`SiteProbe`) so
 * the whole pipeline runs on plain values in tests.
 */
import type { z } from "zod";
import { isErrorCode, type ErrorCode } from "../errors.js";
import { parsePrefix } from "./addr.js";
import { formatKeyPath, severityOf, sortFindings, type Finding, type KeyPath } from "./findings.js";
import { readYaml, type Locator } from "./locate.js";
import { clientStandIn, repair } from "./repair.js";
import { clientSchema, freebsdLaggClientSchema, LAGG_KEYS_BY_OS, laggFreebsdSchema, laggLinuxSchema, pxeClientSchema, serverSchema, type ClientParsed } from "./schema.js";
import { isUnknownDiscriminator, issueMessage, keysAt, unknownKeyMessage } from "./schema-issues.js";
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
    /** Where a client's value came from when the client did not write it (defaults:). */
    private readonly originOf: (path: KeyPath) => KeyPath | undefined = () => undefined,
  ) {}

  private readonly muted: KeyPath[] = [];

  /** Findings at or below these paths are dropped from now on (repair.ts: already reported). */
  mute(paths: readonly KeyPath[]): void {
    this.muted.push(...paths);
  }

  isMuted(path: KeyPath): boolean {
    return this.muted.some((m) => m.length <= path.length && m.every((seg, i) => seg === path[i]));
  }

  /** `also`: other paths the finding depends on; a muted one mutes the finding. */
  add(code: ErrorCode, path: KeyPath, message: string, opts: { key?: boolean; also?: readonly KeyPath[] } = {}): void {
    if (this.isMuted(path) || opts.also?.some((p) => this.isMuted(p))) return;
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

  get hasErrors(): boolean {
    return this.findings.some((f) => f.severity === "error");
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const NESTED = new Set(["wifi", "root", "lagg", "backup", "boot", "bond"]);
const EXCLUSIVE = [["passphrase", "passphraseFile"]];

/** Client keys over defaults; nested objects merge one level deep. */
function mergeDefaults(client: Obj, defaults: Obj | undefined): Obj {
  if (!defaults) return client;
  const out: Obj = { ...client };
  const keysOfOs = laggKeysFor(client, defaults);
  for (const [k, dv] of Object.entries(defaults)) {
    if (keysOfOs && !keysOfOs.has(k)) continue;
    const cv = client[k];
    if (cv === undefined) out[k] = dv;
    else if (NESTED.has(k) && isObj(cv) && isObj(dv)) out[k] = { ...inherited(cv, dv), ...cv };
  }
  return out;
}

/**
 * A `kind: lagg` client takes from `defaults.lagg` only the keys its os has,
 * so one defaults block can serve FreeBSD and Linux clients. Undefined for
 * other kinds (every default applies) and for an os that is not valid (the
 * schema reports it).
 */
function laggKeysFor(client: Obj, defaults: Obj): ReadonlySet<string> | undefined {
  if (client["kind"] !== "lagg") return undefined;
  const os = client["os"] ?? defaults["os"] ?? "freebsd";
  return os === "freebsd" || os === "linux" ? LAGG_KEYS_BY_OS[os] : undefined;
}

/** The keys of a nested default a client inherits: a client's own choice in an exclusive group replaces the default's. */
function inherited(cv: Obj, dv: Obj): Obj {
  const dropped = new Set(EXCLUSIVE.filter((group) => group.some((g) => cv[g] !== undefined)).flat());
  return dropped.size === 0 ? dv : Object.fromEntries(Object.entries(dv).filter(([nk]) => !dropped.has(nk)));
}

/**
 * clients[i].k... -> defaults[kind].k... when client i did not write k (or,
 * for wifi/root/lagg, the nested key) and the value came from defaults.
 * Computed only for findings, so a clean inventory pays nothing for it.
 */
function defaultsOrigin(clientsRaw: unknown, defaults: unknown): (path: KeyPath) => KeyPath | undefined {
  return (path) => {
    if (path[0] !== "clients" || typeof path[1] !== "number" || path.length < 3 || !Array.isArray(clientsRaw) || !isObj(defaults)) return undefined;
    const c: unknown = clientsRaw[path[1]];
    if (!isObj(c) || typeof c["kind"] !== "string") return undefined;
    const d = defaults[c["kind"]];
    const k = String(path[2]);
    if (!isObj(d) || d[k] === undefined) return undefined;
    const base: KeyPath = ["defaults", c["kind"], k];
    const cv = c[k];
    if (cv === undefined) return [...base, ...path.slice(3)];
    const dv = d[k];
    if (path.length >= 4 && NESTED.has(k) && isObj(cv) && isObj(dv)) {
      const nk = String(path[3]);
      if (cv[nk] === undefined && inherited(cv, dv)[nk] !== undefined) return [...base, ...path.slice(3)];
    }
    return undefined;
  };
}

function reportZod(rep: Reporter, base: KeyPath, error: z.ZodError, schema: z.core.$ZodType): void {
  for (const issue of error.issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const params = (issue as { params?: { lbCode?: unknown } }).params;
    const code: ErrorCode = typeof params?.lbCode === "string" && isErrorCode(params.lbCode) ? params.lbCode : "LB_ERR_SCHEMA";
    if (issue.code === "unrecognized_keys") {
      const known = keysAt(schema, issue.path);
      for (const k of issue.keys) rep.add(code, [...path, k], unknownKeyMessage(k, known), { key: true });
    } else if (isUnknownDiscriminator(issue)) {
      const kind = isObj(issue.input) ? issue.input["kind"] : undefined;
      rep.add(code, path, kind === undefined ? `required key "kind" is missing (${kindList()})` : `unknown client kind ${JSON.stringify(kind)} (want ${kindList()})`);
    } else if (issue.code === "invalid_type" && issue.input === undefined) {
      rep.add(code, path, `required key "${String(path[path.length - 1])}" is missing`);
    } else {
      rep.add(code, path, issueMessage(issue));
    }
  }
}

/**
 * Parses `value`; on schema errors reports them and parses a repaired copy
 * (repair.ts), so the value's other checks still run. Undefined when even
 * the repaired copy fails.
 */
function parseOrRepair<S extends z.ZodType>(rep: Reporter, base: KeyPath, value: unknown, schema: S, standIn: (path: KeyPath) => unknown, keysSchema: z.core.$ZodType = schema): z.output<S> | undefined {
  const first = schema.safeParse(value, { reportInput: true });
  if (first.success) return first.data;
  reportZod(rep, base, first.error, keysSchema);
  const fixed = isObj(value) ? repair(value, first.error.issues, standIn) : undefined;
  if (!fixed) return undefined;
  const again = schema.safeParse(fixed.value);
  if (!again.success) return undefined;
  rep.mute(fixed.muted.map((p) => [...base, ...p]));
  return again.data;
}

const TOP_KEYS = new Set(["version", "server", "defaults", "clients"]);
const KINDS = ["freebsd-lagg", "lagg", "pxe"] as const;
const kindList = (): string => `${KINDS.slice(0, -1).join(", ")} or ${KINDS.at(-1)!}`;

export function loadInventoryText(text: string, file: string, probe: SiteProbe): LoadResult {
  const src = readYaml(text);
  if (!src.ok) {
    const finding: Finding = { code: "LB_ERR_YAML_SYNTAX", severity: "error", message: src.message, file, line: src.line, col: src.col, path: "(document)" };
    return { inventory: undefined, findings: [finding] };
  }
  const rootData = src.data;
  const rep = new Reporter(file, src.locator, isObj(rootData) ? defaultsOrigin(rootData["clients"], rootData["defaults"]) : undefined);
  const root: unknown = src.data;
  if (!isObj(root)) {
    rep.add("LB_ERR_SCHEMA", [], "the inventory must be a YAML mapping with server: and clients:");
    return { inventory: undefined, findings: rep.findings };
  }
  for (const k of Object.keys(root)) {
    if (!TOP_KEYS.has(k)) rep.add("LB_ERR_SCHEMA", [k], unknownKeyMessage(k, [...TOP_KEYS]), { key: true });
  }
  if (root["version"] !== undefined && root["version"] !== 1) {
    rep.add("LB_ERR_SCHEMA", ["version"], "unsupported inventory version (this laggboot reads version 1)");
  }

  const server = parseOrRepair(rep, ["server"], root["server"], serverSchema, () => undefined);

  const defaults = root["defaults"];
  if (defaults !== undefined && !isObj(defaults)) rep.add("LB_ERR_SCHEMA", ["defaults"], "defaults must be a mapping by client kind");
  const defaultsFor = (kind: unknown): Obj | undefined => {
    if (!isObj(defaults) || typeof kind !== "string") return undefined;
    const d = defaults[kind];
    return isObj(d) ? d : undefined;
  };
  if (isObj(defaults)) {
    for (const [k, v] of Object.entries(defaults)) {
      if (!(KINDS as readonly string[]).includes(k)) rep.add("LB_ERR_SCHEMA", ["defaults", k], `unknown client kind "${k}" (want ${kindList()})`, { key: true });
      else if (!isObj(v)) rep.add("LB_ERR_SCHEMA", ["defaults", k], "must be a mapping of client keys");
      else {
        for (const bad of ["name", "ip", "fqdn", "macs", "kind"]) {
          if (v[bad] !== undefined) rep.add("LB_ERR_SCHEMA", ["defaults", k, bad], `"${bad}" is per client and cannot be a default`, { key: true });
        }
        // defaults.lagg skips keys of the other os; a key of neither would be silently lost.
        if (k === "lagg") {
          for (const key of Object.keys(v)) {
            if (!LAGG_KEYS_BY_OS.freebsd.has(key) && !LAGG_KEYS_BY_OS.linux.has(key)) rep.add("LB_ERR_SCHEMA", ["defaults", k, key], `unknown key "${key}" for lagg clients`, { key: true });
          }
        }
      }
    }
  }

  // A client whose address fails the schema stands in with this (network addresses are never a client's).
  const firstPrefix = server?.networks[0] === undefined ? undefined : parsePrefix(server.networks[0].prefix);
  const firstNetwork = firstPrefix?.network;
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
      const merged = mergeDefaults(c, defaultsFor(c["kind"]));
      // The schema whose keys an unknown key is compared with ("did you mean").
      const kindSchema = merged["kind"] === "pxe" ? pxeClientSchema
        : merged["kind"] !== "lagg" ? freebsdLaggClientSchema
        : merged["os"] === "linux" ? laggLinuxSchema : laggFreebsdSchema;
      const parsed = parseOrRepair(rep, path, merged, clientSchema, clientStandIn(index, firstNetwork), kindSchema);
      if (parsed) clients.push({ parsed, index });
    });
  }

  const inventory = server ? resolveInventory(server, clients, rep, probe) : undefined;
  return { inventory: rep.hasErrors ? undefined : inventory, findings: sortFindings(rep.findings) };
}
