/**
 * A stable text form of a decoded packet, for golden files and debugging:
 * header fields by RFC 2131 name, then each option by name in wire order with
 * its typed value (sub-options of 43, 82 and 175 spelled out).
 */
import {
  DhcpOption, clientArchName, ipxeSubOptionName, messageTypeName, optionName, pxeSubOptionName, relayAgentSubOptionName,
} from "./codes.js";
import { hex, latin1 } from "./bytes.js";
import { getOption, optionFormat, type SubOptions } from "./option-values.js";
import type { DhcpPacket } from "./types.js";

function printable(b: Uint8Array): boolean {
  return b.length > 0 && b.every((x) => x >= 0x20 && x < 0x7f);
}

function bytesText(b: Uint8Array): string {
  return printable(b) ? JSON.stringify(latin1(b)) : `0x${hex(b)}`;
}

function subText(sub: SubOptions, name: (c: number) => string): string {
  return [...sub].map(([c, v]) => `${name(c)}(${c})=${bytesText(v)}`).join(" ");
}

function valueText(code: number, raw: Uint8Array, options: DhcpPacket["options"]): string {
  switch (code) {
    case DhcpOption.DhcpMessageType:
      return messageTypeName(raw[0]!);
    case DhcpOption.ParameterRequestList:
      return Array.from(raw, (c) => `${c}`).join(" ");
    case DhcpOption.ClientSystemArchitecture: {
      const v = getOption(options, DhcpOption.ClientSystemArchitecture);
      return v === undefined ? `malformed 0x${hex(raw)}` : v.map((a) => `${clientArchName(a)}(${a})`).join(" ");
    }
    case DhcpOption.UserClass: {
      const v = getOption(options, DhcpOption.UserClass);
      return v === undefined ? "(empty)" : v.map((s) => JSON.stringify(s)).join(" ");
    }
    case DhcpOption.VendorSpecific:
    case DhcpOption.RelayAgentInformation:
    case DhcpOption.IpxeEncapsulated: {
      const sub = getOption(options, code);
      const name = code === DhcpOption.VendorSpecific ? pxeSubOptionName : code === DhcpOption.IpxeEncapsulated ? ipxeSubOptionName : relayAgentSubOptionName;
      return sub === undefined ? `0x${hex(raw)} (not sub-options)` : subText(sub, name);
    }
  }
  const format = optionFormat(code);
  if (format === undefined || format === "bytes") return bytesText(raw);
  // Any known code with a value its format cannot read prints as hex.
  const v = (getOption as (o: DhcpPacket["options"], c: number) => unknown)(options, code);
  if (v === undefined) return `malformed 0x${hex(raw)}`;
  if (typeof v === "string") return format === "ipv4" ? v : JSON.stringify(v);
  if (Array.isArray(v)) return v.join(" ");
  return String(v);
}

export function formatPacket(p: DhcpPacket): string {
  const lines = [
    `op ${p.op} htype ${p.htype} hlen ${p.hlen} hops ${p.hops}`,
    `xid 0x${p.xid.toString(16).padStart(8, "0")} secs ${p.secs} flags 0x${p.flags.toString(16).padStart(4, "0")}`,
    `ciaddr ${p.ciaddr} yiaddr ${p.yiaddr} siaddr ${p.siaddr} giaddr ${p.giaddr}`,
    `chaddr ${hex(p.chaddr.subarray(0, Math.min(p.hlen, 16)), ":")}`,
    `sname ${JSON.stringify(p.sname)}`,
    `file ${JSON.stringify(p.file)}`,
  ];
  for (const [code, raw] of p.options) lines.push(`option ${code} ${optionName(code)}: ${valueText(code, raw, p.options)}`);
  return lines.join("\n") + "\n";
}
