/**
 * One schema error must not hide a client's other problems. When a client
 * (or the server) fails the schema, its issues are reported, then each
 * failing value is taken out (an optional key falls back to its default) or
 * replaced by a stand-in (a required key), the result is parsed again and
 * checked like any other. Findings at the repaired paths, or that depend on
 * them, are muted (Reporter.mute): they are about the stand-in, and the real
 * problem there is already reported. An inventory with schema errors is
 * never used, so a stand-in never reaches a generated file.
 */
import type { z } from "zod";
import type { KeyPath } from "./findings.js";
import { isUnknownDiscriminator } from "./schema-issues.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export interface Repaired {
  readonly value: Obj;
  /** Paths (relative to the repaired value) whose findings are already reported. */
  readonly muted: readonly KeyPath[];
}

/** The container holding path's last segment, or undefined when the path does not exist as written. */
function parentOf(root: Obj, path: KeyPath): Obj | unknown[] | undefined {
  let cur: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (isObj(cur) && typeof seg === "string") cur = cur[seg];
    else if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else return undefined;
  }
  return isObj(cur) || Array.isArray(cur) ? cur : undefined;
}

function setAt(root: Obj, path: KeyPath, value: unknown): void {
  const parent = parentOf(root, path);
  const last = path[path.length - 1];
  if (isObj(parent) && typeof last === "string") parent[last] = value;
  else if (Array.isArray(parent) && typeof last === "number") parent[last] = value;
}

function deleteAt(root: Obj, path: KeyPath): void {
  const parent = parentOf(root, path);
  const last = path[path.length - 1];
  if (isObj(parent) && typeof last === "string") Reflect.deleteProperty(parent, last);
}

/**
 * The input with every failing value replaced or removed; undefined when it
 * cannot be repaired (the client's kind is not known).
 */
export function repair(input: Obj, issues: readonly z.core.$ZodIssue[], standIn: (path: KeyPath) => unknown): Repaired | undefined {
  const value = structuredClone(input);
  const muted: KeyPath[] = [];
  for (const issue of issues) {
    const path = issue.path as (string | number)[];
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) deleteAt(value, [...path, k]);
      continue;
    }
    if (isUnknownDiscriminator(issue)) return undefined;
    if (path.length === 0) return undefined;
    // A bad list element without a stand-in takes its list with it.
    const target = typeof path[path.length - 1] === "number" && standIn(path) === undefined ? path.slice(0, -1) : path;
    const stand = standIn(target);
    if (stand !== undefined) setAt(value, target, stand);
    else deleteAt(value, target);
    muted.push(target);
  }
  return { value, muted };
}

/**
 * Stand-ins for a client's required keys: values that pass the schema and
 * cannot clash with a real client's (the address is a network address,
 * which no client may have).
 */
export function clientStandIn(index: number, networkAddress: string | undefined): (path: KeyPath) => unknown {
  return (path) => {
    const key = path.map((s) => (typeof s === "number" ? "#" : s)).join(".");
    switch (key) {
      case "name": return `lb-unparsed-${index}`;
      case "ip": return networkAddress;
      case "macs": return ["02:00:00:00:00:00"];
      case "macs.#": return "02:00:00:00:00:00";
      case "wired": return "lbunparsed0";
      case "wifi.parent": return "lbunparsed1";
      case "wifi.ssid": return "lb-unparsed";
      case "wifi.passphrase": return "lb-unparsed passphrase";
      case "wifi.passphraseFile": return "/nonexistent/lb-unparsed";
      default: return undefined;
    }
  };
}
