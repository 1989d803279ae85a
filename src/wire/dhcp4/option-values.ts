/**
 * Typed option values. One table gives each option code its value format;
 * `getOption` reads and `optionBytes` writes values by that table, so the
 * responder says `getOption(o, DhcpOption.ClientSystemArchitecture)` and
 * gets `number[]`, never raw bytes and never a bare number.
 *
 * Readers are total: a value that does not match its format reads as
 * undefined (the packet as a whole was already framed by decode), so odd
 * client options cannot throw past the codec.
 */
import { DhcpOption } from "./codes.js";
import { ipv4FromBytes, latin1, latin1Bytes, parseIpv4Bytes } from "./bytes.js";
import type { DhcpOptions } from "./types.js";

/** Sub-options of an encapsulated option (43, 82, 175), in wire order. */
export type SubOptions = ReadonlyMap<number, Uint8Array>;

/** The value formats and the TypeScript type each reads as. */
interface FormatTypes {
  ipv4: string;
  ipv4List: readonly string[];
  text: string;
  u8: number;
  u16: number;
  u32: number;
  i32: number;
  u8List: readonly number[];
  u16List: readonly number[];
  bytes: Uint8Array;
  empty: true;
  /** RFC 3004 user classes; a value not in RFC 3004 form (iPXE sends bare "iPXE") reads as one class. */
  userClass: readonly string[];
  subOptions: SubOptions;
}
type Format = keyof FormatTypes;

/** Option code -> value format (RFC 2132 unless the code table says otherwise). */
export const OPTION_FORMAT = {
  [DhcpOption.SubnetMask]: "ipv4",
  [DhcpOption.TimeOffset]: "i32",
  [DhcpOption.Router]: "ipv4List",
  [DhcpOption.TimeServer]: "ipv4List",
  [DhcpOption.NameServer]: "ipv4List",
  [DhcpOption.DomainNameServer]: "ipv4List",
  [DhcpOption.LogServer]: "ipv4List",
  [DhcpOption.HostName]: "text",
  [DhcpOption.BootFileSize]: "u16",
  [DhcpOption.DomainName]: "text",
  [DhcpOption.SwapServer]: "ipv4",
  [DhcpOption.RootPath]: "text",
  [DhcpOption.ExtensionsPath]: "text",
  [DhcpOption.InterfaceMtu]: "u16",
  [DhcpOption.BroadcastAddress]: "ipv4",
  [DhcpOption.NtpServers]: "ipv4List",
  [DhcpOption.VendorSpecific]: "subOptions",
  [DhcpOption.RequestedIpAddress]: "ipv4",
  [DhcpOption.IpAddressLeaseTime]: "u32",
  [DhcpOption.OptionOverload]: "u8",
  [DhcpOption.DhcpMessageType]: "u8",
  [DhcpOption.ServerIdentifier]: "ipv4",
  [DhcpOption.ParameterRequestList]: "u8List",
  [DhcpOption.Message]: "text",
  [DhcpOption.MaximumMessageSize]: "u16",
  [DhcpOption.RenewalTime]: "u32",
  [DhcpOption.RebindingTime]: "u32",
  [DhcpOption.VendorClassIdentifier]: "text",
  [DhcpOption.ClientIdentifier]: "bytes",
  [DhcpOption.TftpServerName]: "text",
  [DhcpOption.BootFileName]: "text",
  [DhcpOption.UserClass]: "userClass",
  [DhcpOption.RapidCommit]: "empty",
  [DhcpOption.ClientFqdn]: "bytes",
  [DhcpOption.RelayAgentInformation]: "subOptions",
  [DhcpOption.ClientSystemArchitecture]: "u16List",
  [DhcpOption.ClientNetworkInterfaceId]: "bytes",
  [DhcpOption.ClientMachineId]: "bytes",
  [DhcpOption.AutoConfigure]: "u8",
  [DhcpOption.SubnetSelection]: "ipv4",
  [DhcpOption.DomainSearch]: "bytes",
  [DhcpOption.ClasslessStaticRoute]: "bytes",
  [DhcpOption.VendorIdentifyingVendorClass]: "bytes",
  [DhcpOption.VendorIdentifyingVendorSpecific]: "bytes",
  [DhcpOption.TftpServerAddress]: "ipv4List",
  [DhcpOption.IpxeEncapsulated]: "subOptions",
} as const satisfies Record<number, Format>;

export type TypedOption = keyof typeof OPTION_FORMAT;
export type OptionValue<C extends TypedOption> = FormatTypes[(typeof OPTION_FORMAT)[C]];

export function optionFormat(code: number): Format | undefined {
  return (OPTION_FORMAT as Record<number, Format>)[code];
}

/** Parses TLV sub-options (RFC 2132 8.4 style); undefined when malformed. PAD skipped, END stops. */
export function parseSubOptions(b: Uint8Array): SubOptions | undefined {
  const out = new Map<number, Uint8Array>();
  let i = 0;
  while (i < b.length) {
    const code = b[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255) break;
    if (i + 1 >= b.length) return undefined;
    const len = b[i + 1]!;
    if (i + 2 + len > b.length) return undefined;
    if (!out.has(code)) out.set(code, b.slice(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

/** RFC 3004 section 2: a list of (length, data) class entries; undefined when it does not parse exactly. */
function parseRfc3004(b: Uint8Array): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < b.length) {
    const len = b[i]!;
    if (len === 0 || i + 1 + len > b.length) return undefined;
    out.push(latin1(b.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return out.length > 0 ? out : undefined;
}

function be(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!;
  return v;
}

function readFormat(format: Format, b: Uint8Array): FormatTypes[Format] | undefined {
  switch (format) {
    case "ipv4":
      return b.length === 4 ? ipv4FromBytes(b, 0) : undefined;
    case "ipv4List": {
      if (b.length === 0 || b.length % 4 !== 0) return undefined;
      const out: string[] = [];
      for (let i = 0; i < b.length; i += 4) out.push(ipv4FromBytes(b, i));
      return out;
    }
    case "text":
      return latin1(b);
    case "u8":
      return b.length === 1 ? b[0]! : undefined;
    case "u16":
      return b.length === 2 ? be(b, 0, 2) : undefined;
    case "u32":
      return b.length === 4 ? be(b, 0, 4) : undefined;
    case "i32":
      return b.length === 4 ? be(b, 0, 4) | 0 : undefined;
    case "u8List": {
      // A loop, not Array.from: the iterator protocol costs more than the copy (the request list, every packet).
      const out: number[] = [];
      for (let i = 0; i < b.length; i++) out.push(b[i]!);
      return out;
    }
    case "u16List": {
      if (b.length === 0 || b.length % 2 !== 0) return undefined;
      const out: number[] = [];
      for (let i = 0; i < b.length; i += 2) out.push(be(b, i, 2));
      return out;
    }
    case "bytes":
      return b;
    case "empty":
      return b.length === 0 ? true : undefined;
    case "userClass":
      return b.length === 0 ? undefined : (parseRfc3004(b) ?? [latin1(b)]);
    case "subOptions":
      return parseSubOptions(b);
  }
}

/** The typed value of option `code`, or undefined when absent or malformed. */
export function getOption<C extends TypedOption>(options: DhcpOptions, code: C): OptionValue<C> | undefined {
  const b = options.get(code);
  if (b === undefined) return undefined;
  return readFormat(OPTION_FORMAT[code], b) as OptionValue<C> | undefined;
}

/** Big-endian integer option bytes (every reply carries three or four: type, lease time, T1, T2). */
function u(n: number, bytes: 1 | 2 | 4, signed = false): Uint8Array {
  // A constant per width: 2 ** x with a variable exponent is a call, not a constant.
  const range = bytes === 1 ? 0x100 : bytes === 2 ? 0x10000 : 0x100000000;
  const lo = signed ? -range / 2 : 0;
  const hi = signed ? range / 2 - 1 : range - 1;
  if (!Number.isInteger(n) || n < lo || n > hi) throw new RangeError(`${n} does not fit ${bytes} byte(s)`);
  const out = new Uint8Array(bytes);
  // In range, so the two's complement of a negative value fits 32 bits and the shifts below are exact.
  const v = (n < 0 ? n + range : n) >>> 0;
  if (bytes === 1) {
    out[0] = v;
  } else if (bytes === 2) {
    out[0] = v >>> 8;
    out[1] = v;
  } else {
    out[0] = v >>> 24;
    out[1] = v >>> 16;
    out[2] = v >>> 8;
    out[3] = v;
  }
  return out;
}

function ip(s: string): Uint8Array {
  const b = parseIpv4Bytes(s);
  if (b === undefined) throw new RangeError(`"${s}" is not a dotted-quad IPv4 address`);
  return b;
}

function text(s: string): Uint8Array {
  const b = latin1Bytes(s);
  if (b === undefined) throw new RangeError("text outside latin1");
  return b;
}

/** Encodes sub-options as TLVs (each at most 255 bytes). */
export function subOptionBytes(sub: SubOptions): Uint8Array {
  const parts: number[] = [];
  for (const [code, data] of sub) {
    if (data.length > 255) throw new RangeError(`sub-option ${code} longer than 255 bytes`);
    parts.push(code, data.length, ...data);
  }
  return Uint8Array.from(parts);
}

function writeFormat(format: Format, v: FormatTypes[Format]): Uint8Array {
  switch (format) {
    case "ipv4":
      return ip(v as string);
    case "ipv4List": {
      const list = v as readonly string[];
      const out = new Uint8Array(list.length * 4);
      list.forEach((s, i) => out.set(ip(s), i * 4));
      return out;
    }
    case "text":
      return text(v as string);
    case "u8":
      return u(v as number, 1);
    case "u16":
      return u(v as number, 2);
    case "u32":
      return u(v as number, 4);
    case "i32":
      return u(v as number, 4, true);
    case "u8List":
      return Uint8Array.from((v as readonly number[]).map((n) => u(n, 1)[0]!));
    case "u16List":
      return Uint8Array.from((v as readonly number[]).flatMap((n) => [...u(n, 2)]));
    case "bytes":
      return v as Uint8Array;
    case "empty":
      return new Uint8Array(0);
    case "userClass":
      return Uint8Array.from((v as readonly string[]).flatMap((c) => {
        const b = text(c);
        if (b.length === 0 || b.length > 255) throw new RangeError("a user class is 1..255 bytes");
        return [b.length, ...b];
      }));
    case "subOptions":
      return subOptionBytes(v as SubOptions);
  }
}

/** The wire bytes of a typed value. Throws RangeError for a value the format cannot hold. */
export function optionBytes<C extends TypedOption>(code: C, value: OptionValue<C>): Uint8Array {
  return writeFormat(OPTION_FORMAT[code], value);
}

/** Sets a typed option on a mutable options map (insertion order is wire order). */
export function setOption<C extends TypedOption>(options: Map<number, Uint8Array>, code: C, value: OptionValue<C>): void {
  options.set(code, optionBytes(code, value));
}
