/**
 * For the tests of the native TFTP data path: whether the addon is there.
 * A missing addon is a failing test (`npm run build` must produce it; the
 * suite's machine has g++, make and python3 from .ci/run). A developer who
 * cannot build it sets LAGGBOOT_TEST_NO_NATIVE=1 to see the native tests
 * reported as skipped, with the reason, instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadNative } from "../../src/servers/tftp/native.js";

export function requireNative(): boolean {
  const l = loadNative();
  if (l.ok) return true;
  if (process.env.LAGGBOOT_TEST_NO_NATIVE === "1") {
    test("native TFTP data path tests", { skip: `${l.reason} (LAGGBOOT_TEST_NO_NATIVE=1)` }, () => undefined);
  } else {
    test("the native TFTP data path is built (set LAGGBOOT_TEST_NO_NATIVE=1 to skip its tests)", () => assert.fail(l.reason));
  }
  return false;
}
