/**
 * Loading laggboot's native addons (build/Release/*.node, built by
 * `npm run build` from native/): Linux only, and a reason in words when one
 * cannot be used, for the server that then falls back to its pure-Node path.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export type AddonLoad<T> = { readonly ok: true; readonly addon: T } | { readonly ok: false; readonly reason: string };

/** dist/src/servers/native-addon.js -> <package>/build/Release/NAME.node */
export function addonPath(name: string): string {
  return fileURLToPath(new URL(`../../../build/Release/${name}.node`, import.meta.url));
}

/** `what` names the addon in the reason ("native TFTP data path"); `valid` checks its exports. */
export function loadAddon<T>(path: string, what: string, valid: (addon: T) => boolean): AddonLoad<T> {
  if (process.platform !== "linux") return { ok: false, reason: `the ${what} is Linux-only (this is ${process.platform})` };
  try {
    const addon = createRequire(import.meta.url)(path) as T;
    if (!valid(addon)) throw new Error("unexpected exports");
    return { ok: true, addon };
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" ? "not built" : String((e as Error).message ?? e);
    return { ok: false, reason: `${what} unavailable (${path}: ${msg}); run \`npm run build\`` };
  }
}
