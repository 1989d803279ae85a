/**
 * Files laggboot renders per client instead of reading them from the TFTP
 * root: each Linux client's iPXE script, laggboot/NAME.ipxe
 * (src/render/ipxe-script.ts). One function for every server that hands out
 * boot files, each with its own base URL: a script fetched over TFTP names
 * its kernel and initrd over TFTP, one fetched over HTTP names them over
 * HTTP (which DHCP chooses: src/protocol/dhcp/boot.ts). Reads the inventory
 * at each request, so a reload changes the scripts at once.
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

/** laggboot's boot-file HTTP server: its address, or the client network's server address when it listens on 0.0.0.0. */
export function httpBaseUrl(port: () => number): BaseUrlFor {
  return (inv, c) => {
    const h = inv.server.httpBoot;
    const host = h === undefined || h.address === "0.0.0.0" ? tftpServerFor(inv, c.network) : h.address;
    const p = port();
    return `http://${host}${p === 80 ? "" : `:${p}`}/`;
  };
}

export function bootScriptProvider(inventory: () => Inventory, baseUrl: BaseUrlFor): BootFileProvider {
  return (path) => {
    const inv = inventory();
    const c = inv.clients.find((x): x is LinuxLaggClient => x.kind === "linux-lagg" && x.boot.ipxeScript === path);
    return c === undefined ? undefined : renderLinuxIpxeScript(c, baseUrl(inv, c));
  };
}
