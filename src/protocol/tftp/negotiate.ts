/**
 * Option negotiation (RFC 2347): decides which requested options the server
 * accepts and with which values. Values that are malformed or below the RFC
 * minimum are ignored (a server may ignore any option, RFC 2347 "Negotiation
 * Protocol"); values above the server's limit are lowered, which RFC 2348
 * explicitly allows for blksize and RFC 7440 section 3 for windowsize.
 */
import { LIMITS, OPTION, type TftpOption } from "../../wire/tftp/index.js";

export interface OptionLimits {
  /** Largest block size offered; keep it below the path MTU minus 32 to avoid IP fragments. */
  readonly maxBlockSize: number;
  /** Largest windowsize offered (1 turns RFC 7440 off). */
  readonly maxWindowSize: number;
}

export interface Negotiated {
  readonly blockSize: number;
  readonly windowSize: number;
  /** RFC 2349 timeout the client asked for, in seconds. */
  readonly timeoutSeconds: number | undefined;
  /** RFC 2349 transfer size: for RRQ the file size we announce, for WRQ the size the client announced. */
  readonly tsizeBytes: number | undefined;
  /** Options for the OACK, in the client's order; empty means: send no OACK. */
  readonly oack: readonly TftpOption[];
}

/** A decimal number of at most `maxDigits` digits, or undefined. */
function parseDecimal(value: string, maxDigits: number): number | undefined {
  if (value.length === 0 || value.length > maxDigits || !/^[0-9]+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * @param direction "read" for RRQ, "write" for WRQ
 * @param fileSizeBytes the size sent back as tsize for RRQ (undefined: tsize is not answered)
 */
export function negotiate(
  direction: "read" | "write",
  requested: readonly TftpOption[],
  limits: OptionLimits,
  fileSizeBytes: number | undefined,
): Negotiated {
  let blockSize: number = LIMITS.DEFAULT_BLOCK_SIZE;
  let windowSize = 1;
  let timeoutSeconds: number | undefined;
  let tsizeBytes: number | undefined;
  const oack: TftpOption[] = [];
  const seen = new Set<string>();
  for (const { name, value } of requested) {
    // A repeated option counts once, the first time (RFC 2347 does not allow repeats).
    if (seen.has(name)) continue;
    seen.add(name);
    switch (name) {
      case OPTION.BLKSIZE: {
        const v = parseDecimal(value, 6);
        if (v === undefined || v < LIMITS.MIN_BLOCK_SIZE) break;
        blockSize = Math.min(v, LIMITS.MAX_BLOCK_SIZE, limits.maxBlockSize);
        oack.push({ name, value: String(blockSize) });
        break;
      }
      case OPTION.WINDOWSIZE: {
        const v = parseDecimal(value, 6);
        if (v === undefined || v < LIMITS.MIN_WINDOW_SIZE || limits.maxWindowSize <= 1) break;
        windowSize = Math.min(v, LIMITS.MAX_WINDOW_SIZE, limits.maxWindowSize);
        oack.push({ name, value: String(windowSize) });
        break;
      }
      case OPTION.TIMEOUT: {
        const v = parseDecimal(value, 3);
        if (v === undefined || v < LIMITS.MIN_TIMEOUT_SECONDS || v > LIMITS.MAX_TIMEOUT_SECONDS) break;
        timeoutSeconds = v;
        oack.push({ name, value: String(v) });
        break;
      }
      case OPTION.TSIZE: {
        const v = parseDecimal(value, 15);
        if (v === undefined) break;
        if (direction === "read") {
          // RFC 2349: the client sends 0 and the server answers with the size.
          if (fileSizeBytes === undefined) break;
          tsizeBytes = fileSizeBytes;
        } else {
          tsizeBytes = v;
        }
        oack.push({ name, value: String(tsizeBytes) });
        break;
      }
      default:
        // Unknown options are ignored (RFC 2347).
        break;
    }
  }
  return { blockSize, windowSize, timeoutSeconds, tsizeBytes, oack };
}
