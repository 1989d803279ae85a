import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BootOp, DecodeError, DhcpOption, EncodeError, MessageType, Overload, decode, emptyPacket, encode, encodingLength,
  formatPacket, getOption, optionBytes, DhcpOption as O, type DhcpPacket,
} from "../../src/wire/dhcp4/index.js";
import { hex, macString } from "../../src/wire/dhcp4/bytes.js";
import { macBytes, opts } from "../support/dhcp-builders.js";

function packet(options: Map<number, Uint8Array>, over: Partial<DhcpPacket> = {}): DhcpPacket {
  return { ...emptyPacket(BootOp.BootReply), xid: 0xdeadbeef, chaddr: macBytes("02:00:00:00:00:01"), options, ...over };
}

/** Walks the options field like the FreeBSD loader: PAD is NOT skipped, so any PAD before END is an error. */
function loaderWalk(b: Uint8Array, start = 240, end = b.length): number[] {
  const codes: number[] = [];
  let i = start;
  while (i < end && b[i] !== 255) {
    assert.notEqual(b[i], 0, `PAD at byte ${i} between options`);
    codes.push(b[i]!);
    i += 2 + b[i + 1]!;
  }
  assert.equal(b[i], 255, "END present");
  return codes;
}

test("round trip keeps every header field and option, in order", () => {
  const p = packet(opts(
    [O.DhcpMessageType, MessageType.Ack], [O.ServerIdentifier, "198.18.10.1"], [O.IpAddressLeaseTime, 86400],
    [O.Router, ["198.18.10.254", "198.18.10.253"]], [O.HostName, "c1.example.test"], [O.RootPath, "198.18.10.1:/srv/roots/c1"],
  ), {
    hops: 2, secs: 7, flags: 0x8000, ciaddr: "198.18.10.21", yiaddr: "198.18.10.22", siaddr: "198.18.10.1", giaddr: "198.18.20.1",
    sname: "server", file: "pxeboot",
  });
  const bytes = encode(p);
  assert.equal(bytes.length, encodingLength(p));
  const q = decode(bytes);
  assert.deepEqual({ ...q, options: [...q.options] }, { ...p, options: [...p.options] });
  assert.deepEqual(loaderWalk(bytes), [53, 54, 51, 3, 12, 17]);
});

test("replies are at least 300 bytes (RFC 1542) and padding comes only after END", () => {
  const bytes = encode(packet(opts([O.DhcpMessageType, MessageType.Offer])));
  assert.equal(bytes.length, 300);
  loaderWalk(bytes);
  assert.ok(bytes.subarray(244).every((b) => b === 0));
  assert.equal(encode(packet(new Map()), { minBytes: 548 }).length, 548);
});

test("options over the limit overload file then sname (option 52) and decode back", () => {
  const big = "x".repeat(250);
  const root = "r".repeat(120);
  // 53 and 12 fill the options field, 17 goes to file, 15 to sname, 56 back into the options field.
  const p = packet(opts([O.DhcpMessageType, MessageType.Ack], [O.HostName, big], [O.RootPath, root], [O.Message, "m".repeat(40)], [O.DomainName, "d".repeat(60)]));
  const bytes = encode(p, { maxBytes: 548 });
  assert.ok(bytes.length <= 548);
  assert.equal(bytes.length, encodingLength(p, { maxBytes: 548 }));
  const main = loaderWalk(bytes);
  assert.ok(main.includes(DhcpOption.OptionOverload));
  const ov = bytes[240 + bytes.subarray(240).indexOf(52) + 2];
  assert.equal(ov, Overload.Both);
  const q = decode(bytes);
  assert.equal(q.file, "");
  assert.equal(q.sname, "");
  assert.equal(getOption(q.options, O.HostName), big);
  assert.equal(getOption(q.options, O.RootPath), root);
  assert.equal(getOption(q.options, O.Message), "m".repeat(40));
  assert.equal(getOption(q.options, O.DomainName), "d".repeat(60));
  assert.equal(q.options.has(O.OptionOverload), false);
});

test("overload never uses a field that holds a boot file name", () => {
  const p = packet(opts([O.HostName, "h".repeat(250)], [O.RootPath, "r".repeat(250)]), { file: "pxeboot" });
  const bytes = encode(p, { maxBytes: 1000 });
  assert.equal(decode(bytes).file, "pxeboot");
  assert.throws(() => encode(p, { maxBytes: 548 }), (e: unknown) => e instanceof EncodeError && e.field === "options");
  assert.throws(() => encodingLength(p, { maxBytes: 548 }), EncodeError);
});

test("decoding honours overload sent by a client: options field, then file, then sname (RFC 3396 7)", () => {
  const b = new Uint8Array(300);
  b[0] = 1; b[1] = 1; b[2] = 6;
  new DataView(b.buffer).setUint32(236, 0x63825363);
  b.set([53, 1, 1, 52, 1, 3, 12, 2, 0x61, 0x62, 255], 240);
  b.set([12, 2, 0x63, 0x64, 255], 108); // file
  b.set([12, 1, 0x65, 17, 1, 0x2f, 255], 44); // sname
  const p = decode(b);
  assert.equal(getOption(p.options, O.HostName), "abcde");
  assert.equal(getOption(p.options, O.RootPath), "/");
  assert.equal(p.file, "");
  assert.equal(p.sname, "");
});

test("long options are split into 255-byte pieces and concatenated on decode (RFC 3396)", () => {
  const long = Uint8Array.from({ length: 600 }, (_, i) => i % 251);
  const p = packet(new Map([[O.VendorIdentifyingVendorSpecific, long]]));
  const bytes = encode(p, { maxBytes: 1472 });
  const codes = loaderWalk(bytes);
  assert.deepEqual(codes, [125, 125, 125]);
  assert.equal(bytes[241], 255);
  assert.deepEqual(decode(bytes).options.get(125), long);
});

test("a long option can continue from the options field into file", () => {
  const long = Uint8Array.from({ length: 400 }, (_, i) => i & 0xff);
  const p = packet(new Map([[O.DhcpMessageType, Uint8Array.of(5)], [O.VendorIdentifyingVendorSpecific, long]]));
  const bytes = encode(p, { maxBytes: 548 });
  assert.deepEqual(decode(bytes).options.get(125), long);
});

test("typed options: user class in RFC 3004 form and iPXE's bare form; sub-options; arch list", () => {
  const o = opts([O.UserClass, ["FreeBSD"]], [O.ClientSystemArchitecture, [7, 0]]);
  assert.deepEqual([...o.get(O.UserClass)!], [7, ...new TextEncoder().encode("FreeBSD")]);
  assert.deepEqual(getOption(o, O.UserClass), ["FreeBSD"]);
  assert.deepEqual(getOption(new Map([[77, new TextEncoder().encode("iPXE")]]), O.UserClass), ["iPXE"]);
  assert.deepEqual(getOption(o, O.ClientSystemArchitecture), [7, 0]);
  const sub = optionBytes(O.IpxeEncapsulated, new Map([[176, Uint8Array.of(1)]]));
  assert.deepEqual([...sub], [176, 1, 1]);
  assert.deepEqual([...getOption(new Map([[175, sub]]), O.IpxeEncapsulated)!.get(176)!], [1]);
  assert.equal(getOption(new Map([[175, Uint8Array.of(1, 5, 0)]]), O.IpxeEncapsulated), undefined, "truncated sub-option reads as undefined");
  assert.equal(getOption(new Map([[93, Uint8Array.of(0)]]), O.ClientSystemArchitecture), undefined, "odd-length arch list is malformed");
});

test("decode errors name the field and the offset", () => {
  const cases: [Uint8Array, string, number][] = [
    [new Uint8Array(10), "header", 10],
    [new Uint8Array(238), "cookie", 238],
    [new Uint8Array(300), "cookie", 236],
  ];
  const good = encode(packet(opts([O.DhcpMessageType, MessageType.Discover])));
  const badHlen = Uint8Array.from(good); badHlen[2] = 17;
  cases.push([badHlen, "hlen", 2]);
  const truncated = Uint8Array.from(good.subarray(0, 243)); // 53,1,<missing>
  truncated[240] = 12; truncated[241] = 9;
  cases.push([truncated, "options HostName", 240]);
  const badType = Uint8Array.from(good); badType.set([53, 2, 1, 1, 255], 240);
  cases.push([badType, "options DhcpMessageType", 240]);
  const noLen = Uint8Array.from(good.subarray(0, 241)); noLen[240] = 12;
  cases.push([noLen, "options HostName length", 241]);
  const badOverload = Uint8Array.from(good); badOverload.set([52, 1, 9, 255], 240);
  cases.push([badOverload, "options OptionOverload", 240]);
  for (const [bytes, field, offset] of cases) {
    assert.throws(() => decode(bytes), (e: unknown) => {
      assert.ok(e instanceof DecodeError, String(e));
      assert.equal(e.field, field);
      assert.equal(e.offset, offset);
      assert.equal(e.code, "LB_ERR_DHCP_DECODE");
      return true;
    });
  }
});

test("encode rejects out-of-range header fields and over-long strings", () => {
  const base = packet(new Map());
  for (const [over, field] of [
    [{ xid: -1 }, "xid"], [{ flags: 0x10000 }, "flags"], [{ sname: "s".repeat(65) }, "sname"], [{ file: "f".repeat(129) }, "file"],
    [{ hlen: 17 }, "hlen"], [{ ciaddr: "1.2.3" }, "ciaddr"],
  ] as const) {
    assert.throws(() => encode({ ...base, ...over }), (e: unknown) => e instanceof EncodeError && e.field === field, field);
  }
});

test("formatPacket names options and sub-options", () => {
  const text = formatPacket(packet(opts(
    [O.DhcpMessageType, MessageType.Offer], [O.VendorClassIdentifier, "PXEClient"],
    [O.VendorSpecific, new Map([[6, Uint8Array.of(8)]])], [O.ClientSystemArchitecture, [7]],
  )));
  assert.match(text, /option 53 DhcpMessageType: OFFER/);
  assert.match(text, /option 60 VendorClassIdentifier: "PXEClient"/);
  assert.match(text, /option 43 VendorSpecific: DiscoveryControl\(6\)=0x08/);
  assert.match(text, /option 93 ClientSystemArchitecture: EfiBc\(7\)/);
});

test("encoded packets are independent zero-filled arrays of their own length, whatever they share underneath", () => {
  const a = encode(packet(opts([O.DhcpMessageType, MessageType.Offer])));
  const b = encode(packet(opts([O.DhcpMessageType, MessageType.Ack], [O.HostName, "c1"]), { xid: 7, secs: 0x1234, flags: 0x8000 }));
  assert.equal(a.length, 300);
  assert.equal(a.byteLength, a.length);
  const before = Uint8Array.from(b);
  a.fill(0xff); // a caller may scribble on its own packet: nobody else's changes
  assert.deepEqual(Uint8Array.from(b), before);
  const back = decode(b);
  assert.equal(back.xid, 7);
  assert.equal(back.secs, 0x1234);
  assert.equal(back.flags, 0x8000);
  assert.equal(getOption(back.options, O.HostName), "c1");
  // Everything after END is zero (RFC 1542 padding), also in a packet cut after others.
  const end = b.indexOf(255, 240);
  assert.ok(b.subarray(end + 1).every((x) => x === 0));
  // Many packets in a row (more than one shared slab) still decode to what was encoded.
  for (let i = 0; i < 200; i++) {
    const p = encode(packet(opts([O.DhcpMessageType, MessageType.Ack], [O.IpAddressLeaseTime, i]), { xid: i }));
    assert.equal(decode(p).xid, i);
    assert.equal(getOption(decode(p).options, O.IpAddressLeaseTime), i);
  }
});

test("hex and MAC strings: separators, lengths, every byte value", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.equal(hex(all), Array.from(all, (x) => x.toString(16).padStart(2, "0")).join(""));
  assert.equal(hex(all, ":"), Array.from(all, (x) => x.toString(16).padStart(2, "0")).join(":"));
  assert.equal(hex(all, "--", 3), "00--01--02");
  assert.equal(hex(new Uint8Array(0), ":"), "");
  assert.equal(macString(macBytes("0a:1b:2c:3d:4e:5f")), "0a:1b:2c:3d:4e:5f:00:00:00:00:00:00:00:00:00:00");
  assert.equal(macString(macBytes("0a:1b:2c:3d:4e:5f"), 6), "0a:1b:2c:3d:4e:5f");
  assert.equal(macString(Uint8Array.of(1, 2), 6), "01:02", "a length past the end is cut to the bytes there are");
  const long = new Uint8Array(5000).fill(0xab);
  assert.equal(hex(long), "ab".repeat(5000));
});
