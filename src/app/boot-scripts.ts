/**
 * Files laggboot renders per client instead of reading them from the TFTP
 * root: each Linux client's iPXE script, laggboot/NAME.ipxe
 * (src/render/ipxe-script.ts). One function for every server that hands out
 * boot files: TFTP today, and an HTTP boot-file server may call the same
 * provider with its own base URL. Reads the inventory at each request, so a
 * reload changes the scripts at once.
 */
import type { Inventory, LinuxLaggClient } from "../config/types.js";
import { renderLinuxIpxeScript } from "../render/ipxe-script.js";
import { tftpServerFor } from "../render/site-common.js";

/** A virtual file's content for a path relative to the boot root, or undefined to fall through to the files on disk. */
export type BootFileProvider = (path: string) => string | undefined;

/** Where a client's script fetches its kernel and initrd from, e.g. "tftp://198.18.0.1/". */
export type BaseUrlFor = (inv: Inventory, client: LinuxLaggClient) => string;

/** laggboot's own TFTP server, on the address the client's network is sent to (port omitted when 69). */
export function tftpBaseUrl(port: () => number): BaseUrlFor {
  return (inv, c) => {
    const p = port();
    return `tftp://${tftpServerFor(inv, c.network)}${p === 69 ? "" : `:${p}`}/`;
  };
}

export function bootScriptProvider(inventory: () => Inventory, baseUrl: BaseUrlFor): BootFileProvider {
  return (path) => {
    const inv = inventory();
    const c = inv.clients.find((x): x is LinuxLaggClient => x.kind === "linux-lagg" && x.boot.ipxeScript === path);
    return c === undefined ? undefined : renderLinuxIpxeScript(c, baseUrl(inv, c));
  };
}
