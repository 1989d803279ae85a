/**
 * The generated DHCP server configurations pass the real servers' own
 * checkers: `dhcpd -t`, `kea-dhcp4 -t` and `dnsmasq --test`, for the example,
 * proxy and shared-root inventories and for generated 500-client inventories
 * in both modes. Nothing is started: each tool only parses the file. The
 * tools come from Debian (isc-dhcp-server, kea-dhcp4-server, dnsmasq-base);
 * a missing tool fails the test rather than skipping it.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Inventory } from "../../src/config/types.js";
import { renderIscDhcpd } from "../../src/render/isc-dhcpd.js";
import { renderKea } from "../../src/render/kea.js";
import { renderDnsmasq } from "../../src/render/dnsmasq.js";
import { SITE_VARIANTS, loadOk } from "../support/site-variants.js";
import { bigInventoryYaml } from "../support/big-inventory.js";
import { fakeProbe } from "../support/probe.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "lb-render-tools-"));
  writeFileSync(join(dir, "dhcpd.leases"), "");
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Checker {
  readonly tool: string;
  readonly ext: string;
  readonly render: (inv: Inventory) => string;
  readonly args: (file: string) => string[];
}

const CHECKERS: readonly Checker[] = [
  // -lf/-pf in the temp dir: dhcpd resolves both paths even when it only tests the file.
  { tool: "dhcpd", ext: "conf", render: renderIscDhcpd, args: (f) => ["-t", "-q", "-cf", f, "-lf", join(dir, "dhcpd.leases"), "-pf", join(dir, "dhcpd.pid")] },
  { tool: "kea-dhcp4", ext: "json", render: renderKea, args: (f) => ["-t", f] },
  { tool: "dnsmasq", ext: "conf", render: renderDnsmasq, args: (f) => ["--test", "-C", f] },
];

/** Runs the checker on text; returns its exit status and output. */
function check(c: Checker, name: string, text: string): { status: number | null; output: string } {
  const file = join(dir, `${name}.${c.tool}.${c.ext}`);
  writeFileSync(file, text);
  const r = spawnSync(c.tool, c.args(file), { encoding: "utf8", timeout: 60_000 });
  if (r.error) assert.fail(`${c.tool} could not run (${r.error.message}); install it (see .ci/run)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Loads once per name: the 500-client inventories are shared by the three tools. */
function once(load: () => Inventory): () => Inventory {
  let inv: Inventory | undefined;
  return () => (inv ??= load());
}

const INVENTORIES: Record<string, () => Inventory> = {
  ...SITE_VARIANTS,
  "big500-full": once(() => loadOk(bigInventoryYaml(500, { mode: "full" }), fakeProbe())),
  "big500-proxy": once(() => loadOk(bigInventoryYaml(500, { mode: "proxy" }), fakeProbe())),
};

for (const c of CHECKERS) {
  test(`${c.tool} rejects a broken file (the check can fail)`, () => {
    const inv = SITE_VARIANTS["example"]!();
    // Drop the last closing brace (dhcpd, Kea) or add an unknown option (dnsmasq).
    const broken = c.tool === "dnsmasq" ? `${c.render(inv)}no-such-option=1\n` : c.render(inv).replace(/\}\s*$/, "\n");
    const r = check(c, "broken", broken);
    assert.notEqual(r.status, 0, `${c.tool} accepted a broken file:\n${r.output}`);
  });

  for (const [name, load] of Object.entries(INVENTORIES)) {
    test(`${c.tool} accepts the ${name} configuration`, () => {
      const r = check(c, name, c.render(load()));
      assert.equal(r.status, 0, `${c.tool} rejected ${name}:\n${r.output.slice(-3000)}`);
      if (c.tool === "kea-dhcp4") assert.ok(!/\bERROR\b/.test(r.output), r.output.slice(-3000));
    });
  }
}
