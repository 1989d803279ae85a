// Assertions shared by the flip-model tests.
import assert from "node:assert/strict";
import { explain, type ModelRun } from "./harness.js";
import { laggPorts, parseState } from "./world.js";

export function assertOracleClean(run: ModelRun): void {
  assert.deepEqual(run.verdict.violations, [], explain(run));
}

/**
 * The window really happened, and every start inside it came from a
 * malloc-backed memory disk, chrooted into that disk.
 */
export function assertWindowCovered(run: ModelRun): void {
  const inWindow = run.verdict.execs.filter((e) => !e.nfsUp);
  assert.ok(inWindow.length > 0, `no program ran while the server was unreachable: was there a window?\n${explain(run)}`);
  assert.ok(inWindow.every((e) => e.onMemoryFs && !e.path.startsWith("/rescue/")), explain(run));
  assert.ok(inWindow.every((e) => e.root !== "/" && e.path.startsWith(`${e.root}/`)), `the window did not run chrooted into its memory disk\n${explain(run)}`);
}

export interface FlipExpectation {
  readonly bootif: string;
  readonly ip: string;
  readonly prefixLength: number;
  readonly ports: readonly string[];
  readonly master: string;
  readonly gateway?: string;
}

export function assertFlipped(run: ModelRun, want: FlipExpectation): void {
  const why = explain(run);
  const lagg = run.state.ifaces.get("lagg0");
  assert.ok(lagg, `lagg0 missing\n${why}`);
  assert.deepEqual(laggPorts(run.stateText, "lagg0"), [...want.ports], why);
  assert.equal(lagg.primary, want.master, `master\n${why}`);
  assert.deepEqual(run.state.inet.get("lagg0"), [`${want.ip}/${want.prefixLength}`], why);
  assert.equal(run.state.inet.get(want.bootif), undefined, `the boot NIC still holds an address\n${why}`);
  assert.equal(run.state.inet6.get(want.bootif), undefined, `IPv6 must be stripped from a joining port\n${why}`);
  const def = run.state.routes.filter((r) => r.prefixLength === 0);
  if (want.gateway) assert.deepEqual(def.map((r) => `${r.gateway} ${r.ifname}`), [`${want.gateway} lagg0`], why);
  else assert.deepEqual(def, [], why);
  assert.deepEqual(run.state.mem, [], `the memory file system was left mounted\n${why}`);
  assertOracleClean(run);
  assertWindowCovered(run);
}

/** Interfaces, lagg membership, MACs, capabilities, addresses and routes, without counters. */
export function topology(stateText: string): string[] {
  const v = parseState(stateText);
  const out: string[] = [];
  for (const [name, i] of v.ifaces) out.push(`if ${name} mac=${i.mac} mtu=${i.mtu} lagg=${i.lagg ?? "-"} primary=${i.primary ?? "-"} caps=${i.caps.join("+")}`);
  for (const [name, a] of v.inet) out.push(`inet ${name} ${[...a].sort().join(",")}`);
  for (const [name, a] of v.inet6) out.push(`inet6 ${name} ${[...a].sort().join(",")}`);
  for (const r of v.routes) out.push(`route ${r.dst}/${r.prefixLength} ${r.gateway ?? "-"} ${r.ifname}`);
  out.push(`mem ${v.mem.join(",")}`);
  return out.sort();
}

/** Everything is as before, except IPv6 link-local that a join stripped. */
export function assertRestored(run: ModelRun, opts: { readonly ipv6Stripped?: string } = {}): void {
  const before = topology(run.initialState).filter((l) => !(opts.ipv6Stripped && l.startsWith(`inet6 ${opts.ipv6Stripped} `)));
  assert.deepEqual(topology(run.stateText), before, explain(run));
}

/** Nothing at all was changed: no state event was recorded. */
export function assertNoChange(run: ModelRun): void {
  assert.deepEqual(run.events, [], explain(run));
  assert.deepEqual(topology(run.stateText), topology(run.initialState), explain(run));
}

export function output(run: ModelRun, index = 0): string {
  const r = run.runs[index];
  assert.ok(r, `no run ${index}`);
  return r.stdout + r.stderr;
}
