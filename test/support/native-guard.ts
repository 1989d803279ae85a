/**
 * For the tests of the native addons (the TFTP data path, the DHCP sockets):
 * whether the addon is there. A missing addon is a failing test (`npm run
 * build` must produce it; the suite's machine has g++, make and python3 from
 * .ci/run). A developer who cannot build it sets LAGGBOOT_TEST_NO_NATIVE=1 to
 * see the native tests reported as skipped, with the reason, instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadNative } from "../../src/servers/tftp/native.js";
import { loadNativeDhcp } from "../../src/servers/dhcp/native.js";
import type { AddonLoad } from "../../src/servers/native-addon.js";

function guard(l: AddonLoad<unknown>, what: string): boolean {
  if (l.ok) return true;
  if (process.env.LAGGBOOT_TEST_NO_NATIVE === "1") {
    test(`${what} tests`, { skip: `${l.reason} (LAGGBOOT_TEST_NO_NATIVE=1)` }, () => undefined);
  } else {
    test(`the ${what} is built (set LAGGBOOT_TEST_NO_NATIVE=1 to skip its tests)`, () => assert.fail(l.reason));
  }
  return false;
}

export function requireNative(): boolean {
  return guard(loadNative(), "native TFTP data path");
}

export function requireNativeDhcp(): boolean {
  return guard(loadNativeDhcp(), "native DHCP socket layer");
}
