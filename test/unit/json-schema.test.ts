import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inventoryJsonSchema } from "../../src/config/json-schema.js";

test("docs/laggboot.schema.json is generated from the validator's schema (npm run schema)", () => {
  assert.equal(readFileSync("docs/laggboot.schema.json", "utf8"), inventoryJsonSchema());
});

test("the JSON Schema describes clients of both kinds and the server keys", () => {
  const s = JSON.parse(inventoryJsonSchema()) as { properties: Record<string, unknown>; required?: string[] };
  const text = JSON.stringify(s);
  for (const needle of ['"freebsd-lagg"', '"pxe"', '"passphraseFile"', '"wiredPrimary"', '"x64Uefi"', '"relayed"']) assert.ok(text.includes(needle), needle);
  assert.deepEqual(s.required, ["server"]);
});
