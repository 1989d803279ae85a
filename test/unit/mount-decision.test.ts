/** isExportedTo: which export governs a path, and whether its groups name the client. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { isExportedTo, matchGroup, normalizeExportPath } from "../../src/protocol/nfs-export.js";
import { GANESHA_EXPORTS } from "./mount-recorded-ganesha.js";

const client = (address: string, ...hostnames: string[]) => ({ address, hostnames });

test("group names: hosts, networks (CIDR and netmask), names, wildcards, everyone", () => {
  const c = client("198.18.4.10", "pc1.lab.example", "pc1");
  const cases: [string, string, boolean | "unknown"][] = [
    ["198.18.4.10", "host", true],
    ["198.18.4.11", "host", false],
    ["198.18.4.10/32", "network", true],
    ["198.18.4.0/24", "network", true],
    ["198.18.5.0/24", "network", false],
    ["198.18.0.0/255.254.0.0", "network", true],
    ["198.18.4.0/255.255.255.128", "network", true],
    ["198.18.4.128/255.255.255.128", "network", false],
    ["0.0.0.0/0", "network", true],
    ["pc1.lab.example", "hostname", true],
    ["PC1.LAB.EXAMPLE.", "hostname", true],
    ["pc1", "hostname", true],
    ["pc2.lab.example", "hostname", false],
    ["pc1.other.example", "hostname", false],
    ["*.lab.example", "wildcard", true],
    ["pc?.lab.example", "wildcard", true],
    ["*.other.example", "wildcard", false],
    ["*", "everyone", true],
    ["(everyone)", "everyone", true],
    ["@diskless", "netgroup", "unknown"],
    ["<unknown>", "unknown", "unknown"],
    ["198.18.4.0/255.0.255.0", "unknown", "unknown"],
    ["fd00::/64", "ipv6", false],
    ["2001:db8::1", "ipv6", false],
  ];
  for (const [group, kind, matches] of cases) {
    assert.deepEqual(matchGroup(group, c), { group, kind, matches }, group);
  }
  // Without known names, a host-name group cannot match.
  assert.equal(matchGroup("pc1.lab.example", client("198.18.4.10")).matches, false);
});

test("paths: exact export, longest exported parent, not a sibling with a common prefix", () => {
  const exports = [
    { dir: "/srv/roots", groups: ["198.18.4.0/24"] },
    { dir: "/srv/roots/pc1/", groups: ["198.18.4.10"] },
    { dir: "/srv/rootsX", groups: [] },
  ];
  const exact = isExportedTo(exports, "/srv/roots/pc1", "198.18.4.10");
  assert.equal(exact.verdict, "allowed");
  assert.ok(exact.verdict === "allowed" && exact.pathMatch === "exact" && exact.by.group === "198.18.4.10");
  // pc1's own export is more specific than the /24 on its parent: it governs, and denies .11
  assert.equal(isExportedTo(exports, "/srv/roots/pc1", "198.18.4.11").verdict, "denied");
  const parent = isExportedTo(exports, "/srv/roots/pc2", "198.18.4.12");
  assert.ok(parent.verdict === "allowed" && parent.pathMatch === "parent" && parent.entry.dir === "/srv/roots");
  assert.equal(isExportedTo(exports, "/srv/rootsY", "198.18.4.12").verdict, "not-listed");
  assert.equal(isExportedTo([{ dir: "/", groups: [] }], "/anything/at/all", "198.18.4.12").verdict, "allowed");
  assert.equal(normalizeExportPath("//srv///roots/"), "/srv/roots");
  assert.equal(normalizeExportPath("/"), "/");
});

test("the recorded nfs-ganesha list: host /32, network, unresolved name, everyone", () => {
  const root1 = "/tmp/lbqg/export/root1";
  assert.equal(isExportedTo(GANESHA_EXPORTS, root1, "198.18.250.10").verdict, "allowed");
  assert.equal(isExportedTo(GANESHA_EXPORTS, root1, "198.18.251.99").verdict, "allowed");
  // .11 matches no address group; the "<unknown>" entry might be it: undecided, not allowed
  const v = isExportedTo(GANESHA_EXPORTS, root1, "198.18.250.11");
  assert.ok(v.verdict === "undecided" && v.undecided.map((g) => g.group).join() === "<unknown>");
  const everyone = isExportedTo(GANESHA_EXPORTS, "/tmp/lbqg/export/root2", "203.0.113.5");
  assert.ok(everyone.verdict === "allowed" && everyone.by.kind === "everyone");
  const none = isExportedTo(GANESHA_EXPORTS, "/usr/diskless/pc1", "198.18.250.10");
  assert.ok(none.verdict === "not-listed" && none.listed.length === 2);
});

test("denied lists every group with how it was read; duplicate entries merge", () => {
  const v = isExportedTo([{ dir: "/r", groups: ["198.18.9.0/24", "pc9"] }], "/r", "198.18.4.10", ["pc1"]);
  assert.ok(v.verdict === "denied");
  assert.deepEqual(v.groups.map((g) => [g.kind, g.matches]), [["network", false], ["hostname", false]]);
  // The same directory listed twice (two export blocks): groups are combined.
  const merged = isExportedTo([{ dir: "/r", groups: ["198.18.9.1"] }, { dir: "/r/", groups: ["198.18.4.10"] }], "/r", "198.18.4.10");
  assert.equal(merged.verdict, "allowed");
  // An entry without groups among them means everyone.
  const open = isExportedTo([{ dir: "/r", groups: ["198.18.9.1"] }, { dir: "/r", groups: [] }], "/r", "198.18.4.10");
  assert.ok(open.verdict === "allowed" && open.by.kind === "everyone");
});
