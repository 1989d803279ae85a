/**
 * The DHCP responder: `respond(request, ctx) -> reply | handled | ignore`.
 * Pure: the clock, the lease state and the arrival port come in as
 * arguments; lease writes and the event go out in the decision. The same
 * request against the same lease state gives the same bytes, so
 * retransmissions are answered identically.
 */
import { BootOp, DhcpOption, DhcpPort, MessageType, isMessageType } from "../../wire/dhcp4/codes.js";
import { DecodeError } from "../../wire/dhcp4/decode-error.js";
import { decode } from "../../wire/dhcp4/packet.js";
import { getOption } from "../../wire/dhcp4/option-values.js";
import type { DhcpPacket } from "../../wire/dhcp4/types.js";
import { clientFacts, clientMac } from "./client.js";
import { compilePolicy, type CompiledPolicy } from "./compile.js";
import type { Exchange, RequestContext } from "./context.js";
import { IgnoreReason, type DhcpDecision } from "./decision.js";
import { respondFull } from "./full.js";
import type { DhcpPolicy } from "./policy.js";
import { proxyAnswer, respondProxy } from "./proxy.js";

export function respond(c: CompiledPolicy, req: DhcpPacket, ctx: RequestContext): DhcpDecision {
  const mac = clientMac(req);
  if (req.op !== BootOp.BootRequest) return { kind: "ignore", reason: IgnoreReason.NotARequest, detail: `op ${req.op}`, mac };
  const type = getOption(req.options, DhcpOption.DhcpMessageType);
  // Plain BOOTP (no option 53) is not served: every client we boot speaks DHCP.
  if (type === undefined) return { kind: "ignore", reason: IgnoreReason.NoMessageType, detail: "no option 53 (BOOTP is not served)", mac };
  if (!isMessageType(type)) return { kind: "ignore", reason: IgnoreReason.UnsupportedMessageType, detail: `message type ${type}`, mac };
  const x: Exchange = { c, req, f: clientFacts(req, mac), type, ctx };
  if (ctx.localPort === DhcpPort.PxeBootServer) {
    // PXE boot-server requests (PXE 2.1 section 2.2.5) in either mode.
    if (type === MessageType.Request || type === MessageType.Inform) return proxyAnswer(x, true);
    return { kind: "ignore", reason: IgnoreReason.WrongPort, detail: "port 4011 answers only REQUEST and INFORM", mac };
  }
  return c.policy.mode === "proxy" ? respondProxy(x) : respondFull(x);
}

/** The object app.ts builds once per policy (rebuild it on reload). */
export interface DhcpResponder {
  readonly policy: CompiledPolicy;
  /** Server addresses to bind reply sockets to (one per network). */
  readonly serverAddresses: readonly string[];
  respond(request: DhcpPacket, ctx: RequestContext): DhcpDecision;
  /** decode + respond; a malformed packet becomes ignore("malformed") with the DecodeError's text. */
  respondToBytes(bytes: Uint8Array, ctx: RequestContext): DhcpDecision;
}

export function createResponder(policy: DhcpPolicy): DhcpResponder {
  const c = compilePolicy(policy);
  return {
    policy: c,
    serverAddresses: [...c.serverAddresses],
    respond: (req, ctx) => respond(c, req, ctx),
    respondToBytes(bytes, ctx) {
      let req: DhcpPacket;
      try {
        req = decode(bytes);
      } catch (e) {
        if (e instanceof DecodeError) return { kind: "ignore", reason: IgnoreReason.Malformed, detail: e.message, mac: undefined };
        throw e;
      }
      return respond(c, req, ctx);
    },
  };
}
