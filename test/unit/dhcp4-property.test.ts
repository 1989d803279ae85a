/**
 * Property tests: the decoder faces anyone on the LAN, so whatever the bytes
 * it either returns a packet or throws a DecodeError; the responder never
 * throws on anything the decoder accepts; encode/decode round-trips.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, EncodeError, decode, encode, encodingLength, emptyPacket, type DhcpPacket } from "../../src/wire/dhcp4/index.js";
import { clientFacts, createResponder } from "../../src/protocol/dhcp/index.js";
import { MemoryLeases, SITE, ctxFor, loaderDiscover, plainRequest, poolPolicy, pxeRequest, requestBytes } from "../support/dhcp-builders.js";
import { MessageType } from "../../src/wire/dhcp4/index.js";

const RUNS = 3000;

/** The FreeBSD loader's parser does not skip PAD: no reply may have one before END. */
function assertNoPadBeforeEnd(b: Uint8Array): void {
  let i = 240;
  while (b[i] !== 255) {
    assert.notEqual(b[i], 0, `PAD at byte ${i}`);
    i += 2 + b[i + 1]!;
    assert.ok(i < b.length, "END missing");
  }
}

function decodesOrDecodeError(bytes: Uint8Array): DhcpPacket | undefined {
  try {
    return decode(bytes);
  } catch (e) {
    if (e instanceof DecodeError) {
      assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside 0..${bytes.length}`);
      assert.ok(e.field.length > 0);
      return undefined;
    }
    throw e;
  }
}

const seeds: Uint8Array[] = [
  requestBytes(loaderDiscover({ mac: SITE.c1.macs[0], form: "newest", arch: 7 }), 548),
  requestBytes(pxeRequest({ mac: SITE.c1.macs[0], arch: 0, ipxe: true })),
  requestBytes(plainRequest({ mac: SITE.unknownMac, type: MessageType.Request, serverId: SITE.serverLan, requestedIp: "198.18.10.100", relayInfo: Uint8Array.of(1, 2, 3, 4), giaddr: SITE.relayAgent })),
];

/** A valid packet with some bytes overwritten, truncated or extended. */
const mutated = fc.tuple(
  fc.constantFrom(...seeds),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
  fc.option(fc.nat()),
  fc.uint8Array({ maxLength: 40 }),
).map(([seed, edits, cut, tail]) => {
  const b = Uint8Array.from(seed);
  // Bias edits towards the options area, where the parsing is.
  for (const [at, v] of edits) b[at % 2 === 0 ? 240 + (at % (b.length - 240)) : at % b.length] = v;
  const end = cut === null ? b.length : cut % (b.length + 1);
  return Uint8Array.from([...b.subarray(0, end), ...tail]);
});

test("decode: arbitrary bytes give a packet or a DecodeError, nothing else", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (b) => {
    decodesOrDecodeError(b);
  }), { numRuns: RUNS });
  // Arbitrary options after a valid header and cookie reach the option parser.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (opts) => {
    const b = new Uint8Array(240 + opts.length);
    b.set(seeds[0]!.subarray(0, 240));
    b.set(opts, 240);
    decodesOrDecodeError(b);
  }), { numRuns: RUNS });
});

test("decode + respond: mutated real packets never throw anything but DecodeError", () => {
  let replies = 0;
  const responders = [createResponder(poolPolicy()), createResponder({ ...poolPolicy(), mode: "proxy", proxyAnswersUnknownClients: true })];
  fc.assert(fc.property(mutated, fc.constantFrom(67, 4011), fc.constantFrom(0, 1), (b, port, which) => {
    const responder = responders[which]!;
    const p = decodesOrDecodeError(b);
    const d = responder.respondToBytes(b, ctxFor(new MemoryLeases(), 1_000, { localPort: port }));
    if (p === undefined) assert.equal(d.kind === "ignore" && d.reason, "malformed");
    if (d.kind === "reply") {
      replies++;
      assert.ok(d.bytes.length >= 300);
      assert.ok(p !== undefined && d.bytes.length <= clientFacts(p).maxReplyBytes, `${d.bytes.length} bytes over the client's limit`);
      assertNoPadBeforeEnd(d.bytes);
      decode(d.bytes);
    }
  }), { numRuns: RUNS });
  // Enough mutants still get answered for the reply checks above to mean
  // something. The count varies with fast-check's random seed (about 5 % of
  // runs; 149 of 3000 with seed 1), so the floor sits well below that.
  assert.ok(replies > RUNS / 40, `only ${replies} replies`);
});

const packetArb: fc.Arbitrary<DhcpPacket> = fc.record({
  op: fc.integer({ min: 0, max: 255 }),
  htype: fc.integer({ min: 0, max: 255 }),
  hlen: fc.integer({ min: 0, max: 16 }),
  hops: fc.integer({ min: 0, max: 255 }),
  xid: fc.integer({ min: 0, max: 0xffffffff }),
  secs: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  ciaddr: fc.ipV4(), yiaddr: fc.ipV4(), siaddr: fc.ipV4(), giaddr: fc.ipV4(),
  chaddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  sname: fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 64 }),
  file: fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 128 }),
  options: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 254 }).filter((c) => ![52, 53, 50, 54, 51, 57].includes(c)), fc.uint8Array({ maxLength: 300 })), {
    selector: ([c]) => c, maxLength: 8,
  }).map((pairs) => new Map(pairs)),
});

test("encode/decode round trip, with overload and long options, within maxBytes", () => {
  fc.assert(fc.property(packetArb, fc.integer({ min: 300, max: 1500 }), (p, maxBytes) => {
    let bytes: Uint8Array;
    try {
      bytes = encode(p, { maxBytes });
    } catch (e) {
      assert.ok(e instanceof EncodeError && e.field === "options", String(e));
      assert.throws(() => encodingLength(p, { maxBytes }), EncodeError);
      return;
    }
    assert.equal(bytes.length, encodingLength(p, { maxBytes }));
    assert.ok(bytes.length >= 300 && bytes.length <= Math.max(300, maxBytes));
    const q = decode(bytes);
    assert.equal(q.options.size, p.options.size);
    for (const [code, value] of p.options) assert.deepEqual(q.options.get(code), value, `option ${code}`);
    const { options: _a, sname: s1, file: f1, ...h1 } = p;
    const { options: _b, sname: s2, file: f2, ...h2 } = q;
    assert.deepEqual(h2, h1);
    // A field keeps its text unless it was used for options.
    if (s2 !== "") assert.equal(s2, s1);
    if (f2 !== "") assert.equal(f2, f1);
  }), { numRuns: 1500 });
});

test("the empty skeleton encodes to exactly 300 bytes", () => {
  assert.equal(encode(emptyPacket()).length, 300);
});
