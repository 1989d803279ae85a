/**
 * Which boot program a client gets. A client already running iPXE gets the
 * iPXE script, never a boot program (handing iPXE its own ROM image again
 * makes it loop). Everyone else gets the program for its option 93
 * architecture: the reservation's own choice first, then the site table.
 */
import { ClientArch } from "../../wire/dhcp4/codes.js";
import type { ClientFacts } from "./client.js";
import type { DhcpPolicy, DhcpReservation } from "./policy.js";

export interface BootChoice {
  readonly file: string;
  /** "ipxe-script" or "arch-N". */
  readonly why: string;
}

export function chooseBoot(policy: DhcpPolicy, r: DhcpReservation | undefined, c: ClientFacts): BootChoice | undefined {
  if (c.ipxe) {
    const script = r?.ipxeScript ?? policy.ipxeScript;
    return script === undefined ? undefined : { file: script, why: "ipxe-script" };
  }
  // No option 93 and no "Arch:" in the vendor class: a legacy BIOS PXE ROM or a non-PXE client.
  const arch = c.arch ?? ClientArch.X86Bios;
  const file = r?.bootFiles?.get(arch) ?? r?.bootFile ?? policy.bootFiles.byArch.get(arch) ?? policy.bootFiles.default;
  return file === undefined ? undefined : { file, why: `arch-${arch}` };
}
