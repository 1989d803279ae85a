/**
 * `check --root DIR`: the rc.conf lines in a client's root that would undo
 * the flip. devd replays the boot's interface events after the flip (the
 * devctl queue keeps them until devd starts); a LINK_UP runs
 * "service dhclient quietstart <if>", which starts dhclient when rc.conf asks
 * for DHCP on that interface (dhcpif in libexec/rc/network.subr: the words
 * DHCP, SYNCDHCP or NOSYNCDHCP in ifconfig_<if>, or in ifconfig_DEFAULT when
 * ifconfig_<if> is unset, or in ifconfig_<if>_ipv4). /etc/rc.d/lagg refuses
 * to flip then; this finds those lines where the server can see them.
 *
 * The rendered rc.conf.local never sets them (a unit test holds that); what
 * check reads here are the site's files. rc.conf is shell: only plain
 * `name=value` lines are read, which is how rc.conf(5) is written.
 */
import { join } from "node:path";
import type { Finding } from "./findings.js";
import type { FreebsdLaggClient, Inventory } from "./types.js";

/** A file of a client root, or undefined when it is missing or not safe to read. */
export type ClientFileReader = (rootDir: string, rel: string) => string | undefined;

export interface DhcpLine {
  readonly line: number;
  readonly col: number;
  readonly name: string;
  readonly value: string;
}

const DHCP_WORD = /^(dhcp|syncdhcp|nosyncdhcp)$/i;
const ASSIGNMENT = /^(\s*)(ifconfig_[A-Za-z0-9_]+)=("([^"]*)"|'([^']*)'|([^\s#;]*))/;

/** The interfaces whose rc.conf settings matter for the flip: boot NIC, lagg, Wi-Fi port. */
function flipInterfaces(c: FreebsdLaggClient): string[] {
  return [...new Set([c.lagg.bootif || c.wired, c.wired, c.lagg.interface, ...(c.wifi ? [c.wifi.wlan] : [])])];
}

/** get_if_var's name: punctuation of the interface name becomes '_'. */
const varName = (ifname: string): string => ifname.replace(/[.+/-]/g, "_");

/** The lines of rc.conf text `text` that ask for DHCP on one of `ifnames` or in ifconfig_DEFAULT. */
export function dhcpLines(text: string, ifnames: readonly string[]): DhcpLine[] {
  const names = new Set(["ifconfig_DEFAULT", ...ifnames.flatMap((i) => [`ifconfig_${varName(i)}`, `ifconfig_${varName(i)}_ipv4`])]);
  const out: DhcpLine[] = [];
  text.split("\n").forEach((raw, i) => {
    const m = ASSIGNMENT.exec(raw);
    if (!m || !names.has(m[2]!)) return;
    const value = m[4] ?? m[5] ?? m[6] ?? "";
    if (value.split(/\s+/).some((w) => DHCP_WORD.test(w))) out.push({ line: i + 1, col: m[1]!.length + 1, name: m[2]!, value });
  });
  return out;
}

/** Where rc.conf and rc.conf.local come from on the client: its own etc/, or the /conf overlays of a shared root. */
function rcConfFiles(c: FreebsdLaggClient): string[] {
  const dirs = c.root.layout === "own" ? ["etc"] : ["etc", "conf/base/etc", "conf/default/etc", `conf/${c.ip}/etc`];
  return dirs.flatMap((d) => [`${d}/rc.conf`, `${d}/rc.conf.local`]);
}

/** Warnings for every such line in the client roots under `targetRoot` (as `apply --root`). */
export function clientRcConfFindings(inv: Inventory, targetRoot: string, read: ClientFileReader): Finding[] {
  const findings = new Map<string, Finding>();
  inv.clients.forEach((c, index) => {
    if (c.kind !== "freebsd-lagg") return;
    const rootDir = join(targetRoot, c.root.path);
    for (const rel of rcConfFiles(c)) {
      const text = read(rootDir, rel);
      if (text === undefined) continue;
      const file = join(rootDir, rel);
      for (const d of dhcpLines(text, flipInterfaces(c))) {
        const key = `${file}:${d.line}`;
        if (findings.has(key)) continue;
        const message = d.name === "ifconfig_DEFAULT"
          ? `ifconfig_DEFAULT="${d.value}" asks for DHCP on every interface without its own line, the boot NIC ${c.lagg.bootif || c.wired} included: /etc/rc.d/lagg will not flip`
          : `${d.name}="${d.value}" asks for DHCP: dhclient (started by devd's replayed link events) would take the boot address over after the flip, so /etc/rc.d/lagg will not flip`;
        findings.set(key, { code: "LB_WARN_CLIENT_RC_DHCP", severity: "warning", message, file, line: d.line, col: d.col, path: `clients[${index}]` });
      }
    }
  });
  return [...findings.values()];
}
