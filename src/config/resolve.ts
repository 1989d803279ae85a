/**
 * Turns schema-valid server and client values into the resolved Inventory and
 * runs every check that needs more than one value: networks, addresses,
 * duplicates, secrets, values unsafe for a target format, files on disk.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { resolveInstances, resolveStorage } from "./instance.js";
import { broadcast, inPrefix, ipv4ToInt, netmask, parseIpv4, parseMac, parsePrefix, prefixesOverlap, type Ipv4, type Mac } from "./addr.js";
import type { KeyPath } from "./findings.js";
import type { Reporter, SiteProbe } from "./load.js";
import type { ClientParsed, NetworkParsed } from "./schema.js";
import { serverSchema } from "./schema.js";
import type { z } from "zod";
import type { BootFiles, BootProtocol, Client, HttpBootConfig, Inventory, Network, ServerConfig, WifiConfig } from "./types.js";
import { unsafeForConfigs } from "./values.js";
import { resolveWpaPassphrase } from "./wpa-network.js";
import { resolveLinuxClient } from "./resolve-linux.js";
import { wifiDriver, wifiDriverName } from "./wifi-drivers.js";
import { checkNestedRoots, isFilesystemRoot, normalizeDir } from "./roots.js";
import { checkBootFiles, foldArchFiles } from "./boot-files.js";

type ServerParsed = z.output<typeof serverSchema>;
const ip = (s: string): Ipv4 => parseIpv4(s)!;

function resolveNetworks(s: ServerParsed, rep: Reporter): Network[] {
  const nets: Network[] = [];
  const names = new Map<string, number>();
  s.networks.forEach((n: NetworkParsed, i) => {
    const path: KeyPath = ["server", "networks", i];
    const prefix = parsePrefix(n.prefix)!;
    const name = n.name ?? `net${i}`;
    if (names.has(name)) rep.add("LB_ERR_DUPLICATE", [...path, "name"], `network name "${name}" is also used by server.networks[${names.get(name)}]`);
    names.set(name, i);
    let serverAddress: Ipv4;
    if (n.serverAddress !== undefined) {
      serverAddress = ip(n.serverAddress);
      if (!n.relayed && !inPrefix(serverAddress, prefix)) rep.add("LB_ERR_NETWORK", [...path, "serverAddress"], `${serverAddress} is not inside ${n.prefix}; a directly attached network needs the server's address on it (or set relayed: true)`);
      if (n.relayed && inPrefix(serverAddress, prefix)) rep.add("LB_ERR_NETWORK", [...path, "serverAddress"], `a relayed network's server address must be outside it (${n.prefix})`);
    } else if (n.relayed || inPrefix(ip(s.address), prefix)) {
      serverAddress = ip(s.address);
      if (n.relayed && inPrefix(serverAddress, prefix)) rep.add("LB_ERR_NETWORK", [...path, "relayed"], `server.address ${s.address} is inside ${n.prefix}, so this network is directly attached, not relayed`);
    } else {
      serverAddress = ip(s.address);
      rep.add("LB_ERR_NETWORK", [...path, "prefix"], `server.address ${s.address} is not inside ${n.prefix}: give serverAddress (laggboot's address on this network) or set relayed: true`);
    }
    const gateway = n.gateway === undefined ? undefined : ip(n.gateway);
    if (gateway && !inPrefix(gateway, prefix)) rep.add("LB_ERR_NETWORK", [...path, "gateway"], `gateway ${gateway} is not inside ${n.prefix}`);
    const bcast = broadcast(prefix);
    for (const [key, a] of [["gateway", gateway], ["serverAddress", n.relayed ? undefined : serverAddress]] as const) {
      if (a && prefix.length < 31 && (a === prefix.network || a === bcast)) rep.add("LB_ERR_ADDRESS_RESERVED", [...path, key], `${a} is the network or broadcast address of ${n.prefix}`);
    }
    let pool: Network["pool"];
    if (n.pool) {
      const first = ip(n.pool.first), last = ip(n.pool.last);
      pool = { first, last };
      for (const [key, a] of [["first", first], ["last", last]] as const) {
        if (!inPrefix(a, prefix) || a === prefix.network || a === bcast) rep.add("LB_ERR_NETWORK", [...path, "pool", key], `${a} is not a usable host address of ${n.prefix}`);
      }
      if (ipv4ToInt(first) > ipv4ToInt(last)) rep.add("LB_ERR_NETWORK", [...path, "pool"], `pool first ${first} comes after last ${last}`);
      for (const [what, a] of [["gateway", gateway], ["server address", serverAddress]] as const) {
        if (a && inPool(a, pool)) rep.add("LB_ERR_NETWORK", [...path, "pool"], `the pool contains the ${what} ${a}`);
      }
    }
    nets.forEach((other, j) => {
      if (prefixesOverlap(other.prefix, prefix)) rep.add("LB_ERR_NETWORK", [...path, "prefix"], `${n.prefix} overlaps server.networks[${j}] (${other.prefix.network}/${other.prefix.length})`);
    });
    nets.push({
      name, prefix, netmask: netmask(prefix), broadcast: bcast, relayed: n.relayed, serverAddress, gateway,
      dns: n.dns.map(ip), domain: n.domain, pool, poolLeaseSeconds: n.leaseSeconds ?? s.dhcp.poolLeaseSeconds,
    });
  });
  return nets;
}

const inPool = (a: Ipv4, pool: { first: Ipv4; last: Ipv4 }): boolean =>
  ipv4ToInt(a) >= ipv4ToInt(pool.first) && ipv4ToInt(a) <= ipv4ToInt(pool.last);

function resolveBootFiles(b: ServerParsed["tftp"]["bootFiles"]): BootFiles {
  return { bios: b.bios, ia32Uefi: b.ia32Uefi, x64Uefi: b.x64Uefi, arm64Uefi: b.arm64Uefi, byArch: foldArchFiles(b) };
}

function resolveHttpBoot(s: ServerParsed, rep: Reporter): HttpBootConfig | undefined {
  const h = s.httpBoot;
  if (h === undefined) return undefined;
  const path: KeyPath = ["server", "httpBoot"];
  const address = h.address !== undefined ? ip(h.address) : s.tftp.address !== undefined ? ip(s.tftp.address) : ip(s.address);
  if (address.startsWith("127.")) rep.add("LB_ERR_NETWORK", [...path, "address"], `${address} is a loopback address: no client can reach boot files there`);
  const status = ip(s.http.address);
  const overlaps = address === status || address === "0.0.0.0" || status === "0.0.0.0";
  if (h.port === s.http.port && overlaps) rep.add("LB_ERR_DUPLICATE", [...path, "port"], `port ${h.port} on ${address} is also server.http's (the status API): give one of them another port`);
  const protocolByArch = new Map<number, BootProtocol>(Object.entries(h.protocolByArch).map(([k, v]) => [Number(k), v]));
  return {
    address, port: h.port, maxConnections: h.maxConnections, maxConnectionsPerClient: h.maxConnectionsPerClient,
    listDirectories: h.listDirectories, protocol: h.protocol, protocolByArch,
  };
}

function resolveServer(s: ServerParsed, rep: Reporter, probe: SiteProbe): ServerConfig {
  const networks = resolveNetworks(s, rep);
  const bootFiles = resolveBootFiles(s.tftp.bootFiles);
  const tftpPath: KeyPath = ["server", "tftp"];
  const written: [KeyPath, string | undefined][] = [
    [[...tftpPath, "bootFiles", "bios"], bootFiles.bios], [[...tftpPath, "bootFiles", "x64Uefi"], bootFiles.x64Uefi],
    [[...tftpPath, "bootFiles", "ia32Uefi"], bootFiles.ia32Uefi], [[...tftpPath, "bootFiles", "arm64Uefi"], bootFiles.arm64Uefi],
    [[...tftpPath, "ipxeScript"], s.tftp.ipxeScript], [[...tftpPath, "root"], s.tftp.root], [[...tftpPath, "writableDir"], s.tftp.writableDir],
    [["server", "nfs", "rootsDir"], s.nfs.rootsDir], [["server", "storage", "path"], s.storage.path],
    ...Object.entries(s.tftp.bootFiles.byArch).map(([k, v]): [KeyPath, string] => [[...tftpPath, "bootFiles", "byArch", k], v]),
  ];
  if (isFilesystemRoot(s.nfs.rootsDir)) rep.add("LB_ERR_ROOT_PATH", ["server", "nfs", "rootsDir"], "the roots directory cannot be /: own roots would be /NAME, beside the server's own /etc and /boot");
  for (const [path, f] of written) {
    if (f === undefined) continue;
    const why = unsafeForConfigs(f);
    if (why) rep.add("LB_ERR_UNSAFE_VALUE", path, why);
  }
  return {
    address: ip(s.address),
    networks,
    dhcp: s.dhcp,
    tftp: {
      root: s.tftp.root, address: s.tftp.address ? ip(s.tftp.address) : ip(s.address), port: s.tftp.port, bootFiles,
      ipxeScript: s.tftp.ipxeScript, writableDir: s.tftp.writableDir, singlePort: s.tftp.singlePort,
      maxTransfers: s.tftp.maxTransfers, maxTransfersPerClient: s.tftp.maxTransfersPerClient,
    },
    nfs: { server: s.nfs.server ? ip(s.nfs.server) : ip(s.address), rootsDir: normalizeDir(s.nfs.rootsDir) },
    http: { address: ip(s.http.address), port: s.http.port, allowedHosts: s.http.allowedHosts },
    httpBoot: resolveHttpBoot(s, rep),
    storage: resolveStorage(s, rep, probe),
    instances: resolveInstances(s, networks, rep),
    instance: undefined,
    runAs: s.runAs ? { user: s.runAs.user, group: s.runAs.group } : undefined,
  };
}

/** Addresses no client may take: every server address, gateway, network and broadcast address. */
function reservedAddresses(server: ServerConfig): Map<string, string> {
  const m = new Map<string, string>([[server.address, "server.address"], [server.nfs.server, "the NFS server"]]);
  for (const i of server.instances) for (const a of i.addresses) m.set(a, `an address of instance ${i.name}`);
  for (const n of server.networks) {
    m.set(n.serverAddress, `the server address of network ${n.name}`);
    if (n.gateway) m.set(n.gateway, `the gateway of network ${n.name}`);
    if (n.prefix.length < 31) {
      m.set(n.prefix.network, `the network address of ${n.name}`);
      m.set(n.broadcast, `the broadcast address of ${n.name}`);
    }
  }
  return m;
}

function resolveClient(c: ClientParsed, index: number, server: ServerConfig, reserved: ReadonlyMap<string, string>, rep: Reporter, probe: SiteProbe): Client | undefined {
  const path: KeyPath = ["clients", index];
  const addr = ip(c.ip);
  const network = server.networks.find((n) => inPrefix(addr, n.prefix));
  if (!network) {
    rep.add("LB_ERR_ADDRESS_OUTSIDE_NETWORK", [...path, "ip"], `${addr} is not inside any network in server.networks`);
  } else {
    const taken = reserved.get(addr);
    if (taken) rep.add("LB_ERR_ADDRESS_RESERVED", [...path, "ip"], `${addr} is ${taken}`);
    if (network.pool && inPool(addr, network.pool)) rep.add("LB_ERR_ADDRESS_RESERVED", [...path, "ip"], `${addr} is inside the dynamic pool of network ${network.name}; a reserved address must be outside it`);
  }
  const domain = network?.domain;
  let fqdn = c.fqdn;
  if (fqdn === undefined) {
    fqdn = domain ? `${c.name}.${domain}` : c.name;
  } else if (fqdn.split(".")[0]!.toLowerCase() !== c.name.toLowerCase()) {
    rep.add("LB_ERR_SCHEMA", [...path, "fqdn"], `fqdn "${fqdn}" does not start with the client name "${c.name}"`, { also: [[...path, "name"]] });
  }
  const macs = c.macs.map((m) => parseMac(m)!) as Mac[];
  if (c.bootProtocol === "http" && server.httpBoot === undefined) {
    rep.add("LB_ERR_REFERENCE", [...path, "bootProtocol"], "bootProtocol http needs the boot-file HTTP server: add server.httpBoot");
  }
  if (!c.uefiPxe && (server.httpBoot === undefined || (c.bootProtocol ?? server.httpBoot.protocol) !== "http")) {
    rep.add("LB_ERR_REFERENCE", [...path, "uefiPxe"], "uefiPxe false sends the client's UEFI firmware on to HTTP Boot: it needs server.httpBoot and HTTP for this client (bootProtocol or server.httpBoot.protocol)");
  }
  // Without a network there is no client to return, but its other values are still checked.
  const common = network ? { name: c.name, fqdn, ip: addr, macs, network, bootProtocol: c.bootProtocol, uefiPxe: c.uefiPxe } : undefined;
  if (c.kind === "pxe") {
    for (const key of ["bootFile", "ipxeScript", "rootPath"] as const) {
      const v = c[key];
      const why = v === undefined ? undefined : unsafeForConfigs(v);
      if (why) rep.add("LB_ERR_UNSAFE_VALUE", [...path, key], why);
    }
    return common && { kind: "pxe", ...common, bootFile: c.bootFile, ipxeScript: c.ipxeScript, rootPath: c.rootPath };
  }
  if (c.kind === "lagg" && c.os === "linux") return resolveLinuxClient(c, path, common, server, rep, probe);
  // freebsd-lagg, or lagg with os freebsd
  const layout = c.root.layout;
  let rootPath = c.root.path === undefined ? undefined : normalizeDir(c.root.path);
  if (rootPath === undefined) {
    if (layout === "shared") rep.add("LB_ERR_SCHEMA", [...path, "root", "path"], "a shared root needs root.path (the one root the clients share)");
    rootPath = `${server.nfs.rootsDir === "/" ? "" : server.nfs.rootsDir}/${c.name}`;
  } else if (rootPath === "/") {
    rep.add("LB_ERR_ROOT_PATH", [...path, "root", "path"], "a client root cannot be /: exported read-write with -maproot=root it hands the whole server to the client, and apply --root / would write the server's own /etc and /boot");
  }
  const why = unsafeForConfigs(rootPath);
  if (why) rep.add("LB_ERR_UNSAFE_VALUE", [...path, "root", "path"], why);
  if (c.freebsdRelease < 11) {
    rep.add("LB_WARN_OLD_FREEBSD", [...path, "freebsdRelease"], `FreeBSD ${c.freebsdRelease}: rc.conf gets the old ifconfig_<parent>="ether ..." form, and the flip script is untested before 11`);
  }
  let wifi: WifiConfig | undefined;
  if (c.wifi) {
    const w = c.wifi;
    const wpath: KeyPath = [...path, "wifi"];
    const passphrase = resolveWpaPassphrase(w, wpath, rep, probe);
    if (!/^wlan\d+$/.test(w.wlan)) rep.add("LB_ERR_SCHEMA", [...wpath, "wlan"], `"${w.wlan}" must be a wlan interface name like wlan0`);
    if (/^(wlan|lagg)\d+$/.test(w.parent)) rep.add("LB_ERR_SCHEMA", [...wpath, "parent"], `"${w.parent}" is not a Wi-Fi device driver name (ath0, iwn0, iwm0...)`);
    if (w.parent === c.wired) rep.add("LB_ERR_SCHEMA", [...wpath, "parent"], `the Wi-Fi device "${w.parent}" is also the wired NIC: wired and wifi.parent are two devices`, { also: [[...path, "wired"]] });
    if (w.firmware === undefined) {
      const fw = wifiDriver(w.parent).firmware;
      if (fw.kind === "chip") {
        rep.add("LB_WARN_WIFI_FIRMWARE", [...wpath, "parent"], `${wifiDriverName(w.parent)} firmware depends on the chip: set wifi.firmware to this card's (one of ${fw.candidates.join(", ")}), or the Wi-Fi may need /boot on the NFS root to come back after the flip`);
      } else if (fw.kind === "unknown") {
        rep.add("LB_WARN_WIFI_FIRMWARE", [...wpath, "parent"], `firmware of ${w.parent}: ${fw.why}; set wifi.firmware to the modules it loads ([] for none), so the loader preloads them`);
      }
    }
    wifi = { parent: w.parent, wlan: w.wlan, ssid: w.ssid, passphrase, country: w.country, firmware: w.firmware };
  }
  if (!/^lagg\d+$/.test(c.lagg.interface)) rep.add("LB_ERR_SCHEMA", [...path, "lagg", "interface"], `"${c.lagg.interface}" must be a lagg interface name like lagg0`);
  if (/^(wlan|lagg)\d+$/.test(c.wired)) rep.add("LB_ERR_SCHEMA", [...path, "wired"], `"${c.wired}" is not a wired NIC driver name (re0, em0, igb0...)`);
  if (c.lagg.bootif !== "" && c.lagg.bootif !== c.wired) {
    rep.add("LB_ERR_SCHEMA", [...path, "lagg", "bootif"], `lagg.bootif "${c.lagg.bootif}" is not the wired NIC "${c.wired}": the boot NIC is the wired one (leave bootif empty to detect it at boot)`, { also: [[...path, "wired"]] });
  }
  const nfsServer = server.nfs.server;
  if (!common) return undefined;
  return {
    kind: "freebsd-lagg", ...common, wired: c.wired, wifi,
    root: { layout, path: rootPath, readOnly: c.root.readOnly ?? layout === "shared", etcMdSize: c.root.etcMdSize },
    nfsServer, rootPath: `${nfsServer}:${rootPath}`, freebsdRelease: c.freebsdRelease, lagg: c.lagg,
  };
}

function checkUnique(clients: readonly { c: Client; index: number }[], rep: Reporter): void {
  const seen = new Map<string, string>();
  const claim = (key: string, what: string, path: KeyPath, owner: string): void => {
    if (rep.isMuted(path)) return; // a stand-in for a value the schema refused (repair.ts)
    const prev = seen.get(key);
    if (prev !== undefined && prev !== owner) rep.add("LB_ERR_DUPLICATE", path, `${what} is also used by ${prev}`);
    else if (prev === owner) rep.add("LB_ERR_DUPLICATE", path, `${what} is listed twice for this client`);
    else seen.set(key, owner);
  };
  for (const { c, index } of clients) {
    const owner = `clients[${index}] (${c.name})`;
    const p: KeyPath = ["clients", index];
    const nameTaken = seen.has(`name:${c.name.toLowerCase()}`);
    claim(`name:${c.name.toLowerCase()}`, `name "${c.name}"`, [...p, "name"], owner);
    // A clashing FQDN derived from a clashing name is the same problem: report it once.
    if (!nameTaken) claim(`fqdn:${c.fqdn.toLowerCase()}`, `FQDN "${c.fqdn}"`, [...p, "fqdn"], owner);
    claim(`ip:${c.ip}`, `address ${c.ip}`, [...p, "ip"], owner);
    c.macs.forEach((m, i) => claim(`mac:${m}`, `MAC ${m}`, [...p, "macs", i], owner));
    if (c.kind === "freebsd-lagg" && c.root.layout === "own") claim(`root:${c.root.path}`, `own root ${c.root.path}`, [...p, "root", "path"], owner);
    if (c.kind === "linux-lagg") {
      claim(`root:${c.root.path}`, `root ${c.root.path}`, [...p, "root", "path"], owner);
      // The backup NIC may also be listed in the client's own macs (to PXE-boot from it).
      if (c.backupMac !== undefined && !c.macs.includes(c.backupMac)) claim(`mac:${c.backupMac}`, `MAC ${c.backupMac}`, [...p, "backup", "mac"], owner);
    }
  }
  // Shared roots: several clients writing one root corrupt each other's files.
  const byRoot = new Map<string, { c: Client; index: number }[]>();
  for (const e of clients) if (e.c.kind === "freebsd-lagg" && e.c.root.layout === "shared") byRoot.set(e.c.root.path, [...(byRoot.get(e.c.root.path) ?? []), e]);
  for (const [rootDir, users] of byRoot) {
    const rw = users.filter((u) => u.c.kind === "freebsd-lagg" && !u.c.root.readOnly);
    if (users.length > 1 && rw.length > 0) {
      rep.add("LB_WARN_SHARED_ROOT_RW", ["clients", rw[0]!.index, "root", "readOnly"], `shared root ${rootDir} is exported read-write to ${users.length} clients (${users.map((u) => u.c.name).join(", ")})`);
    }
    const ownRoot = clients.find((e) => e.c.kind === "freebsd-lagg" && e.c.root.layout === "own" && e.c.root.path === rootDir);
    if (ownRoot) rep.add("LB_ERR_DUPLICATE", ["clients", ownRoot.index, "root", "path"], `${rootDir} is both an own root and a shared root`);
  }
}

function checkSharedRoots(clients: readonly { c: Client; index: number }[], rep: Reporter, probe: SiteProbe): void {
  const done = new Set<string>();
  for (const { c, index } of clients) {
    if (c.kind !== "freebsd-lagg" || c.root.layout !== "shared" || done.has(c.root.path)) continue;
    done.add(c.root.path);
    if (probe.kindOf(c.root.path) === "dir" && probe.kindOf(join(c.root.path, "conf/base/etc")) !== "dir") {
      rep.add("LB_WARN_SHARED_ROOT_NO_CONF_BASE", ["clients", index, "root", "path"], `${c.root.path} has no conf/base/etc: run "laggboot apply" to create it, or /etc on the clients would hold only the per-client files`);
    }
  }
}

export function resolveInventory(s: ServerParsed, parsed: readonly { parsed: ClientParsed; index: number }[], rep: Reporter, probe: SiteProbe): Inventory {
  const server = resolveServer(s, rep, probe);
  const resolved: { c: Client; index: number }[] = [];
  const reserved = reservedAddresses(server);
  for (const { parsed: c, index } of parsed) {
    const r = resolveClient(c, index, server, reserved, rep, probe);
    if (r) resolved.push({ c: r, index });
  }
  checkBootFiles(server, resolved, rep, probe);
  checkUnique(resolved, rep);
  checkNestedRoots(resolved, rep);
  checkSharedRoots(resolved, rep, probe);
  // The validated values as written (defaults applied): the same on every instance that reads this inventory.
  const hash = createHash("sha256").update(JSON.stringify({ server: s, clients: parsed.map((p) => p.parsed) })).digest("hex");
  return { server, clients: resolved.map((e) => e.c), hash };
}
