import type { DhcpPacket } from "../../wire/dhcp4/types.js";
import type { MessageType } from "../../wire/dhcp4/codes.js";
import type { ClientFacts } from "./client.js";
import type { CompiledPolicy } from "./compile.js";
import type { LeaseView } from "./leases.js";

/** Everything about the moment a request arrived. The clock is an argument: the responder never reads one. */
export interface RequestContext {
  readonly nowMs: number;
  readonly leases: LeaseView;
  /** The local UDP port the request arrived on: 67, or 4011 (PXE boot server). */
  readonly localPort: number;
  /** The datagram's source (a relay, a client with an address, or 0.0.0.0:68). */
  readonly source: { readonly address: string; readonly port: number };
  /**
   * The server address the datagram was unicast to, when the I/O side knows
   * it (it arrived on a socket bound to that address); undefined for
   * broadcasts. Used only to tell the client's network.
   */
  readonly localAddress?: string | undefined;
}

/** One request being answered. */
export interface Exchange {
  readonly c: CompiledPolicy;
  readonly req: DhcpPacket;
  readonly f: ClientFacts;
  readonly type: MessageType;
  readonly ctx: RequestContext;
}
