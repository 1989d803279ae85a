/** The pure DHCP responder. See docs/dhcp.md. */
export { createResponder, respond, type DhcpResponder } from "./respond.js";
export { compilePolicy, normalizeMac, type CompiledPolicy } from "./compile.js";
export type { RequestContext } from "./context.js";
export { IgnoreReason, type DhcpDecision, type ReplyDecision, type HandledDecision, type IgnoreDecision, type Destination } from "./decision.js";
export type { DhcpLease, DhcpBadAddress, LeaseView, LeaseWrite, DhcpEvent } from "./leases.js";
export type { DhcpPolicy, DhcpNetworkPolicy, DhcpReservation, BootFilePolicy, DhcpMode, BootProtocol, HttpBootPolicy } from "./policy.js";
export { clientFacts, type ClientFacts } from "./client.js";
