/**
 * The pure half of the HTTP boot server: request targets (the first half of
 * the path jail), Range, conditional requests, the response plan, content
 * types and directory pages.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  contentTypeFor, directoryListing, evaluatePreconditions, fileValidators, httpDate, parseRange, parseTarget, planFile, rangeApplies, urlPath,
} from "../../src/protocol/http-boot/index.js";

test("target: origin and absolute form, query dropped, trailing slash kept as a directory ask", () => {
  assert.deepEqual(parseTarget("/kernel", 1024), { ok: true, path: "kernel", segments: ["kernel"], directory: false });
  assert.deepEqual(parseTarget("/a//b/./c?x=1#f", 1024), { ok: true, path: "a/b/c", segments: ["a", "b", "c"], directory: false });
  assert.deepEqual(parseTarget("http://198.18.0.1:8080/boot/loader.efi", 1024), { ok: true, path: "boot/loader.efi", segments: ["boot", "loader.efi"], directory: false });
  assert.deepEqual(parseTarget("/boot/kernel/", 1024), { ok: true, path: "boot/kernel", segments: ["boot", "kernel"], directory: true });
  assert.deepEqual(parseTarget("/", 1024), { ok: true, path: "", segments: [], directory: true });
  assert.deepEqual(parseTarget("http://h", 1024), { ok: true, path: "", segments: [], directory: true });
  assert.deepEqual(parseTarget("/my%20file", 1024), { ok: true, path: "my file", segments: ["my file"], directory: false });
});

test("target: traversal in every spelling is refused 403, bad escapes 400, long paths 414", () => {
  const forbidden = [
    "/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/etc", "/..%2fetc/passwd", "/..%5cetc", "/..\\etc",
    "/a/%2e%2e%2f%2e%2e%2fetc", "http://x/../etc/passwd", "/a%00b", "/%0a", "/%ff", "/\u00e9", "/.%2e/x",
  ];
  for (const t of forbidden) {
    const r = parseTarget(t, 1024);
    assert.equal(r.ok, false, t);
    if (!r.ok) assert.equal(r.status, 403, t);
  }
  for (const t of ["/%", "/%2", "/%zz", "*", "etc/passwd", ""]) {
    const r = parseTarget(t, 1024);
    assert.equal(r.ok, false, t);
    if (!r.ok) assert.equal(r.status, 400, t);
  }
  // Double encoding decodes once: a literal "%2e%2e" name, harmless (it is looked up, not climbed).
  assert.deepEqual(parseTarget("/%252e%252e/x", 1024), { ok: true, path: "%2e%2e/x", segments: ["%2e%2e", "x"], directory: false });
  const long = parseTarget(`/${"a".repeat(2000)}`, 1024);
  assert.ok(!long.ok && long.status === 414);
});

test("property: any target either is refused or names a path of printable segments without '..'", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.boolean(), (s, slash) => {
    const r = parseTarget((slash ? "/" : "") + s, 1024);
    if (!r.ok) return;
    assert.ok(!r.segments.includes("..") && !r.segments.includes(".") && !r.segments.includes(""));
    assert.ok(/^[\x20-\x7e]*$/.test(r.path));
    assert.ok(!r.path.includes("\\") && !r.path.startsWith("/"));
  }));
});

test("urlPath encodes each segment", () => {
  assert.equal(urlPath("boot/my file#1"), "/boot/my%20file%231");
  assert.equal(urlPath(""), "/");
});

test("range: one range honoured, suffix and open ranges, several or malformed ranges served whole, past the end 416", () => {
  assert.deepEqual(parseRange(undefined, 100), { kind: "none" });
  assert.deepEqual(parseRange("bytes=0-9", 100), { kind: "range", start: 0, end: 9 });
  assert.deepEqual(parseRange("bytes=90-", 100), { kind: "range", start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=90-500", 100), { kind: "range", start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-10", 100), { kind: "range", start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-500", 100), { kind: "range", start: 0, end: 99 });
  assert.deepEqual(parseRange("Bytes = 5-6", 100), { kind: "range", start: 5, end: 6 });
  for (const h of ["bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes=9-1", "bytes=", "bytes=-", "0-1", "bytes=1e3-"]) {
    assert.deepEqual(parseRange(h, 100), { kind: "none" }, h);
  }
  assert.deepEqual(parseRange("bytes=100-", 100), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=-0", 100), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
});

test("property: a honoured range lies inside the file", () => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.nat({ max: 1e9 }), (h, size) => {
    const r = parseRange(`bytes=${h}`, size);
    if (r.kind === "range") assert.ok(r.start >= 0 && r.start <= r.end && r.end < size);
  }));
});

const v = fileValidators(0x1234, 100, Date.UTC(2026, 0, 2, 3, 4, 5, 678));

test("conditional: If-None-Match and If-Modified-Since give 304; If-Match and If-Unmodified-Since 412; RFC 9110 13.2.2 order", () => {
  assert.equal(v.etag, '"1234-64-19b7c4d7c0e"'.replace("19b7c4d7c0e", Math.floor(v.lastModifiedMs).toString(16)));
  assert.equal(evaluatePreconditions({}, v), "proceed");
  assert.equal(evaluatePreconditions({ ifNoneMatch: v.etag }, v), "not-modified");
  assert.equal(evaluatePreconditions({ ifNoneMatch: `W/${v.etag}` }, v), "not-modified", "weak comparison");
  assert.equal(evaluatePreconditions({ ifNoneMatch: '"other", ' + v.etag }, v), "not-modified");
  assert.equal(evaluatePreconditions({ ifNoneMatch: "*" }, v), "not-modified");
  assert.equal(evaluatePreconditions({ ifNoneMatch: '"other"' }, v), "proceed");
  // If-None-Match present: If-Modified-Since is not looked at.
  assert.equal(evaluatePreconditions({ ifNoneMatch: '"other"', ifModifiedSince: httpDate(v.lastModifiedMs) }, v), "proceed");
  assert.equal(evaluatePreconditions({ ifModifiedSince: httpDate(v.lastModifiedMs) }, v), "not-modified", "same second");
  assert.equal(evaluatePreconditions({ ifModifiedSince: httpDate(v.lastModifiedMs - 2000) }, v), "proceed");
  assert.equal(evaluatePreconditions({ ifModifiedSince: "not a date" }, v), "proceed");
  assert.equal(evaluatePreconditions({ ifMatch: '"other"' }, v), "precondition-failed");
  assert.equal(evaluatePreconditions({ ifMatch: `W/${v.etag}` }, v), "precondition-failed", "strong comparison");
  assert.equal(evaluatePreconditions({ ifMatch: v.etag, ifNoneMatch: v.etag }, v), "not-modified");
  assert.equal(evaluatePreconditions({ ifUnmodifiedSince: httpDate(v.lastModifiedMs - 5000) }, v), "precondition-failed");
  assert.equal(evaluatePreconditions({ ifUnmodifiedSince: httpDate(v.lastModifiedMs) }, v), "proceed");
});

test("If-Range: the same strong tag or date keeps the range; anything else gets the whole file", () => {
  assert.equal(rangeApplies(undefined, v), true);
  assert.equal(rangeApplies(v.etag, v), true);
  assert.equal(rangeApplies(`W/${v.etag}`, v), false);
  assert.equal(rangeApplies('"old"', v), false);
  assert.equal(rangeApplies(httpDate(v.lastModifiedMs), v), true);
  assert.equal(rangeApplies(httpDate(v.lastModifiedMs - 60_000), v), false);
});

test("plan: 200 with length, type and validators; HEAD without body; 206; 304; 412; 416; empty file", () => {
  const f = { sizeBytes: 100, contentType: "application/efi", validators: v };
  const ok = planFile({ method: "GET" }, f);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { start: 0, end: 99 });
  assert.equal(ok.headers["Content-Length"], "100");
  assert.equal(ok.headers["Content-Type"], "application/efi");
  assert.equal(ok.headers["ETag"], v.etag);
  assert.equal(ok.headers["Last-Modified"], httpDate(v.lastModifiedMs));
  assert.equal(ok.headers["Accept-Ranges"], "bytes");
  const head = planFile({ method: "HEAD" }, f);
  assert.equal(head.status, 200);
  assert.equal(head.body, undefined);
  assert.equal(head.headers["Content-Length"], "100");
  const part = planFile({ method: "GET", range: "bytes=10-19" }, f);
  assert.equal(part.status, 206);
  assert.deepEqual(part.body, { start: 10, end: 19 });
  assert.equal(part.headers["Content-Range"], "bytes 10-19/100");
  assert.equal(part.headers["Content-Length"], "10");
  assert.equal(planFile({ method: "GET", range: "bytes=10-19", ifRange: '"old"' }, f).status, 200);
  assert.equal(planFile({ method: "GET", ifNoneMatch: v.etag }, f).status, 304);
  assert.equal(planFile({ method: "GET", ifNoneMatch: v.etag }, f).body, undefined);
  assert.equal(planFile({ method: "GET", ifMatch: '"x"' }, f).status, 412);
  const unsat = planFile({ method: "GET", range: "bytes=100-" }, f);
  assert.equal(unsat.status, 416);
  assert.equal(unsat.headers["Content-Range"], "bytes */100");
  const empty = planFile({ method: "GET" }, { ...f, sizeBytes: 0 });
  assert.equal(empty.status, 200);
  assert.equal(empty.body, undefined);
  assert.equal(empty.headers["Content-Length"], "0");
  const virtual = planFile({ method: "GET", ifNoneMatch: "*" }, { ...f, validators: undefined });
  assert.equal(virtual.status, 200, "a virtual file has no validators: never 304");
  assert.equal(virtual.headers["Cache-Control"], "no-store");
  assert.equal(virtual.headers["ETag"], undefined);
});

test("content types: EFI images as EDK2 wants them, never text/html", () => {
  assert.equal(contentTypeFor("boot/loader.efi"), "application/efi");
  assert.equal(contentTypeFor("BOOTX64.EFI"), "application/efi");
  assert.equal(contentTypeFor("x.iso"), "application/vnd.efi-iso");
  assert.equal(contentTypeFor("boot.ipxe"), "text/plain; charset=utf-8");
  assert.equal(contentTypeFor("kernel"), "application/octet-stream");
  assert.equal(contentTypeFor("index.html"), "application/octet-stream");
  assert.equal(contentTypeFor("dir.d/kernel"), "application/octet-stream");
});

test("directory page: links per entry, directories with '/', names escaped", () => {
  const html = directoryListing("boot", [{ name: "kernel", directory: true }, { name: "a<b>&\"c", directory: false }, { name: "loader.conf", directory: false }]);
  assert.match(html, /<title>Index of \/boot\/<\/title>/);
  assert.match(html, /<a href="kernel\/">kernel\/<\/a>/);
  assert.match(html, /<a href="a%3Cb%3E%26%22c">a&lt;b&gt;&amp;&quot;c<\/a>/);
  const order = [...html.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(order, ["a%3Cb%3E%26%22c", "kernel/", "loader.conf"]);
  assert.match(directoryListing("", []), /Index of \/</);
});
