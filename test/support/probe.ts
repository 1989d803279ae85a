/** An in-memory SiteProbe: which paths exist and what secret files hold. */
import type { SiteProbe } from "../../src/config/load.js";

export function fakeProbe(files: Record<string, string> = {}, dirs: readonly string[] = []): SiteProbe {
  return {
    readSecret(path) {
      const v = files[path];
      return v === undefined ? { ok: false, error: "ENOENT" } : { ok: true, value: v.split("\n")[0] ?? "" };
    },
    kindOf(path) {
      if (files[path] !== undefined) return "file";
      if (dirs.includes(path)) return "dir";
      return "missing";
    },
  };
}

/** A probe where the TFTP root holds the example's boot files (the kiosk's iPXE script too). */
export const siteProbe = fakeProbe(
  { "/srv/tftp/pxeboot": "x", "/srv/tftp/loader.efi": "x", "/srv/tftp/boot.ipxe": "x", "/srv/tftp/kiosk.ipxe": "x" },
  ["/srv/tftp"],
);
