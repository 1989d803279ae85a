/**
 * Schema problems in words a site admin reads once: what was expected and
 * what the inventory has instead ("expected a string, got the number
 * 12345678"), which keys exist where an unknown one was written ("did you
 * mean passphrase?"). zod leaves the input out of its issues unless the
 * parse asks for it (`reportInput: true`), so every parse here does.
 */
import { z } from "zod";

const TYPE_NAMES: Record<string, string> = {
  string: "a string", number: "a number", int: "a whole number", boolean: "true or false",
  array: "a list", object: "a mapping", record: "a mapping", literal: "a fixed value",
};

/** A value from the YAML, described for a message. */
export function describeValue(v: unknown): string {
  if (v === null) return "an empty value";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string": return `the string ${JSON.stringify(v)}`;
    case "number": return `the number ${v}`;
    case "boolean": return `${v}`;
    case "object": return "a mapping";
    default: return typeof v;
  }
}

const expectedName = (t: string): string => TYPE_NAMES[t] ?? t;

/** Keys whose values are free text, where YAML's reading of `12345678` or `yes` as a number or boolean is the likely slip. */
const TEXT_KEYS = new Set(["name", "ssid", "passphrase", "fqdn", "domain", "user", "group", "bootFile", "ipxeScript", "rootPath"]);

/** Quoting advice when YAML read a number or boolean where text was wanted. */
function quoteHint(issue: Issue, expected: string, input: unknown): string {
  const key = issue.path[issue.path.length - 1];
  const text = typeof key === "string" && TEXT_KEYS.has(key);
  return text && expected === "string" && (typeof input === "number" || typeof input === "boolean") ? ` (YAML read it as a ${typeof input}; write it in quotes)` : "";
}

type Issue = z.core.$ZodIssue;

/** A discriminated union (clients by kind) whose discriminator matched no option. */
export function isUnknownDiscriminator(issue: Issue): boolean {
  return issue.code === "invalid_union" && issue.discriminator !== undefined && issue.errors.length === 0;
}

/** The message for one issue (not for unknown keys or a missing key). */
export function issueMessage(issue: Issue): string {
  const input: unknown = issue.input;
  switch (issue.code) {
    case "invalid_type":
      return `expected ${expectedName(issue.expected)}, got ${describeValue(input)}${quoteHint(issue, issue.expected, input)}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${describeValue(input)}`;
    case "invalid_union": {
      if (isUnknownDiscriminator(issue)) return issue.message;
      // A branch whose type matched says what is wrong with the content; else list what each branch takes.
      const content = issue.errors.flat().find((e) => e.code !== "invalid_type" && e.code !== "invalid_value");
      if (content) return content.message;
      const wants = issue.errors.flat().map((e) => (e.code === "invalid_type" ? expectedName(e.expected) : e.code === "invalid_value" ? e.values.map((v) => JSON.stringify(v)).join(" or ") : e.message));
      return `expected ${[...new Set(wants)].join(" or ")}, got ${describeValue(input)}`;
    }
    default:
      return issue.message;
  }
}

/** The schema inside wrappers (optional, default, prefault, nullable, readonly). */
function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  let cur = s;
  for (let i = 0; i < 8; i++) {
    const inner = (cur._zod.def as { innerType?: z.core.$ZodType }).innerType;
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

/** The keys of the object schema at `path` below `schema`, if there is one. */
export function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let cur = unwrap(schema);
  for (const seg of path) {
    const def = cur._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
    if (def.type === "object" && typeof seg === "string" && def.shape?.[seg]) cur = unwrap(def.shape[seg]);
    else if (def.type === "array" && typeof seg === "number" && def.element) cur = unwrap(def.element);
    else if (def.type === "record" && def.valueType) cur = unwrap(def.valueType);
    else return [];
  }
  const def = cur._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** `unknown key "k"`, with the nearest known key when one is close ("did you mean ...?"). */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  let best = sameCase;
  if (!best) {
    const limit = key.length >= 5 ? 2 : 1;
    let bestD = limit + 1;
    for (const k of known) {
      const dist = distance(lower, k.toLowerCase());
      if (dist < bestD) [best, bestD] = [k, dist];
    }
  }
  return best ? `unknown key "${key}"; did you mean "${best}"?` : `unknown key "${key}"${known.length > 0 ? ` (known here: ${known.join(", ")})` : ""}`;
}
