/**
 * The client files `apply` writes and `render client-files` prints, for every
 * client that has any: FreeBSD lagg clients (client-files.ts) and Linux lagg
 * clients (linux-client-files.ts). `only` names one client.
 */
import { LaggbootError } from "../errors.js";
import type { Inventory, LinuxLaggClient } from "../config/types.js";
import { renderAllClientFiles } from "./client-files.js";
import type { FileSet } from "./fileset.js";
import { renderLinuxClientFiles, type LinuxClientAssets } from "./linux-client-files.js";

export interface ClientAssets {
  /** assets/freebsd/rc.d/lagg */
  readonly freebsdFlipScript: string;
  readonly linux: LinuxClientAssets;
}

export function renderClientFileSets(inv: Inventory, assets: ClientAssets, only?: string): FileSet[] {
  if (only !== undefined) {
    const c = inv.clients.find((x) => x.name === only);
    if (c === undefined) throw new LaggbootError("LB_ERR_REFERENCE", `no client named "${only}" in the inventory`);
    if (c.kind === "pxe") throw new LaggbootError("LB_ERR_REFERENCE", `client "${only}" is of kind pxe; client files exist only for lagg clients (FreeBSD and Linux)`);
    return c.kind === "linux-lagg" ? [renderLinuxClientFiles(c, assets.linux)] : renderAllClientFiles(inv, assets.freebsdFlipScript, only);
  }
  const linux = inv.clients.filter((c): c is LinuxLaggClient => c.kind === "linux-lagg");
  return [...renderAllClientFiles(inv, assets.freebsdFlipScript), ...linux.map((c) => renderLinuxClientFiles(c, assets.linux))];
}
