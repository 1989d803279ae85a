/**
 * Examples in docs/, read back so tests can hold them against the code:
 * the output shown after a `$ command` line of a console block, and the
 * shape of a JSON value (keys and types, not values) to compare a documented
 * answer with a real one.
 */
import { readFileSync } from "node:fs";

/** The lines printed after `$ <command>` in `file`, up to the next `$ ` line or the end of the block. */
export function consoleOutput(file: string, command: string): string {
  const lines = readFileSync(file, "utf8").split("\n");
  const at = lines.findIndex((l) => l === `$ ${command}`);
  if (at < 0) throw new Error(`${file} shows no "$ ${command}"`);
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.startsWith("$ ") || l.startsWith("```")) break;
    out.push(l);
  }
  return out.join("\n") + "\n";
}

export type Shape = string | Shape[] | { [k: string]: Shape };

/** Keys and value types, recursively; an array's shape is its first element's. */
export function shapeOf(v: unknown): Shape {
  if (Array.isArray(v)) return v.length === 0 ? [] : [shapeOf(v[0])];
  if (v === null) return "null";
  if (typeof v === "object") {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, shapeOf((v as Record<string, unknown>)[k])]));
  }
  return typeof v;
}
