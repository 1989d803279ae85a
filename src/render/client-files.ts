/**
 * Every file one freebsd-lagg client needs, for either root layout:
 * - own root: files straight into ROOT/etc and ROOT/boot;
 * - shared root: the rc.initdiskless layout (design notes section 1.7):
 *   conf/base/etc/diskless_remount seeds a RAM /etc from ROOT/etc,
 *   conf/base/etc/md_size sizes it, conf/<ip>/etc/ holds the client's files.
 */
import { LaggbootError } from "../errors.js";
import type { FreebsdLaggClient, Inventory } from "../config/types.js";
import type { FileSet, GeneratedFile } from "./fileset.js";
import { renderLoaderConfLocal } from "./loader-conf.js";
import { renderRcConfLocal } from "./rc-conf-local.js";
import { renderSysctlConfLocal } from "./sysctl-conf.js";
import { renderWpaSupplicantConf } from "./wpa-supplicant.js";

export const FLIP_SCRIPT_PATH = "etc/rc.d/lagg";
const PSK_LINE = /^\s*psk=/;

export function findFreebsdClient(inv: Inventory, name: string): FreebsdLaggClient {
  const c = inv.clients.find((x) => x.name === name);
  if (!c) throw new LaggbootError("LB_ERR_REFERENCE", `no client named "${name}" in the inventory`);
  if (c.kind !== "freebsd-lagg") throw new LaggbootError("LB_ERR_REFERENCE", `client "${name}" is of kind ${c.kind}; client files exist only for freebsd-lagg clients`);
  return c;
}

/** The clients that boot from the same root directory as `c` (just `c` for an own root). */
export function rootSharers(inv: Inventory, c: FreebsdLaggClient): FreebsdLaggClient[] {
  return inv.clients.filter((x): x is FreebsdLaggClient => x.kind === "freebsd-lagg" && x.root.path === c.root.path);
}

export function renderClientFiles(inv: Inventory, c: FreebsdLaggClient, flipScript: string): FileSet {
  const files: GeneratedFile[] = [];
  const etc = c.root.layout === "own" ? "etc" : `conf/${c.ip}/etc`;
  files.push({ path: `${etc}/rc.conf.local`, content: renderRcConfLocal(c), mode: 0o644 });
  files.push({ path: `${etc}/sysctl.conf.local`, content: renderSysctlConfLocal(c), mode: 0o644 });
  const wpa = renderWpaSupplicantConf(c);
  if (wpa !== undefined) files.push({ path: `${etc}/wpa_supplicant.conf`, content: wpa, mode: 0o600, secret: PSK_LINE });
  if (c.root.layout === "shared") {
    // rc.initdiskless reads these two with cat: no comments allowed in them.
    files.push({ path: "conf/base/etc/diskless_remount", content: "/etc\n", mode: 0o644 });
    files.push({ path: "conf/base/etc/md_size", content: `${c.root.etcMdSize}\n`, mode: 0o644 });
    const sharers = rootSharers(inv, c);
    files.push({ path: "boot/loader.conf.local", content: renderLoaderConfLocal(sharers, `the shared root ${c.root.path} (${sharers.map((s) => s.name).join(", ")})`), mode: 0o644 });
  } else {
    files.push({ path: "boot/loader.conf.local", content: renderLoaderConfLocal([c], c.name), mode: 0o644 });
  }
  files.push({ path: FLIP_SCRIPT_PATH, content: flipScript, mode: 0o555 });
  return { baseDir: c.root.path, files };
}

/** Every freebsd-lagg client's files, or one client's. */
export function renderAllClientFiles(inv: Inventory, flipScript: string, only?: string): FileSet[] {
  const clients = only !== undefined ? [findFreebsdClient(inv, only)] : inv.clients.filter((c): c is FreebsdLaggClient => c.kind === "freebsd-lagg");
  return clients.map((c) => renderClientFiles(inv, c, flipScript));
}
