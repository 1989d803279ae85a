/**
 * ProxyDHCP (PXE specification 2.1, section 2.2.3 and 2.4): on networks that
 * keep their own DHCP server, laggboot adds only the boot information: a
 * proxy OFFER without an address on port 67, and an ACK to the boot-server
 * REQUEST on port 4011. Only PXE firmware ("PXEClient:Arch:...") is answered.
 * The FreeBSD loader's own DISCOVER (bare "PXEClient") never is: the loader
 * takes the first OFFER whose xid matches, and an offer without an address
 * that wins the race breaks its boot.
 */
import { DhcpOption, DhcpPort, MachineIdType, MessageType, PxeDiscoveryControl, PxeSubOption } from "../../wire/dhcp4/codes.js";
import { ZERO_ADDRESS } from "../../wire/dhcp4/types.js";
import { event, fileField, ignore, reply, setBootOptions } from "./answer.js";
import { chooseBoot } from "./boot.js";
import { networkContaining, type CompiledNetwork } from "./compile.js";
import type { Exchange } from "./context.js";
import { IgnoreReason, type DhcpDecision } from "./decision.js";
import { OptionList } from "./reply.js";
import { relayLinkAddress } from "./link.js";

/** PXE 2.1 section 2.2.3: a proxy reply says "PXEClient" in option 60 so firmware recognises it. */
const PXE_CLIENT = "PXEClient";

function proxyNetwork(x: Exchange): CompiledNetwork | undefined {
  if (x.f.relayed) return networkContaining(x.c, relayLinkAddress(x));
  if (x.ctx.localAddress !== undefined) {
    const local = networkContaining(x.c, x.ctx.localAddress);
    if (local !== undefined) return local;
  }
  const known = x.c.byMac.get(x.f.mac);
  // On 4011 the client already has its address and unicasts to us.
  const own = x.req.ciaddr !== ZERO_ADDRESS ? x.req.ciaddr : x.ctx.source.address !== ZERO_ADDRESS ? x.ctx.source.address : known?.ip;
  const byAddress = own === undefined ? undefined : networkContaining(x.c, own);
  if (byAddress !== undefined) return byAddress;
  const direct = x.c.networks.filter((n) => !n.policy.relayed);
  return direct.length === 1 ? direct[0] : undefined;
}

/** Decides whether this request is one a ProxyDHCP server answers at all. */
export function proxyGate(x: Exchange): DhcpDecision | undefined {
  if (x.f.freebsdLoader && !x.f.pxeFirmware) {
    return ignore(x, IgnoreReason.FreebsdLoaderInProxyMode, "the FreeBSD loader takes the first offer: a proxy offer would break its boot");
  }
  if (!x.f.pxeFirmware && !x.f.httpClient) return ignore(x, IgnoreReason.NotPxeFirmware, `vendor class ${JSON.stringify(x.f.vendorClass ?? "")} is neither PXEClient:Arch:... nor HTTPClient...`);
  if (!x.c.byMac.has(x.f.mac) && x.c.policy.proxyAnswersUnknownClients !== true) {
    return ignore(x, IgnoreReason.UnknownClient, "no reservation for this MAC (proxyAnswersUnknownClients is off)");
  }
  return undefined;
}

/**
 * The proxy OFFER (port 67, answering DISCOVER) or the boot-server ACK
 * (port 4011, answering REQUEST or INFORM). Both name the boot file and
 * server and carry option 43 with discovery control 8 ("use the boot file in
 * this packet, do not discover boot servers"), and echo option 97.
 */
export function proxyAnswer(x: Exchange, onBootServerPort: boolean): DhcpDecision {
  const gate = proxyGate(x);
  if (gate !== undefined) return gate;
  const type = onBootServerPort ? MessageType.Ack : MessageType.Offer;
  const net = proxyNetwork(x);
  if (net === undefined) return ignore(x, IgnoreReason.NoNetwork, "cannot tell the client's network");
  const r = x.c.byMac.get(x.f.mac);
  const boot = chooseBoot(x.c.policy, r, x.f, net.policy.serverAddress);
  if (boot === undefined) {
    return ignore(x, IgnoreReason.UnknownClient, x.f.httpClient ? "no HTTP boot for this client (server.httpBoot absent, protocol tftp, or no boot file for its architecture)" : `no boot file for this client's architecture ${x.f.arch ?? "(none)"}`);
  }
  const o = new OptionList()
    .set(DhcpOption.DhcpMessageType, type)
    .set(DhcpOption.ServerIdentifier, net.policy.serverAddress);
  // UEFI HTTP Boot takes a proxy offer by option 60 "HTTPClient" and its URL (set below); PXE ROMs want "PXEClient" and option 43.
  if (!x.f.httpClient) {
    o.set(DhcpOption.VendorClassIdentifier, PXE_CLIENT)
      .set(DhcpOption.VendorSpecific, new Map([
        [PxeSubOption.DiscoveryControl, Uint8Array.of(PxeDiscoveryControl.UseBootFileInOffer)],
      ]));
  }
  if (x.f.parameterRequestList.includes(DhcpOption.TftpServerName) && boot.protocol === "tftp") o.set(DhcpOption.TftpServerName, x.c.policy.nextServer, { droppable: true });
  setBootOptions(o, x, boot);
  // RFC 4578 2.3 / PXE 2.1: a reply to a client that sent its machine id carries it back.
  const uuid = x.req.options.get(DhcpOption.ClientMachineId);
  if (uuid !== undefined && uuid[0] === MachineIdType.Uuid) o.setRaw(DhcpOption.ClientMachineId, uuid);
  const toSource = onBootServerPort && !x.f.relayed;
  return reply(x, {
    header: { type, yiaddr: ZERO_ADDRESS, siaddr: x.c.policy.nextServer, ciaddr: onBootServerPort ? x.req.ciaddr : ZERO_ADDRESS, file: fileField(boot), sname: "" },
    options: o,
    serverAddress: net.policy.serverAddress,
    leaseWrites: [],
    event: event(x, onBootServerPort ? "dhcp.proxy-ack" : "dhcp.proxy-offer", undefined, {
      client: r?.clientName, network: net.policy.name, bootFile: boot.file, boot: boot.why, ipxe: x.f.ipxe, httpBoot: x.f.httpClient, vendorClass: x.f.vendorClass,
    }),
    // PXE 2.1 section 2.2.5: the boot server answers the port the request came from.
    ...(toSource ? { destination: { address: x.ctx.source.address, port: x.ctx.source.port, broadcast: false } } : {}),
    sourcePort: onBootServerPort ? DhcpPort.PxeBootServer : DhcpPort.Server,
  });
}

export function respondProxy(x: Exchange): DhcpDecision {
  if (x.type === MessageType.Discover) return proxyAnswer(x, false);
  // REQUESTs on 67 belong to the site's DHCP server (its server identifier).
  return ignore(x, IgnoreReason.ProxyMessage, "in proxy mode only DISCOVER is answered on port 67");
}
