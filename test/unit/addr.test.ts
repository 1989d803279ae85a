import { test } from "node:test";
import assert from "node:assert/strict";
import { broadcast, inPrefix, intToIpv4, ipv4ToInt, netmask, parseIpv4, parseMac, parsePrefix, type Ipv4 } from "../../src/config/addr.js";

test("parseMac: the three common spellings, lower-case colon form out; anything else refused", () => {
  for (const s of ["00:1e:68:aa:bb:cc", "00-1E-68-AA-BB-CC", "001e.68aa.bbcc", " 00:1E:68:AA:BB:CC "]) assert.equal(parseMac(s), "00:1e:68:aa:bb:cc", s);
  for (const s of ["00:1e-68:aa:bb:cc", "00:1e:68:aa:bb", "00:1e:68:aa:bb:cc:dd", "zz:1e:68:aa:bb:cc", "001e68aabbcc", ""]) assert.equal(parseMac(s), undefined, s);
});

test("parseIpv4: dotted quads only, no leading zeros", () => {
  for (const s of ["0.0.0.0", "198.18.0.10", "255.255.255.255"]) assert.equal(parseIpv4(s), s);
  for (const s of ["256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.4.5"]) assert.equal(parseIpv4(s), undefined, s);
});

test("ipv4ToInt and intToIpv4 round-trip", () => {
  for (const s of ["0.0.0.0", "1.2.3.4", "198.18.0.10", "255.255.255.255"]) assert.equal(intToIpv4(ipv4ToInt(s as Ipv4)), s);
  assert.equal(ipv4ToInt("1.2.3.4" as Ipv4), 0x01020304);
});

test("prefixes: host bits zero, mask, broadcast, membership", () => {
  const p = parsePrefix("198.18.0.0/24")!;
  assert.equal(netmask(p), "255.255.255.0");
  assert.equal(broadcast(p), "198.18.0.255");
  assert.ok(inPrefix("198.18.0.77" as Ipv4, p));
  assert.ok(!inPrefix("198.18.1.77" as Ipv4, p));
  assert.equal(parsePrefix("198.18.0.1/24"), undefined);
  assert.equal(parsePrefix("198.18.0.0/33"), undefined);
  assert.equal(broadcast(parsePrefix("0.0.0.0/0")!), "255.255.255.255");
});
