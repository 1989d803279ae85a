/**
 * Where a reply goes: RFC 2131 section 4.1, with one deliberate deviation. A
 * client without an address is always answered by broadcast, whatever its
 * broadcast flag: unicasting to an address the client does not hold yet
 * needs an ARP entry the server would have to install, which Node cannot do.
 * Section 4.1 allows it: "If unicasting is not possible, the message MAY be
 * sent as an IP broadcast using an IP broadcast address (preferably
 * 0xffffffff) and a link-layer broadcast address".
 */
import { DhcpPort } from "../../wire/dhcp4/codes.js";
import { BROADCAST_ADDRESS, ZERO_ADDRESS, type DhcpPacket } from "../../wire/dhcp4/types.js";
import type { Destination } from "./decision.js";

export function replyDestination(request: DhcpPacket, isNak: boolean): Destination {
  // A relay gets every reply at its own address, port 67 (section 4.1, paragraph 2).
  if (request.giaddr !== ZERO_ADDRESS) return { address: request.giaddr, port: DhcpPort.Server, broadcast: false };
  // "In all cases, when giaddr is zero, the server broadcasts any DHCPNAK messages."
  if (isNak) return { address: BROADCAST_ADDRESS, port: DhcpPort.Client, broadcast: true };
  // A client that has an address (RENEWING, REBINDING, INFORM) can take a unicast.
  if (request.ciaddr !== ZERO_ADDRESS) return { address: request.ciaddr, port: DhcpPort.Client, broadcast: false };
  return { address: BROADCAST_ADDRESS, port: DhcpPort.Client, broadcast: true };
}
