/** The inventory as the DHCP responder's policy (pure mapping, no decisions). */
import type { DhcpPolicy, DhcpReservation } from "../protocol/dhcp/policy.js";
import type { Inventory } from "../config/types.js";

export function dhcpPolicyFromInventory(inv: Inventory): DhcpPolicy {
  const s = inv.server;
  const reservations: DhcpReservation[] = inv.clients.map((c) => ({
    clientName: c.name,
    hostName: c.fqdn,
    ip: c.ip,
    macs: c.macs,
    rootPath: c.rootPath,
    bootFile: c.kind === "pxe" ? c.bootFile : c.kind === "linux-lagg" ? c.boot.bootFile : undefined,
    bootFiles: c.kind === "linux-lagg" && c.boot.bootFiles.size > 0 ? c.boot.bootFiles : undefined,
    ipxeScript: c.kind === "pxe" ? c.ipxeScript : c.kind === "linux-lagg" ? c.boot.ipxeScript : undefined,
    bootProtocol: c.bootProtocol,
    uefiPxe: c.uefiPxe,
  }));
  const h = s.httpBoot;
  return {
    mode: s.dhcp.mode,
    networks: s.networks.map((n) => ({
      name: n.name,
      prefix: { network: n.prefix.network, length: n.prefix.length },
      relayed: n.relayed,
      serverAddress: n.serverAddress,
      gateway: n.gateway,
      dns: n.dns,
      domain: n.domain,
      pool: n.pool,
      poolLeaseSeconds: n.poolLeaseSeconds,
    })),
    reservations,
    reservationLeaseSeconds: s.dhcp.reservationLeaseSeconds,
    nextServer: s.tftp.address,
    bootFiles: { byArch: s.tftp.bootFiles.byArch },
    ipxeScript: s.tftp.ipxeScript,
    // Listening on every address: each network's clients are sent to its own server address.
    httpBoot: h === undefined ? undefined : { address: h.address === "0.0.0.0" ? undefined : h.address, port: h.port, protocol: h.protocol, protocolByArch: h.protocolByArch },
  };
}
