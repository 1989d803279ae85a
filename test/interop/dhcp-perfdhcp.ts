/** Reads the report perfdhcp (kea-admin) prints at the end of a run. */

export interface ExchangeStats {
  readonly sent: number;
  readonly received: number;
  readonly drops: number;
  readonly avgDelayMs: number | undefined;
  readonly maxDelayMs: number | undefined;
}

export interface PerfdhcpReport {
  readonly ratePerSecond: number | undefined;
  readonly discoverOffer: ExchangeStats | undefined;
  readonly requestAck: ExchangeStats | undefined;
}

function section(text: string, title: string): ExchangeStats | undefined {
  const start = text.indexOf(`***Statistics for: ${title}***`);
  if (start < 0) return undefined;
  const rest = text.slice(start);
  const end = rest.indexOf("***", 5 + title.length + 20);
  const body = end < 0 ? rest : rest.slice(0, end);
  const num = (label: string): number | undefined => {
    const m = new RegExp(`${label}: ([0-9.]+)`).exec(body);
    return m === null ? undefined : Number(m[1]);
  };
  return {
    sent: num("sent packets") ?? 0,
    received: num("received packets") ?? 0,
    drops: num("drops") ?? 0,
    avgDelayMs: num("avg delay"),
    maxDelayMs: num("max delay"),
  };
}

export function parsePerfdhcp(text: string): PerfdhcpReport {
  const rate = /Rate: ([0-9.]+)/.exec(text);
  return {
    ratePerSecond: rate === null ? undefined : Number(rate[1]),
    discoverOffer: section(text, "DISCOVER-OFFER"),
    requestAck: section(text, "REQUEST-ACK"),
  };
}

/** Per-exchange delays in ms from a run with `-x t` ("sent / received: S / R" lines under the section title). */
export function exchangeDelaysMs(text: string, title: "DISCOVER-OFFER" | "REQUEST-ACK"): number[] {
  const start = text.indexOf(`***Timestamps for packets: ${title}***`);
  if (start < 0) return [];
  const rest = text.slice(start).split("\n").slice(1);
  const out: number[] = [];
  for (const line of rest) {
    const m = /^sent \/ received: ([0-9.]+) \/ ([0-9.]+)/.exec(line);
    if (m === null) {
      if (line.startsWith("***")) break;
      continue;
    }
    out.push((Number(m[2]) - Number(m[1])) * 1000);
  }
  return out;
}

/** The q-quantile (0..1) by nearest rank; undefined for no data. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
