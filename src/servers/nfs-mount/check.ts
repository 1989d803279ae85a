/**
 * `laggboot doctor`'s NFS check: is a client's root exported to that client,
 * as FreeBSD's loader will ask? The loader finds MOUNT through the portmapper
 * (RFC 1833), asks MOUNT v3 (RFC 1813 section 5) for the root's file handle
 * over UDP (its libsa RPC speaks UDP only), and passes the handle to the
 * kernel (boot.nfsroot.nfshandle), which then mounts / over TCP. So UDP is
 * the default transport here. We ask the portmapper for MOUNT v3, ask MOUNT
 * for its export list (MOUNTPROC3_EXPORT), and decide with the pure
 * `isExportedTo`.
 */
import { isExportedTo, type ExportVerdict, type GroupMatch } from "../../protocol/nfs-export.js";
import { decodeExports, MOUNT_PROC3, MOUNT_PROGRAM, MOUNT_V3, type ExportEntry } from "../../wire/sunrpc/mount.js";
import {
  decodeGetportResult,
  encodeMapping,
  PMAP_PORT,
  PMAP_PROC,
  PMAP_PROGRAM,
  PMAP_VERSION,
  protocolNumber,
  type Transport,
} from "../../wire/sunrpc/portmap.js";
import { nameOf, AUTH_STAT, type RpcReply } from "../../wire/sunrpc/rpc.js";
import { DecodeError } from "../../wire/sunrpc/xdr.js";
import { rpcCall, RpcTransportError, type RpcTarget } from "./rpc-client.js";

export interface ExportQuery {
  /** The NFS server's address (IPv4 or a name the resolver knows). */
  readonly server: string;
  readonly transport?: Transport;
  readonly timeoutMs?: number;
  /** Where the portmapper listens; 111 unless a test says otherwise. */
  readonly portmapPort?: number;
}

export type ExportQueryStage = "portmap" | "mount-not-registered" | "mount";

/** The export list could not be fetched; `stage` says which step failed. */
export class ExportQueryError extends Error {
  constructor(
    readonly stage: ExportQueryStage,
    readonly target: RpcTarget,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ExportQueryError";
  }
}

export interface ExportListing {
  readonly exports: readonly ExportEntry[];
  /** The MOUNT v3 port the portmapper named. */
  readonly mountPort: number;
  readonly transport: Transport;
}

function describeReply(r: RpcReply): string {
  switch (r.kind) {
    case "success":
      return "success";
    case "prog-mismatch":
      return `PROG_MISMATCH (server has versions ${r.low}-${r.high})`;
    case "accepted-error":
      return r.stat === "unknown" ? `accept_stat ${r.statValue}` : r.stat;
    case "rpc-mismatch":
      return `RPC_MISMATCH (server speaks RPC ${r.low}-${r.high})`;
    case "auth-error":
      return `AUTH_ERROR ${nameOf(AUTH_STAT, r.authStat)}`;
  }
}

async function call(stage: ExportQueryStage, target: RpcTarget, req: Parameters<typeof rpcCall>[1], timeoutMs: number): Promise<Uint8Array> {
  let reply: RpcReply;
  try {
    reply = await rpcCall(target, req, { timeoutMs, retransmitMs: Math.max(200, Math.floor(timeoutMs / 4)) });
  } catch (e) {
    if (e instanceof RpcTransportError) throw new ExportQueryError(stage, target, `${e.message} (${e.reason})`, { cause: e });
    throw e;
  }
  if (reply.kind !== "success") throw new ExportQueryError(stage, target, `${target.transport}://${target.host}:${target.port} answered ${describeReply(reply)}`);
  return reply.results;
}

/** Portmapper GETPORT for MOUNT v3, then MOUNTPROC3_EXPORT on that port. */
export async function listExports(q: ExportQuery): Promise<ExportListing> {
  const transport = q.transport ?? "udp";
  const timeoutMs = q.timeoutMs ?? 3000;
  const pmap: RpcTarget = { host: q.server, port: q.portmapPort ?? PMAP_PORT, transport };
  const portBytes = await call("portmap", pmap, {
    prog: PMAP_PROGRAM,
    vers: PMAP_VERSION,
    proc: PMAP_PROC.GETPORT,
    args: encodeMapping({ prog: MOUNT_PROGRAM, vers: MOUNT_V3, prot: protocolNumber(transport), port: 0 }),
  }, timeoutMs);
  let mountPort: number;
  try {
    mountPort = decodeGetportResult(portBytes);
  } catch (e) {
    throw new ExportQueryError("portmap", pmap, `bad GETPORT reply: ${(e as Error).message}`, { cause: e });
  }
  if (mountPort === 0) {
    throw new ExportQueryError("mount-not-registered", pmap, `the portmapper at ${q.server} has no MOUNT v3 (program ${MOUNT_PROGRAM}) over ${transport}`);
  }
  const mount: RpcTarget = { host: q.server, port: mountPort, transport };
  const listBytes = await call("mount", mount, { prog: MOUNT_PROGRAM, vers: MOUNT_V3, proc: MOUNT_PROC3.EXPORT, args: new Uint8Array(0) }, timeoutMs);
  try {
    return { exports: decodeExports(listBytes), mountPort, transport };
  } catch (e) {
    if (e instanceof DecodeError) throw new ExportQueryError("mount", mount, `bad EXPORT reply: ${e.message}`, { cause: e });
    throw e;
  }
}

export interface NfsExportCheckInput extends ExportQuery {
  /** The client's root as the inventory names it (the path the loader mounts). */
  readonly path: string;
  readonly client: { readonly address: string; readonly hostnames?: readonly string[] };
}

export type NfsExportStatus =
  | "allowed"
  | "denied"
  | "undecided"
  | "not-listed"
  | "unreachable"
  | "portmap-unreachable"
  | "mount-not-registered"
  | "mount-unreachable";

export interface NfsExportCheck {
  /** True only when the export list grants the path to the client. */
  readonly ok: boolean;
  readonly status: NfsExportStatus;
  /** One sentence: what this result establishes, and what it does not. */
  readonly proves: string;
  /** What to do about a failure (or a caveat on success); undefined when nothing. */
  readonly advice: string | undefined;
  readonly exports?: readonly ExportEntry[];
  readonly verdict?: ExportVerdict;
  readonly mountPort?: number;
}

const LIMITS =
  "It does not prove the client's own MNT call succeeds (the server checks the caller's address and credentials then), " +
  "that the NFS service on port 2049 serves the file system, or that files below it are readable.";

function groupList(gs: readonly GroupMatch[]): string {
  return gs.map((g) => `'${g.group}' (${g.kind})`).join(", ");
}

function who(i: NfsExportCheckInput): string {
  const names = i.client.hostnames ?? [];
  return names.length > 0 ? `${i.client.address} (${names.join(", ")})` : i.client.address;
}

export async function checkNfsExport(input: NfsExportCheckInput): Promise<NfsExportCheck> {
  const transport = input.transport ?? "udp";
  const portmapPort = input.portmapPort ?? PMAP_PORT;
  let listing: ExportListing;
  try {
    listing = await listExports(input);
  } catch (e) {
    if (!(e instanceof ExportQueryError)) throw e;
    if (e.cause instanceof RpcTransportError && e.cause.reason === "unreachable") {
      const code = (e.cause.cause as { code?: unknown } | undefined)?.code;
      return {
        ok: false,
        status: "unreachable",
        proves: `No route to ${input.server} from this machine${typeof code === "string" ? ` (${code})` : ""}: the NFS server's exports could not be asked for. Clients on another network may still reach it; this machine cannot tell.`,
        advice: `Check nfs.server (or server.address) in the inventory and this machine's routes to ${input.server} ('ip route get ${input.server}' on Linux, 'route get ${input.server}' on FreeBSD), or run laggboot doctor on a host of the clients' network.`,
      };
    }
    if (e.stage === "portmap") {
      return {
        ok: false,
        status: "portmap-unreachable",
        proves: `No portmapper (rpcbind) answered at ${input.server}:${portmapPort}/${transport}: ${e.message}. FreeBSD's loader and kernel find MOUNT through it, so they cannot mount any root from this server.`,
        advice:
          `Start rpcbind on ${input.server} (FreeBSD: rpcbind_enable="YES" in rc.conf, then 'service rpcbind start'; Linux: 'systemctl enable --now rpcbind'), ` +
          `and let ${transport.toUpperCase()} port ${portmapPort} through any firewall between the clients and the server.`,
      };
    }
    if (e.stage === "mount-not-registered") {
      return {
        ok: false,
        status: "mount-not-registered",
        proves: `The portmapper at ${input.server} answers, but no MOUNT v3 service is registered over ${transport}: clients cannot get a root file handle.`,
        advice:
          `Start the NFS server with version 3 enabled (FreeBSD: nfs_server_enable="YES" and mountd_enable="YES", then 'service nfsd start'; ` +
          `nfs-ganesha: 'Protocols = 3, 4;' in NFS_CORE_PARAM and in the EXPORT; Linux knfsd: do not disable vers3 in /etc/nfs.conf).`,
      };
    }
    return {
      ok: false,
      status: "mount-unreachable",
      proves: `The portmapper at ${input.server} names a MOUNT v3 port, but MOUNT did not answer EXPORT: ${e.message}.`,
      advice: `Check that mountd is running on ${input.server} and that a firewall lets ${transport.toUpperCase()} reach the port rpcbind reports (pin it with 'mountd -p PORT' on FreeBSD, MNT_Port in nfs-ganesha).`,
    };
  }
  const verdict = isExportedTo(listing.exports, input.path, input.client.address, input.client.hostnames ?? []);
  const base = { exports: listing.exports, verdict, mountPort: listing.mountPort };
  const asked = `MOUNT v3 at ${input.server}:${listing.mountPort}/${transport} (found through the portmapper)`;
  switch (verdict.verdict) {
    case "allowed": {
      const by = verdict.by.kind === "everyone" ? "to everyone" : `to ${who(input)} through group '${verdict.by.group}'`;
      const parent = verdict.pathMatch === "parent";
      return {
        ok: true,
        status: "allowed",
        proves: `${asked} lists ${verdict.entry.dir}${parent ? `, a parent of ${input.path},` : ""} as exported ${by}. ${LIMITS}`,
        advice: parent
          ? `${input.path} is not exported itself, only its parent ${verdict.entry.dir}: FreeBSD's mountd allows mounting it only with -alldirs on that export line; export ${input.path} itself to be sure.`
          : undefined,
        ...base,
      };
    }
    case "denied":
      return {
        ok: false,
        status: "denied",
        proves: `${asked} exports ${verdict.entry.dir} only to ${groupList(verdict.groups)}; none of them is ${who(input)}, so the client's mount will be refused.`,
        advice: `Add ${input.client.address} (or its network) to the export of ${verdict.entry.dir} (FreeBSD /etc/exports: '${verdict.entry.dir} -maproot=root ${input.client.address}', then 'service mountd reload').`,
        ...base,
      };
    case "undecided":
      return {
        ok: false,
        status: "undecided",
        proves: `${asked} exports ${verdict.entry.dir} to ${groupList(verdict.undecided)}, which cannot be resolved from here (netgroups, names the server could not resolve); no other group names ${who(input)}.`,
        advice: `Check that ${who(input)} is in ${verdict.undecided.map((g) => g.group).join(", ")} on the server, or export to the client's address directly.`,
        ...base,
      };
    case "not-listed":
      return {
        ok: false,
        status: "not-listed",
        proves: `${asked} lists ${verdict.listed.length === 0 ? "no exports at all" : verdict.listed.join(", ")}; neither ${input.path} nor a parent of it is among them.`,
        advice:
          `Export ${input.path} to ${input.client.address} (FreeBSD /etc/exports: '${input.path} -maproot=root ${input.client.address}', then 'service mountd reload'). ` +
          `Note: nfs-ganesha lists only the exports the asking host may mount, so an export granted to the client alone is missing from a list asked from elsewhere: run doctor from a host the export allows, or check ganesha.conf.`,
        ...base,
      };
  }
}
