/**
 * Structured logs: one line per event. JSON lines when stderr is not a
 * terminal (journald, files, log shippers), aligned text on a terminal.
 */
export type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Would a line at this level be written? Lets a caller skip building fields that would be dropped. */
  enabled?(level: Level): boolean;
}

export interface LoggerOptions {
  readonly level: Level;
  readonly format: "json" | "text";
  readonly write: (line: string) => void;
  readonly now?: () => Date;
}

function textValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /^[A-Za-z0-9._:/@+-]*$/.test(s) && s !== "" ? s : JSON.stringify(s);
}

export function createLogger(o: LoggerOptions): Logger {
  const now = o.now ?? (() => new Date());
  return {
    enabled: (level) => RANK[level] >= RANK[o.level],
    log(level, msg, fields = {}) {
      if (RANK[level] < RANK[o.level]) return;
      const time = now().toISOString();
      if (o.format === "json") {
        o.write(JSON.stringify({ time, level, msg, ...fields }) + "\n");
      } else {
        const kv = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${textValue(v)}`).join(" ");
        o.write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? " " + kv : ""}\n`);
      }
    },
  };
}

export function parseLevel(s: string | undefined): Level | undefined {
  return s === "debug" || s === "info" || s === "warn" || s === "error" ? s : undefined;
}
