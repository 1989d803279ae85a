// The modelled FreeBSD client as plain data, and its text form: the state
// file that every fake tool in test/model/fakebsd.c reads and rewrites.
// Addresses come from 198.18.0.0/15 only (benchmarking range, RFC 2544).

export type IfaceKind = "ether" | "wlan" | "lagg" | "loop";

export interface ModelIface {
  readonly name: string;
  readonly index: number;
  readonly kind: IfaceKind;
  readonly mac: string;
  readonly mtu: number;
  readonly up: boolean;
  /** Ethernet carrier, or Wi-Fi association. */
  readonly link: boolean;
  /** For a lagg port: the lagg it is in. */
  readonly lagg?: string;
  /** For a lagg: the master port (sc_primary). */
  readonly primary?: string;
  readonly inet?: readonly { readonly addr: string; readonly prefixLength: number }[];
  readonly inet6?: readonly string[];
  /** Enabled capabilities (IFCAP names as ifconfig prints them); all of them supported. */
  readonly caps?: readonly string[];
}

export interface ModelRoute {
  readonly dst: string;
  readonly prefixLength: number;
  readonly gateway?: string;
  readonly ifname: string;
  /** The interface address the route hangs on (removed with it). */
  readonly ifa: string;
  readonly isStatic: boolean;
}

export interface ModelWorld {
  readonly server: string;
  /** The one LAN segment the cable and the access point both reach. */
  readonly lan: { readonly net: string; readonly prefixLength: number };
  /** Routers on the LAN that forward to the server when it is off-link. */
  readonly routers: readonly string[];
  readonly nfsroot: string;
  readonly ifaces: readonly ModelIface[];
  readonly routes: readonly ModelRoute[];
  readonly kenv: Readonly<Record<string, string>>;
  readonly sysctl: Readonly<Record<string, string>>;
  /** Injected failures: op ("laggport", "inet-add", ...) or op:ifname; count -1 = always. */
  readonly fails?: readonly { readonly op: string; readonly count: number }[];
}

const SAFE = /^[A-Za-z0-9_.:/,+-]+$/;

function tok(v: string, what: string): string {
  if (!SAFE.test(v)) throw new Error(`model state: ${what} ${JSON.stringify(v)} has characters the state file cannot hold`);
  return v;
}

/** Serialise a world into the state file format of fakebsd.c. */
export function worldToState(w: ModelWorld): string {
  const out: string[] = [
    `server ${tok(w.server, "server")}`,
    `lan ${tok(w.lan.net, "lan")} ${w.lan.prefixLength}`,
    `nfsroot ${tok(w.nfsroot, "nfsroot")}`,
    "nextmd 0",
  ];
  for (const r of w.routers) out.push(`router ${tok(r, "router")}`);
  for (const [k, v] of Object.entries(w.kenv)) out.push(`kenv ${tok(k, "kenv key")} ${tok(v, "kenv value")}`);
  for (const [k, v] of Object.entries(w.sysctl)) out.push(`sysctl ${tok(k, "sysctl")} ${tok(v, "sysctl value")}`);
  for (const f of w.fails ?? []) out.push(`fail ${tok(f.op, "fail op")} ${f.count}`);
  for (const i of w.ifaces) {
    const flags = `${i.up ? 1 : 0}${i.link ? 1 : 0}`;
    const caps = (i.caps ?? []).length > 0 ? (i.caps ?? []).map((c) => tok(c, "capability")).join("+") : "-";
    const extra = [i.lagg ?? "-", i.lagg ? i.mac : "-", i.kind === "lagg" ? "failover" : "-", i.primary ?? "-", "0", caps, caps, caps].join(",");
    out.push(`if ${tok(i.name, "if")} ${i.index} ${i.kind} ${tok(i.mac, "mac")} ${i.mtu} ${flags} ${extra}`);
  }
  for (const i of w.ifaces) {
    for (const a of i.inet ?? []) out.push(`inet ${i.name} ${tok(a.addr, "inet")} ${a.prefixLength}`);
    for (const a of i.inet6 ?? []) out.push(`inet6 ${i.name} ${tok(a, "inet6")}`);
  }
  for (const r of w.routes) {
    out.push(`route ${tok(r.dst, "route")} ${r.prefixLength} ${r.gateway ?? "-"} ${r.ifname} ${r.ifa} ${r.isStatic ? 1 : 0}`);
  }
  return out.join("\n") + "\n";
}

/** What the tests read back from a state file. */
export interface StateView {
  readonly ifaces: Map<string, { mac: string; mtu: number; lagg: string | undefined; primary: string | undefined; link: boolean; caps: string[] }>;
  readonly inet: Map<string, string[]>;
  readonly inet6: Map<string, string[]>;
  readonly routes: { dst: string; prefixLength: number; gateway: string | undefined; ifname: string }[];
  readonly mem: string[];
  /** Backing of each mounted memory disk, by mount point: "malloc" or "swap". */
  readonly memBacking: Map<string, string>;
}

export function parseState(text: string): StateView {
  const view: StateView = { ifaces: new Map(), inet: new Map(), inet6: new Map(), routes: [], mem: [], memBacking: new Map() };
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const at = (n: number): string => f[n] ?? "";
    if (f[0] === "if") {
      const extra = at(7).split(",");
      const opt = (v: string | undefined): string | undefined => (v === undefined || v === "-" ? undefined : v);
      const caps = opt(extra[5])?.split("+") ?? [];
      view.ifaces.set(at(1), { mac: at(4), mtu: Number(at(5)), link: at(6)[1] === "1", lagg: opt(extra[0]), primary: opt(extra[3]), caps });
    } else if (f[0] === "inet" || f[0] === "inet6") {
      const m = f[0] === "inet" ? view.inet : view.inet6;
      m.set(at(1), [...(m.get(at(1)) ?? []), f[0] === "inet" ? `${at(2)}/${at(3)}` : at(2)]);
    } else if (f[0] === "route") {
      view.routes.push({ dst: at(1), prefixLength: Number(at(2)), gateway: at(3) === "-" ? undefined : at(3), ifname: at(4) });
    } else if (f[0] === "mem") {
      view.mem.push(at(1));
      view.memBacking.set(at(1), at(3));
    }
  }
  return view;
}

/** Ports of a lagg in the order lagg(4) lists them (interface index). */
export function laggPorts(text: string, lagg: string): string[] {
  const rows = text.split("\n").filter((l) => l.startsWith("if ")).map((l) => l.split(" "));
  return rows
    .filter((f) => (f[7] ?? "").split(",")[0] === lagg)
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((f) => f[1] ?? "");
}
