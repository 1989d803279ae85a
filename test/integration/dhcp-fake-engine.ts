/**
 * A scripted engine for the socket-adapter tests: the request's `file` field
 * carries a JSON instruction telling the engine what verdict to give, so a
 * test can drive every adapter path (reply from a given socket, ignore,
 * unknown client, lease writes, engine crash) without the real responder.
 * The reply echoes the request with op=2 and, in `sname`, the arrival the
 * adapter reported, so the receiving side can check it.
 */
import type { Engine, Verdict } from "../../src/servers/dhcp/types.js";

export interface Instruction {
  readonly reply?: { readonly to: string; readonly port: number; readonly from?: string; readonly proxy?: boolean };
  readonly ignore?: string;
  readonly unknown?: boolean;
  readonly commitIp?: string;
  readonly crash?: boolean;
}

export interface FakePacket {
  readonly bytes: Uint8Array;
  readonly mac: string;
  readonly instruction: Instruction;
}

const FILE_OFFSET = 108;
const SNAME_OFFSET = 44;
const MIN_BYTES = 240;

/** A 300-byte BOOTREQUEST from `mac` carrying `instruction`. */
export function fakeRequest(mac: string, instruction: Instruction, xid = 1): Uint8Array {
  const b = new Uint8Array(300);
  b[0] = 1; // BOOTREQUEST
  b[1] = 1;
  b[2] = 6;
  new DataView(b.buffer).setUint32(4, xid);
  mac.split(":").forEach((h, i) => { b[28 + i] = parseInt(h, 16); });
  const json = new TextEncoder().encode(JSON.stringify(instruction));
  if (json.length > 128) throw new Error("instruction too long");
  b.set(json, FILE_OFFSET);
  new DataView(b.buffer).setUint32(236, 0x63825363);
  b[240] = 255;
  return b;
}

function cString(b: Uint8Array, at: number, len: number): string {
  const field = b.subarray(at, at + len);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
}

/** The arrival the server saw, from a reply's sname. */
export function replyArrival(reply: Uint8Array): { localAddress: string | null; localPort: number } {
  return JSON.parse(cString(reply, SNAME_OFFSET, 64)) as { localAddress: string | null; localPort: number };
}

export const fakeEngine: Engine<FakePacket, string> = {
  decode(bytes) {
    if (bytes.length < MIN_BYTES || bytes[0] !== 1) throw new Error(`malformed: ${bytes.length} bytes`);
    const mac = [...bytes.subarray(28, 34)].map((x) => x.toString(16).padStart(2, "0")).join(":");
    const instruction = JSON.parse(cString(bytes, FILE_OFFSET, 128) || "{}") as Instruction;
    return { bytes: Uint8Array.from(bytes), mac, instruction };
  },
  clientMac: (p) => p.mac,
  decide(p, input): Verdict {
    const i = p.instruction;
    if (i.crash === true) throw new Error("engine bug");
    const writes = i.commitIp === undefined ? [] : [{
      kind: "commit" as const,
      lease: { ip: i.commitIp, mac: p.mac, network: input.policy, state: "bound" as const, startMs: input.nowMs, expiresMs: input.nowMs + 60_000 },
    }];
    if (i.reply === undefined) {
      if (writes.length > 0) return { kind: "handled", mac: p.mac, writes, eventKind: "dhcp.release", ip: i.commitIp, details: {} };
      return { kind: "ignore", mac: p.mac, reason: i.ignore ?? "scripted", unknownClient: i.unknown === true, details: {} };
    }
    const out = Uint8Array.from(p.bytes);
    out[0] = 2;
    const arrival = new TextEncoder().encode(JSON.stringify({ localAddress: input.arrival.localAddress ?? null, localPort: input.arrival.localPort }));
    out.set(arrival.subarray(0, 63), SNAME_OFFSET);
    return {
      kind: "reply", mac: p.mac, bytes: out, toAddress: i.reply.to, toPort: i.reply.port,
      fromAddress: i.reply.from, fromProxyPort: i.reply.proxy === true, messageType: "OFFER", writes,
      eventKind: "dhcp.offer", ip: i.commitIp,
      details: { policy: input.policy },
    };
  },
};
