/** Files shipped with laggboot (assets/), read from the installed package. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LaggbootError } from "./errors.js";
import type { LinuxClientAssets } from "./render/linux-client-files.js";

/** dist/src/assets.js -> package root. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function assetPath(rel: string): string {
  return `${PACKAGE_ROOT}assets/${rel}`;
}

/** The client-side flip script, installed as /etc/rc.d/lagg (docs/client-flip.md). */
export function readFlipScript(): string {
  const path = assetPath("freebsd/rc.d/lagg");
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new LaggbootError("LB_ERR_IO", `cannot read the flip script ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The Linux client scripts (assets/linux/): initramfs-tools scripts and hooks, and the run-time flip. */
export function readLinuxClientAssets(): LinuxClientAssets {
  const read = (rel: string): string => {
    const path = assetPath(rel);
    try {
      return readFileSync(path, "utf8");
    } catch (e) {
      throw new LaggbootError("LB_ERR_IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
  };
  return {
    nfsTopScript: read("linux/initramfs-tools/scripts/nfs-top/laggboot-bond"),
    initramfsHook: read("linux/initramfs-tools/hooks/laggboot-bond"),
    flipScript: read("linux/laggboot-flip"),
    nfsBootScript: read("linux/initramfs-tools/scripts/laggboot-nfs"),
    nfsHook: read("linux/initramfs-tools/hooks/laggboot-nfs"),
    wifiScript: read("linux/laggboot-wifi"),
  };
}
