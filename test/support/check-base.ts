/**
 * The small inventory the check tests edit line by line, and helpers to
 * read their findings (code, line:col and key path).
 */
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import type { Finding } from "../../src/config/findings.js";
import { siteProbe } from "./probe.js";

/** A small inventory; each test edits one line. Line numbers are 1-based. */
export const BASE = [
  "server:", //                                   1
  "  address: 198.18.0.1", //                     2
  "  networks:", //                               3
  "    - name: lan", //                           4
  "      prefix: 198.18.0.0/24", //               5
  "      gateway: 198.18.0.254", //               6
  "      domain: lab.example", //                 7
  "clients:", //                                  8
  "  - name: a", //                               9
  "    kind: freebsd-lagg", //                    10
  "    ip: 198.18.0.10", //                       11
  "    macs: [00:1e:68:aa:bb:cc]", //             12
  "    wired: re0", //                            13
  "    wifi: { parent: ath0, ssid: home, passphrase: \"12345678\" }", // 14
  "  - name: b", //                               15
  "    kind: pxe", //                             16
  "    ip: 198.18.0.11", //                       17
  "    macs: [00:1e:68:aa:bb:01]", //             18
  "",
];

export function check(edit: (lines: string[]) => void = () => undefined, probe = siteProbe): Finding[] {
  const lines = [...BASE];
  edit(lines);
  return [...loadInventoryText(lines.join("\n"), "t.yaml", probe).findings];
}

export function only(findings: Finding[], code: string): Finding {
  const hits = findings.filter((f) => f.code === code);
  assert.equal(hits.length, 1, `expected one ${code}, got ${JSON.stringify(findings, null, 1)}`);
  return hits[0]!;
}

export const at = (f: Finding): string => `${f.line}:${f.col} ${f.path}`;

