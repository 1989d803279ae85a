/** A problem found in an inventory, located in its file. */
import type { ErrorCode } from "../errors.js";

export type KeyPath = readonly (string | number)[];

export interface Finding {
  readonly code: ErrorCode;
  readonly severity: "error" | "warning";
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted key path, e.g. clients[3].wifi.passphrase */
  readonly path: string;
}

export function severityOf(code: ErrorCode): "error" | "warning" {
  return code.startsWith("LB_WARN_") ? "warning" : "error";
}

export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === "" ? "(document)" : out;
}

/** `file:line:col: severity [CODE] path: message` — the form editors and grep understand. */
export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}:${f.col}: ${f.severity} [${f.code}] ${f.path}: ${f.message}`;
}

export function sortFindings(fs: readonly Finding[]): Finding[] {
  return [...fs].sort((a, b) => a.line - b.line || a.col - b.col || a.code.localeCompare(b.code));
}
