/**
 * The real engine: the dhcp4 codec and the pure responder
 * (src/protocol/dhcp) behind the adapter's seam. The adapter's "policy" is a
 * DhcpResponder (createResponder(policy)); a reload builds a new one and
 * passes it to DhcpServer.setPolicy.
 */
import { DhcpOption, DhcpPort, messageTypeName } from "../../wire/dhcp4/codes.js";
import { decode } from "../../wire/dhcp4/packet.js";
import { getOption } from "../../wire/dhcp4/option-values.js";
import { macString } from "../../wire/dhcp4/bytes.js";
import type { DhcpPacket } from "../../wire/dhcp4/types.js";
import { IgnoreReason, type DhcpResponder, type LeaseWrite as ResponderWrite } from "../../protocol/dhcp/index.js";
import type { Engine, LeaseWrite, Verdict } from "./types.js";

/** chaddr as "aa:bb:...", `hlen` bytes (6 when a client leaves hlen 0). */
function macOf(p: DhcpPacket): string {
  return macString(p.chaddr, p.hlen === 0 ? 6 : p.hlen);
}

function toStoreWrite(w: ResponderWrite): LeaseWrite {
  switch (w.kind) {
    case "commitLease": return { kind: "commit", lease: w.lease };
    case "removeLease": return { kind: "remove", ip: w.ip };
    case "markBadAddress": return { kind: "bad", bad: w.bad };
  }
}

export const laggbootEngine: Engine<DhcpPacket, DhcpResponder> = {
  decode,
  clientMac: macOf,
  decide(packet, input): Verdict {
    const d = input.policy.respond(packet, {
      nowMs: input.nowMs,
      leases: input.store,
      localPort: input.arrival.localPort,
      source: { address: input.arrival.sourceAddress, port: input.arrival.sourcePort },
      localAddress: input.arrival.localAddress,
    });
    switch (d.kind) {
      case "reply": {
        const type = getOption(d.reply.options, DhcpOption.DhcpMessageType);
        return {
          kind: "reply", mac: d.event.mac, bytes: d.bytes,
          toAddress: d.destination.address, toPort: d.destination.port,
          fromAddress: d.sourceAddress, fromProxyPort: d.sourcePort === DhcpPort.PxeBootServer,
          messageType: type === undefined ? "BOOTREPLY" : messageTypeName(type),
          writes: d.leaseWrites.map(toStoreWrite),
          eventKind: d.event.kind, ip: d.event.ip, details: d.event.details ?? {},
        };
      }
      case "handled":
        return {
          kind: "handled", mac: d.event.mac, writes: d.leaseWrites.map(toStoreWrite),
          eventKind: d.event.kind, ip: d.event.ip, details: d.event.details ?? {},
        };
      case "ignore":
        return {
          kind: "ignore", mac: d.mac, reason: d.reason, unknownClient: d.reason === IgnoreReason.UnknownClient,
          details: { detail: d.detail },
        };
    }
  },
};
