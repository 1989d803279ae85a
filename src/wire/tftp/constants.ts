/**
 * Every TFTP wire number, named once. Policy code uses these names, never the
 * bare numbers.
 */

/** Opcodes: RFC 1350 section 5 (1-5), RFC 2347 section "Packet formats" (6). */
export const OPCODE = {
  RRQ: 1,
  WRQ: 2,
  DATA: 3,
  ACK: 4,
  ERROR: 5,
  OACK: 6,
} as const;
export type OpcodeName = keyof typeof OPCODE;
export type Opcode = (typeof OPCODE)[OpcodeName];

/** ERROR codes: RFC 1350 appendix "Error Codes" (0-7), RFC 2347 (8). */
export const ERROR_CODE = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  /** RFC 2347: option negotiation refused; UEFI firmware also sends it to end a size probe. */
  OPTION_REFUSED: 8,
} as const;
export type ErrorCodeName = keyof typeof ERROR_CODE;
export type TftpErrorCode = (typeof ERROR_CODE)[ErrorCodeName];

/** Transfer modes, RFC 1350 section 1; compared case-insensitively. */
export const MODE = {
  NETASCII: "netascii",
  OCTET: "octet",
  MAIL: "mail",
} as const;

/** Option names (case-insensitive on the wire, RFC 2347). */
export const OPTION = {
  /** RFC 2348 */
  BLKSIZE: "blksize",
  /** RFC 2349 */
  TSIZE: "tsize",
  /** RFC 2349 */
  TIMEOUT: "timeout",
  /** RFC 7440 */
  WINDOWSIZE: "windowsize",
} as const;

export const LIMITS = {
  /** RFC 1350: the block size when no blksize option is agreed. */
  DEFAULT_BLOCK_SIZE: 512,
  /** RFC 2348 section "Blocksize Option Specification": 8..65464 octets. */
  MIN_BLOCK_SIZE: 8,
  MAX_BLOCK_SIZE: 65464,
  /** RFC 7440 section 3: windowsize 1..65535. */
  MIN_WINDOW_SIZE: 1,
  MAX_WINDOW_SIZE: 65535,
  /** RFC 2349 section "Timeout Interval Option Specification": 1..255 seconds. */
  MIN_TIMEOUT_SECONDS: 1,
  MAX_TIMEOUT_SECONDS: 255,
  /** Block numbers are 16-bit (RFC 1350 section 5). */
  BLOCK_NUMBER_MODULO: 65536,
  /** opcode (2) + block (2) */
  DATA_HEADER_BYTES: 4,
  /** Largest UDP payload over IPv4. */
  MAX_PACKET_BYTES: 65507,
} as const;

const opcodeNames = new Map<number, OpcodeName>(
  Object.entries(OPCODE).map(([k, v]) => [v, k as OpcodeName]),
);
const errorCodeNames = new Map<number, ErrorCodeName>(
  Object.entries(ERROR_CODE).map(([k, v]) => [v, k as ErrorCodeName]),
);

export function opcodeName(op: number): OpcodeName | undefined {
  return opcodeNames.get(op);
}

export function errorCodeName(code: number): ErrorCodeName | undefined {
  return errorCodeNames.get(code);
}
