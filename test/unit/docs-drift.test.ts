/**
 * Docs that drifted from the code (issue 11), held against it where that is
 * cheap: the status table docs/http-api.md shows is what `laggboot status`
 * prints for the documented client (its messageType is the server's "ACK",
 * not "DHCPACK"); the TFTP limits the README and docs/tftp.md give for
 * `laggboot serve` are the inventory's defaults. (The documented
 * /api/v1/clients answer is compared with a real server's in
 * test/integration/serve.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatTable } from "../../src/cli/status.js";
import type { ClientStatus } from "../../src/app/status-types.js";
import { loadInventoryText } from "../../src/config/load.js";
import { fakeProbe } from "../support/probe.js";
import { consoleOutput } from "../support/doc-examples.js";

const API = "docs/http-api.md";

test("docs/http-api.md: the status table is what laggboot status prints for the documented client, with the server's message type names", () => {
  const [laptop] = JSON.parse(consoleOutput(API, "curl -s 'http://127.0.0.1:8067/api/v1/clients?name=laptop1'")) as ClientStatus[];
  assert.ok(laptop);
  assert.ok(["OFFER", "ACK", "NAK"].includes(laptop.lastDhcp!.messageType), `messageType ${laptop.lastDhcp!.messageType} is not a name the server sends`);
  const kiosk: ClientStatus = { name: "kiosk", kind: "pxe", fqdn: "kiosk.lab.example", ip: "198.18.0.12", macs: [], stage: undefined, stages: [], lastDhcp: undefined, files: [], lastSeenMs: undefined };
  assert.equal(formatTable([laptop, kiosk], laptop.lastSeenMs! + 4000), consoleOutput(API, "laggboot status"));
});

test("README and docs/tftp.md give laggboot serve's per-client TFTP limits as the inventory's defaults", () => {
  const inv = loadInventoryText("server:\n  address: 198.18.0.1\n  networks: [{ name: lan, prefix: 198.18.0.0/24 }]\nclients: []\n", "x.yaml", fakeProbe()).inventory!;
  const { maxTransfers, maxTransfersPerClient } = inv.server.tftp;
  const readme = readFileSync("README.md", "utf8");
  assert.match(readme, new RegExp(`^\\| \`tftp\\.maxTransfers\`, \`\\.maxTransfersPerClient\` \\| ${maxTransfers}, ${maxTransfersPerClient} \\|`, "m"));
  const tftp = readFileSync("docs/tftp.md", "utf8");
  assert.match(tftp, new RegExp(`laggboot serve\` always passes the inventory's \`server\\.tftp\\.maxTransfers\` / \`\\.maxTransfersPerClient\`, whose defaults are ${maxTransfers} / ${maxTransfersPerClient}`));
});
