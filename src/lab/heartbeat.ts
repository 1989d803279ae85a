/**
 * The lab client's heartbeat file (scripts/linux-client/heartbeat): one line
 * "<counter> <uptime seconds>" every ~100 ms, appended and fsynced on the NFS
 * root and read by the lab from the export on the server's disk. Pure: text
 * in, beats, gaps and figures out. A gap is the time between two
 * consecutive lines as the client's own clock saw them; an outage of the
 * root shows as one long gap.
 */

export interface Beat {
  readonly n: number;
  /** The client's /proc/uptime when it began writing this line. */
  readonly uptimeS: number;
}

/** Complete lines only (the last one may still be being written). */
export function parseHeartbeat(text: string): Beat[] {
  const lines = text.split("\n");
  lines.pop();
  const beats: Beat[] = [];
  for (const line of lines) {
    const m = /^(\d+) (\d+(?:\.\d+)?)$/.exec(line);
    if (m === null) throw new Error(`heartbeat: malformed line ${JSON.stringify(line)}`);
    beats.push({ n: Number(m[1]), uptimeS: Number(m[2]) });
  }
  return beats;
}

/** Counters that do not follow 1, 2, 3...: a write the hard mount lost, or a second writer. */
export function counterBreaks(beats: readonly Beat[]): string[] {
  const out: string[] = [];
  beats.forEach((b, i) => {
    if (b.n !== i + 1) out.push(`line ${i + 1} has counter ${b.n}`);
  });
  return out;
}

/** The largest gap (s) between consecutive beats with indexes in [from, to] (both clamped to the record). */
export function largestGap(beats: readonly Beat[], from: number, to: number): number {
  let max = 0;
  for (let i = Math.max(1, from); i <= Math.min(to, beats.length - 1); i++) {
    max = Math.max(max, beats[i]!.uptimeS - beats[i - 1]!.uptimeS);
  }
  return Number(max.toFixed(3));
}

/** Every gap between consecutive beats. */
export function allGaps(beats: readonly Beat[]): number[] {
  return beats.slice(1).map((b, i) => Number((b.uptimeS - beats[i]!.uptimeS).toFixed(3)));
}

export interface Figures {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles (the p99 of fewer than 100 values is the maximum). */
export function figures(values: readonly number[]): Figures {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const s = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { count: s.length, p50: rank(50), p99: rank(99), max: s[s.length - 1]! };
}

/** An event the lab caused (a pulled or plugged cable), and how many beats the file held at that moment. */
export interface Mark {
  readonly what: string;
  readonly beatsBefore: number;
}

/**
 * Each mark's gap: the largest gap from the last beat written before it up
 * to the last beat before the next mark (or the end). That is how long the
 * root could not be written around the event, as the client saw it.
 */
export function gapsAfterMarks(beats: readonly Beat[], marks: readonly Mark[]): { readonly what: string; readonly gapS: number }[] {
  return marks.map((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1]!.beatsBefore - 1 : beats.length - 1;
    return { what: m.what, gapS: largestGap(beats, m.beatsBefore, end) };
  });
}
