/**
 * Client roots as directories: one spelling per directory in check, apply and
 * exports; `/` refused; a root inside another client's root refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInventoryText } from "../../src/config/load.js";
import { renderAllClientFiles } from "../../src/render/client-files.js";
import { renderExportsFreebsd, renderExportsLinux } from "../../src/render/exports.js";
import { at, check, only } from "../support/check-base.js";
import { siteProbe } from "../support/probe.js";

/** A second freebsd-lagg client (lines 19-23) with the given root line. */
const withSecond = (rootA: string, rootC: string) => (l: string[]): void => {
  l.splice(14, 0, `    root: ${rootA}`);
  l.push("  - name: c", "    kind: freebsd-lagg", "    ip: 198.18.0.12", "    macs: [00:1e:68:aa:bb:02]", "    wired: re0", `    root: ${rootC}`);
};

test("/srv/x, /srv/x/ and //srv//x are one own root: two clients on it are duplicates", () => {
  for (const [a, c] of [["/srv/x", "/srv/x/"], ["/srv/x", "//srv//x"], ["/srv/./x/", "/srv/x"]] as const) {
    const f = only(check(withSecond(`{ path: "${a}" }`, `{ path: "${c}" }`)), "LB_ERR_DUPLICATE");
    assert.equal(f.path, "clients[2].root.path");
    assert.match(f.message, /own root \/srv\/x is also used by clients\[0\] \(a\)/);
  }
});

test("a shared root spelt two ways is one root: exports list each directory once, apply writes it once", () => {
  const f = check(withSecond("{ layout: shared, path: /srv/s }", "{ layout: shared, path: /srv/s/, readOnly: false }"));
  assert.deepEqual(f.filter((x) => x.severity === "error"), []);
  const yaml = [
    "server: { address: 198.18.0.1, networks: [{ prefix: 198.18.0.0/24 }] }",
    "clients:",
    "  - { name: a, kind: freebsd-lagg, ip: 198.18.0.10, macs: ['00:1e:68:aa:bb:01'], wired: re0, root: { layout: shared, path: /srv/s } }",
    "  - { name: b, kind: freebsd-lagg, ip: 198.18.0.11, macs: ['00:1e:68:aa:bb:02'], wired: re0, root: { layout: shared, path: '//srv//s/' } }",
    "  - { name: c, kind: freebsd-lagg, ip: 198.18.0.12, macs: ['00:1e:68:aa:bb:03'], wired: re0, root: { layout: shared, path: /srv/s, readOnly: false } }",
  ].join("\n");
  const inv = loadInventoryText(yaml, "t.yaml", siteProbe).inventory!;
  assert.ok(inv);
  const linux = renderExportsLinux(inv).replace(/ \\\n\s+/g, " ").split("\n").filter((l) => l.startsWith("/"));
  assert.deepEqual(linux.map((l) => l.split(" ")[0]), ["/srv/s", "/srv/s/etc"], "each directory once");
  assert.match(linux[0]!, /198\.18\.0\.10\(ro,.*198\.18\.0\.11\(ro,.*198\.18\.0\.12\(rw,/);
  // FreeBSD gives options per line: one line per option set, each with its own hosts, never a host twice.
  const bsd = renderExportsFreebsd(inv).split("\n").filter((l) => l.startsWith("/"));
  assert.deepEqual(bsd, ["/srv/s /srv/s/etc -maproot=root 198.18.0.12", "/srv/s /srv/s/etc -ro -maproot=root 198.18.0.10 198.18.0.11"]);
  // apply writes one root, not two spellings of it that flip each other's files.
  assert.deepEqual([...new Set(renderAllClientFiles(inv, "#!/bin/sh\n").map((s) => s.baseDir))], ["/srv/s"]);
});

test("root.path: / is an error, and so is nfs.rootsDir: /", () => {
  const f = only(check((l) => l.splice(14, 0, "    root: { path: / }")), "LB_ERR_ROOT_PATH");
  assert.equal(at(f), "15:19 clients[0].root.path");
  assert.match(f.message, /cannot be \//);
  assert.equal(only(check((l) => l.splice(14, 0, "    root: { path: //./ }")), "LB_ERR_ROOT_PATH").path, "clients[0].root.path");
  const g = only(check((l) => l.splice(7, 0, "  nfs: { rootsDir: / }")), "LB_ERR_ROOT_PATH");
  assert.equal(g.path, "server.nfs.rootsDir");
});

test("a root nested in another client's root is an error at the inner root", () => {
  const f = only(check(withSecond("{ path: /srv/x }", "{ path: /srv/x/inner/c }")), "LB_ERR_ROOT_PATH");
  assert.equal(at(f), "26:19 clients[2].root.path");
  assert.match(f.message, /root \/srv\/x\/inner\/c \(c\) lies inside the root \/srv\/x of a/);
  // A shared root's clients mount ROOT/etc too: an own root there is inside it.
  const g = only(check(withSecond("{ layout: shared, path: /srv/s }", "{ path: /srv/s/etc }")), "LB_ERR_ROOT_PATH");
  assert.equal(g.path, "clients[2].root.path");
  // Siblings with a common prefix are not nested.
  assert.equal(check(withSecond("{ path: /srv/x }", "{ path: /srv/x2 }")).filter((x) => x.severity === "error").length, 0);
});
