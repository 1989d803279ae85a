// The client worlds the flip script is run in. The baseline is the seed's
// recipe after netif: re0 booted the machine (address and default route from
// the kernel's nfs_diskless), wlan0 carries re0's MAC (create_args_wlan0=
// "wlanaddr ...") and is the only port, hence the master, of lagg0.
import type { ModelIface, ModelRoute, ModelWorld } from "./world.js";

export const CLIENT_IP = "198.18.0.10";
export const SERVER_IP = "198.18.0.1";
export const GATEWAY_IP = "198.18.0.254";
export const OFFLINK_SERVER_IP = "198.19.0.7";
export const WIRED_MAC = "00:1e:68:aa:bb:cc";

/** What re(4) enables by default (its options= line), TSO included. */
export const WIRED_CAPS = ["RXCSUM", "TXCSUM", "VLAN_MTU", "VLAN_HWTAGGING", "VLAN_HWCSUM", "TSO4", "WOL_MAGIC", "LINKSTATE"] as const;

const lo0: ModelIface = {
  name: "lo0", index: 2, kind: "loop", mac: "-", mtu: 16384, up: true, link: true, inet: [{ addr: "127.0.0.1", prefixLength: 8 }],
  caps: ["RXCSUM", "TXCSUM", "LINKSTATE", "RXCSUM_IPV6", "TXCSUM_IPV6"],
};

function re0(over: Partial<ModelIface> = {}): ModelIface {
  return {
    name: "re0", index: 1, kind: "ether", mac: WIRED_MAC, mtu: 1500, up: true, link: true,
    inet: [{ addr: CLIENT_IP, prefixLength: 24 }], inet6: ["fe80::21e:68ff:feaa:bbcc"], caps: WIRED_CAPS, ...over,
  };
}

/** A wlan(4) vap enables no offloads (no options= line). */
const wlan0: ModelIface = { name: "wlan0", index: 3, kind: "wlan", mac: WIRED_MAC, mtu: 1500, up: true, link: true, lagg: "lagg0" };
const lagg0: ModelIface = { name: "lagg0", index: 4, kind: "lagg", mac: WIRED_MAC, mtu: 1500, up: true, link: true, primary: "wlan0" };

function baseRoutes(bootif: string, gateway: string | undefined): ModelRoute[] {
  const routes: ModelRoute[] = [
    { dst: "198.18.0.0", prefixLength: 24, ifname: bootif, ifa: CLIENT_IP, isStatic: false },
    { dst: "127.0.0.0", prefixLength: 8, ifname: "lo0", ifa: "127.0.0.1", isStatic: false },
  ];
  if (gateway) routes.push({ dst: "0.0.0.0", prefixLength: 0, gateway, ifname: bootif, ifa: CLIENT_IP, isStatic: true });
  return routes;
}

function kenv(over: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    "boot.netif.name": "re0",
    "boot.netif.ip": CLIENT_IP,
    "boot.netif.netmask": "255.255.255.0",
    "boot.netif.gateway": GATEWAY_IP,
    "boot.netif.hwaddr": WIRED_MAC,
    "boot.nfsroot.server": SERVER_IP,
    "boot.nfsroot.path": "/client/root",
    "dhcp.host-name": "client.example",
    ...over,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

export function baseline(over: Partial<ModelWorld> = {}): ModelWorld {
  return {
    server: SERVER_IP,
    lan: { net: "198.18.0.0", prefixLength: 24 },
    routers: [GATEWAY_IP],
    nfsroot: `${SERVER_IP}:/client/root`,
    ifaces: [re0(), lo0, wlan0, lagg0],
    routes: baseRoutes("re0", GATEWAY_IP),
    kenv: kenv(),
    sysctl: { "vfs.nfs.diskless_valid": "3", "net.link.lagg.failover_rx_all": "0" },
    ...over,
  };
}

export const worlds = {
  normal: (): ModelWorld => baseline(),
  notDiskless: (): ModelWorld => baseline({ sysctl: { "vfs.nfs.diskless_valid": "0" } }),
  noWifi: (): ModelWorld => baseline({ ifaces: [re0(), lo0, { ...lagg0, primary: undefined, mac: "00:00:00:00:00:00", index: 3 }] }),
  laggMissing: (): ModelWorld => baseline({ ifaces: [re0(), lo0, { ...wlan0, lagg: undefined }] }),
  mtuMismatch: (): ModelWorld => baseline({ ifaces: [re0({ mtu: 9000 }), lo0, wlan0, lagg0] }),
  laggportAlwaysFails: (): ModelWorld => baseline({ fails: [{ op: "laggport:re0", count: -1 }] }),
  failAfterJoin: (): ModelWorld => baseline({ fails: [{ op: "inet-add:lagg0", count: 1 }] }),
  routeFailsAfterJoin: (): ModelWorld => baseline({ fails: [{ op: "route-add", count: 1 }] }),
  /** The server sits in another network, reachable only through the gateway. */
  offLinkServer: (): ModelWorld => baseline({
    server: OFFLINK_SERVER_IP,
    nfsroot: `${OFFLINK_SERVER_IP}:/client/root`,
    kenv: kenv({ "boot.nfsroot.server": OFFLINK_SERVER_IP }),
  }),
  /** The loader's gateway is 0.0.0.0: no default route at all. */
  noGateway: (): ModelWorld => baseline({
    routers: [],
    routes: baseRoutes("re0", undefined),
    kenv: kenv({ "boot.netif.gateway": "0.0.0.0" }),
  }),
  /**
   * No boot.netif.name; the boot NIC (a late-attaching ue0) is known only by
   * its MAC, which wlan0 and lagg0 carry too and are listed before it.
   */
  bootifByMacOnly: (): ModelWorld => baseline({
    ifaces: [re0({ name: "ue0", index: 5 }), lo0, wlan0, lagg0],
    routes: baseRoutes("ue0", GATEWAY_IP),
    kenv: kenv({ "boot.netif.name": undefined, "boot.netif.hwaddr": WIRED_MAC.toUpperCase() }),
  }),
  mdmfsFails: (): ModelWorld => baseline({ fails: [{ op: "mdmfs", count: -1 }] }),
  /** The boot NIC refuses every capability change (SIOCSIFCAP). */
  offloadsFail: (): ModelWorld => baseline({ fails: [{ op: "caps:re0", count: -1 }] }),
  /** Neither boot.netif.name nor .hwaddr: the route to the server names the NIC. */
  bootifByRouteOnly: (): ModelWorld => baseline({
    kenv: kenv({ "boot.netif.name": undefined, "boot.netif.hwaddr": undefined }),
  }),
  /** No boot.netif.ip/netmask/gateway: address from ifconfig, gateway from the routing table. */
  noNetifKenv: (): ModelWorld => baseline({
    kenv: kenv({ "boot.netif.ip": undefined, "boot.netif.netmask": undefined, "boot.netif.gateway": undefined }),
  }),
} as const;
