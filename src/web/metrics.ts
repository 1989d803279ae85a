/**
 * A small Prometheus registry: counters and gauges with labels, histograms
 * with fixed buckets, rendered in the text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Written for
 * laggboot so the daemon needs no metrics dependency; it holds only what
 * app.ts registers (no global default registry, no registration by import).
 *
 * Misuse (a bad name, a missing or unknown label, a name registered twice) is
 * a bug in the caller and throws LB_ERR_INTERNAL at once, not at scrape time.
 */
import { LaggbootError } from "../errors.js";

export type Labels = Readonly<Record<string, string>>;

/** The content type a scraper expects for format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function misuse(message: string): never {
  throw new LaggbootError("LB_ERR_INTERNAL", `metrics: ${message}`);
}

/** HELP text escapes backslash and line feed (format 0.0.4). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label values also escape the double quote. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Sample values: Go's ParseFloat spellings for the special values. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

type MetricType = "counter" | "gauge" | "histogram";

/** One metric family: a name, help text, label names and its series. */
abstract class Family<S> {
  protected readonly series = new Map<string, { labels: readonly string[]; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly type: MetricType,
  ) {
    if (!METRIC_NAME.test(name)) misuse(`bad metric name ${JSON.stringify(name)}`);
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith("__")) misuse(`${name}: bad label name ${JSON.stringify(l)}`);
      if (seen.has(l)) misuse(`${name}: label ${l} named twice`);
      seen.add(l);
    }
  }

  /** The label values in declared order; exactly the declared names must be given. */
  protected values(labels: Labels | undefined): readonly string[] {
    const given = labels ?? {};
    const keys = Object.keys(given);
    if (keys.length !== this.labelNames.length) {
      misuse(`${this.name}: want labels [${this.labelNames.join(", ")}], got [${keys.join(", ")}]`);
    }
    return this.labelNames.map((l) => {
      const v = given[l];
      if (typeof v !== "string") misuse(`${this.name}: label ${l} missing`);
      return v;
    });
  }

  protected state(labels: Labels | undefined, init: () => S): S {
    const values = this.values(labels);
    const key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { labels: values, state: init() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  /** `{a="x",b="y"}`, with extra pairs appended (the histogram's le). */
  protected labelText(values: readonly string[], extra: readonly (readonly [string, string])[] = []): string {
    const pairs = [...this.labelNames.map((l, i) => [l, values[i]!] as const), ...extra];
    if (pairs.length === 0) return "";
    return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
  }

  /** Series sorted by label values, so the output is stable between scrapes. */
  protected sorted(): { labels: readonly string[]; state: S }[] {
    return [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }

  render(): string {
    const head = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    return head + this.renderSeries();
  }

  protected abstract renderSeries(): string;
}

interface Cell { value: number }

export class Counter extends Family<Cell> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames, "counter");
    // A counter without labels exists from the start (reads 0), so a rate() has a base.
    if (labelNames.length === 0) this.state(undefined, () => ({ value: 0 }));
  }

  inc(labels?: Labels, n = 1): void {
    if (!(n >= 0) || !Number.isFinite(n)) misuse(`${this.name}: a counter only goes up (got ${n})`);
    this.state(labels, () => ({ value: 0 })).value += n;
  }

  /**
   * Mirror a monotonic count kept elsewhere (a server's counters), read at
   * scrape time. A smaller value than before is a reset (a server rebuilt on
   * reload), which Prometheus' rate() already handles.
   */
  set(labels: Labels | undefined, total: number): void {
    if (!(total >= 0) || !Number.isFinite(total)) misuse(`${this.name}: a counter total must be >= 0 (got ${total})`);
    this.state(labels, () => ({ value: 0 })).value = total;
  }

  get(labels?: Labels): number {
    return this.series.get(JSON.stringify(this.values(labels)))?.state.value ?? 0;
  }

  protected renderSeries(): string {
    return this.sorted().map((s) => `${this.name}${this.labelText(s.labels)} ${formatValue(s.state.value)}\n`).join("");
  }
}

export class Gauge extends Family<Cell> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames, "gauge");
    if (labelNames.length === 0) this.state(undefined, () => ({ value: 0 }));
  }

  set(labels: Labels | undefined, value: number): void {
    this.state(labels, () => ({ value: 0 })).value = value;
  }

  inc(labels?: Labels, n = 1): void {
    this.state(labels, () => ({ value: 0 })).value += n;
  }

  dec(labels?: Labels, n = 1): void {
    this.state(labels, () => ({ value: 0 })).value -= n;
  }

  get(labels?: Labels): number {
    return this.series.get(JSON.stringify(this.values(labels)))?.state.value ?? 0;
  }

  protected renderSeries(): string {
    return this.sorted().map((s) => `${this.name}${this.labelText(s.labels)} ${formatValue(s.state.value)}\n`).join("");
  }
}

interface HistogramCell { counts: number[]; sum: number; count: number }

export class Histogram extends Family<HistogramCell> {
  /** Upper bounds, ascending, without +Inf (always added on output). */
  readonly buckets: readonly number[];

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[]) {
    super(name, help, labelNames, "histogram");
    if (labelNames.includes("le")) misuse(`${name}: "le" is reserved for histogram buckets`);
    if (buckets.length === 0) misuse(`${name}: a histogram needs at least one bucket`);
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (!Number.isFinite(b)) misuse(`${name}: bucket bounds must be finite (+Inf is implicit)`);
      if (i > 0 && !(b > buckets[i - 1]!)) misuse(`${name}: bucket bounds must increase`);
    }
    this.buckets = [...buckets];
    if (labelNames.length === 0) this.cell(undefined);
  }

  private cell(labels: Labels | undefined): HistogramCell {
    return this.state(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
  }

  observe(value: number, labels?: Labels): void {
    if (Number.isNaN(value)) misuse(`${this.name}: cannot observe NaN`);
    const c = this.cell(labels);
    // Only the first bucket that holds the value is bumped; rendering adds them up (buckets are cumulative).
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) c.counts[i]!++;
    c.sum += value;
    c.count++;
  }

  /** Count and sum of one series (tests, and the dashboard if it wants them). */
  get(labels?: Labels): { count: number; sum: number } {
    const e = this.series.get(JSON.stringify(this.values(labels)));
    return { count: e?.state.count ?? 0, sum: e?.state.sum ?? 0 };
  }

  protected renderSeries(): string {
    let out = "";
    for (const s of this.sorted()) {
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.state.counts[i]!;
        out += `${this.name}_bucket${this.labelText(s.labels, [["le", formatValue(b)]])} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${this.labelText(s.labels, [["le", "+Inf"]])} ${s.state.count}\n`;
      out += `${this.name}_sum${this.labelText(s.labels)} ${formatValue(s.state.sum)}\n`;
      out += `${this.name}_count${this.labelText(s.labels)} ${s.state.count}\n`;
    }
    return out;
  }
}

/** The registry: families in registration order, rendered together. */
export class Metrics {
  private readonly families = new Map<string, Family<unknown>>();

  private add<F extends Family<unknown>>(family: F): F {
    // A histogram also owns NAME_bucket, NAME_sum and NAME_count.
    const owned = family.type === "histogram" ? ["", "_bucket", "_sum", "_count"].map((s) => family.name + s) : [family.name];
    for (const n of owned) {
      for (const f of this.families.values()) {
        const theirs = f.type === "histogram" ? ["", "_bucket", "_sum", "_count"].map((s) => f.name + s) : [f.name];
        if (theirs.includes(n)) misuse(`${n} is registered twice`);
      }
    }
    this.families.set(family.name, family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, buckets, labelNames));
  }

  /** The whole registry in format 0.0.4 (ends with a line feed). */
  render(): string {
    return [...this.families.values()].map((f) => f.render()).join("");
  }
}
