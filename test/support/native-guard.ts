/**
 * For the tests of the native TFTP data path: whether the addon is there.
 * Under CI=true a missing addon is a failing test (the build must produce
 * it); elsewhere the native tests are reported as skipped, with the reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadNative } from "../../src/servers/tftp/native.js";

export function requireNative(): boolean {
  const l = loadNative();
  if (l.ok) return true;
  if (process.env.CI === "true") {
    test("the native TFTP data path is built (required when CI=true)", () => assert.fail(l.reason));
  } else {
    test("native TFTP data path tests", { skip: l.reason }, () => undefined);
  }
  return false;
}
