/**
 * Several servers, one inventory: `server.instances` names the servers that
 * run it (sharing a postgres store), each with its own addresses. Checking
 * them, choosing which one this process is, and the inventory as that
 * instance sees it (its addresses in place of the shared ones) live here.
 */
import { inPrefix, ipv4ToInt, parseIpv4, type Ipv4 } from "./addr.js";
import type { KeyPath } from "./findings.js";
import type { Reporter, SiteProbe } from "./load.js";
import type { serverSchema } from "./schema.js";
import type { Instance, Inventory, Network, ServerConfig } from "./types.js";
import type { z } from "zod";
import { LaggbootError } from "../errors.js";

type ServerParsed = z.output<typeof serverSchema>;

/** server.storage as resolved, with its checks. */
export function resolveStorage(s: ServerParsed, rep: Reporter, probe: SiteProbe): ServerConfig["storage"] {
  const st = s.storage;
  const path: KeyPath = ["server", "storage"];
  const pg = st.postgres;
  if (st.kind === "postgres") {
    if (pg === undefined || (pg.connection === undefined) === (pg.connectionFile === undefined)) {
      rep.add("LB_ERR_SCHEMA", [...path, pg === undefined ? "kind" : "postgres"], "storage kind postgres needs postgres.connection or postgres.connectionFile (one of them)");
    } else if (pg.connection !== undefined && /(\/\/[^/@]*:[^@]*@)|password\s*=/i.test(pg.connection)) {
      rep.add("LB_ERR_SCHEMA", [...path, "postgres", "connection"], "the connection string holds a password: put it in connectionFile (or ~/.pgpass) instead");
    } else if (pg.connectionFile !== undefined && probe.kindOf(pg.connectionFile) !== "file") {
      rep.add("LB_ERR_REFERENCE", [...path, "postgres", "connectionFile"], `${pg.connectionFile} is not a readable file on this machine`);
    }
  } else if (pg !== undefined) {
    rep.add("LB_ERR_SCHEMA", [...path, "postgres"], "postgres settings are used only with storage kind postgres");
  }
  return {
    kind: st.kind, path: st.path,
    postgres: pg === undefined ? undefined : { connection: pg.connection, connectionFile: pg.connectionFile, eventQueue: pg.eventQueue },
  };
}

/**
 * server.instances: unique names and addresses, one address on each
 * directly attached network, none in a pool or on a network's edges.
 */
export function resolveInstances(s: ServerParsed, networks: readonly Network[], rep: Reporter): Instance[] {
  const list = s.instances ?? [];
  if (list.length === 0) return [];
  const base: KeyPath = ["server", "instances"];
  if (s.storage.kind !== "postgres") rep.add("LB_ERR_SCHEMA", base, "several instances share their leases only through storage kind postgres");
  const names = new Set<string>();
  const taken = new Map<string, string>();
  return list.map((inst, i) => {
    const p: KeyPath = [...base, i];
    if (names.has(inst.name.toLowerCase())) rep.add("LB_ERR_DUPLICATE", [...p, "name"], `instance name "${inst.name}" is used twice`);
    names.add(inst.name.toLowerCase());
    const addresses = inst.addresses.map((a) => parseIpv4(a)!);
    addresses.forEach((a, j) => {
      const prev = taken.get(a);
      if (prev !== undefined) rep.add("LB_ERR_DUPLICATE", [...p, "addresses", j], `${a} is also ${prev}`);
      taken.set(a, `an address of instance ${inst.name}`);
      for (const n of networks) {
        if (!inPrefix(a, n.prefix)) continue;
        if (a === n.prefix.network || a === n.broadcast) rep.add("LB_ERR_ADDRESS_RESERVED", [...p, "addresses", j], `${a} is the network or broadcast address of ${n.name}`);
        if (n.pool && ipv4ToInt(a) >= ipv4ToInt(n.pool.first) && ipv4ToInt(a) <= ipv4ToInt(n.pool.last)) {
          rep.add("LB_ERR_NETWORK", [...p, "addresses", j], `${a} is inside the pool of network ${n.name}`);
        }
      }
    });
    for (const n of networks) {
      if (n.relayed) continue;
      const on = addresses.filter((a) => inPrefix(a, n.prefix));
      if (on.length !== 1) rep.add("LB_ERR_NETWORK", [...p, "addresses"], `instance ${inst.name} needs exactly one address on the directly attached network ${n.name} (${n.prefix.network}/${n.prefix.length}); it has ${on.length}`);
    }
    return { name: inst.name, addresses };
  });
}

/**
 * The inventory as instance `name` serves it: its addresses as the server
 * addresses of the direct networks, its primary address as server.address,
 * next-server and relay target (where they were the shared server.address).
 * NFS and everything the clients share stay as they are.
 */
export function forInstance(inv: Inventory, name: string): Inventory {
  const s = inv.server;
  const inst = s.instances.find((i) => i.name === name);
  if (inst === undefined) {
    throw new LaggbootError("LB_ERR_USAGE", `no instance "${name}" in server.instances (${s.instances.map((i) => i.name).join(", ") || "none"})`);
  }
  const primary = inst.addresses[0]!;
  const mine = (a: Ipv4): Ipv4 => (a === s.address ? primary : a);
  const networks = s.networks.map((n) => ({
    ...n,
    serverAddress: n.relayed ? mine(n.serverAddress) : inst.addresses.find((a) => inPrefix(a, n.prefix)) ?? n.serverAddress,
  }));
  return {
    ...inv,
    server: { ...s, address: primary, networks, tftp: { ...s.tftp, address: mine(s.tftp.address) }, instance: name },
  };
}

/** This host's instance: the named one, else the only one with an address on the host. */
export function pickInstance(inv: Inventory, named: string | undefined, localAddresses: readonly string[]): string | undefined {
  const list = inv.server.instances;
  if (named !== undefined) return named;
  if (list.length === 0) return undefined;
  const here = list.filter((i) => i.addresses.some((a) => localAddresses.includes(a)));
  if (here.length === 1) return here[0]!.name;
  throw new LaggbootError("LB_ERR_USAGE", here.length === 0
    ? `no instance in server.instances has an address on this host: give --instance (one of ${list.map((i) => i.name).join(", ")})`
    : `several instances have addresses on this host (${here.map((i) => i.name).join(", ")}): give --instance`);
}
