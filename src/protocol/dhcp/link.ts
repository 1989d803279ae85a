import { DhcpOption, RelayAgentSubOption } from "../../wire/dhcp4/codes.js";
import { ipv4FromBytes } from "../../wire/dhcp4/bytes.js";
import { getOption } from "../../wire/dhcp4/option-values.js";
import type { Exchange } from "./context.js";

/**
 * The address that names a relayed client's link: the relay's link-selection
 * sub-option (82.5, RFC 3527) or the subnet-selection option (118, RFC 3011)
 * when the relay uses an address of another link as giaddr; else giaddr.
 * Honoured only for relayed requests: a directly attached client must not
 * pick another network's pool.
 */
export function relayLinkAddress(x: Exchange): string {
  const link = getOption(x.req.options, DhcpOption.RelayAgentInformation)?.get(RelayAgentSubOption.LinkSelection);
  if (link !== undefined && link.length === 4) return ipv4FromBytes(link, 0);
  return getOption(x.req.options, DhcpOption.SubnetSelection) ?? x.req.giaddr;
}

