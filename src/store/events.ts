/** Helpers both stores share for boot events. */
import { LaggbootError } from "../errors.js";
import type { BootEvent, EventQuery } from "./types.js";

export const DEFAULT_EVENT_LIMIT = 100;

/**
 * Details are stored as JSON; copying through JSON now makes the in-memory
 * store behave exactly like the database (no shared references, no values
 * JSON cannot hold) and rejects what cannot be stored at the caller.
 */
export function copyDetails(details: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  return JSON.parse(detailsJson(details)) as Record<string, unknown>;
}

export function detailsJson(details: Readonly<Record<string, unknown>> | undefined): string {
  try {
    return JSON.stringify(details ?? {});
  } catch (cause) {
    throw new LaggbootError("LB_ERR_INTERNAL", "event details are not JSON-serialisable", { cause });
  }
}

/** Newest first, filtered by MAC and id, at most `limit`. */
export function selectEvents(log: readonly BootEvent[], query: EventQuery): BootEvent[] {
  const limit = query.limit ?? DEFAULT_EVENT_LIMIT;
  const out: BootEvent[] = [];
  for (let i = log.length - 1; i >= 0 && out.length < limit; i--) {
    const e = log[i]!;
    if (query.afterId !== undefined && e.id <= query.afterId) break;
    if (query.mac !== undefined && e.mac !== query.mac) continue;
    out.push(e);
  }
  return out;
}
