/** Which inventory changes a running server applies on reload, and which need a restart (HTTP boot). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { restartNeeded } from "../../src/app/app.js";
import { HTTP_BOOT_SITE, loadOk } from "../support/site-variants.js";

test("reload: who boots over HTTP applies in place; the HTTP boot listener's address, port, limits, pages, or turning it on or off need a restart", () => {
  const base = loadOk(HTTP_BOOT_SITE);
  const edit = (from: string, to: string) => loadOk(HTTP_BOOT_SITE.replace(from, to));
  assert.equal(restartNeeded(base, base), undefined);
  assert.equal(restartNeeded(base, edit('protocolByArch: { "7": tftp }', "protocol: tftp")), undefined, "protocol is DHCP policy");
  for (const [from, to] of [["port: 8080", "port: 8081"], ["address: 198.18.0.1\n    port", "address: 0.0.0.0\n    port"], ["port: 8080", "port: 8080\n    maxConnections: 10"], ["port: 8080", "port: 8080\n    listDirectories: false"]] as const) {
    assert.match(restartNeeded(base, edit(from, to)) ?? "", /server\.httpBoot's listener changed/, to);
  }
  const off = loadOk(HTTP_BOOT_SITE.replace(/ {2}httpBoot:\n(?: {4}.*\n)+/, ""));
  assert.equal(off.server.httpBoot, undefined);
  assert.match(restartNeeded(off, base) ?? "", /httpBoot/);
  assert.match(restartNeeded(base, off) ?? "", /httpBoot/);
});
