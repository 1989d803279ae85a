/**
 * checkNfsExport against a fake rpcbind + mountd on 127.0.0.1 (port 0) that
 * answers with the recorded nfs-ganesha reply: the client's UDP retransmit,
 * TCP record reassembly, and every failure status with its advice, without a
 * real NFS server. (test/interop/mount-ganesha.test.ts runs the real one.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import { checkNfsExport, listExports } from "../../src/servers/nfs-mount/check.js";
import { rpcCall, RpcTransportError } from "../../src/servers/nfs-mount/rpc-client.js";
import { decodeExports, encodeExports, MOUNT_PROC3, MOUNT_PROGRAM, type ExportEntry } from "../../src/wire/sunrpc/mount.js";
import { decodeMapping, encodeGetportResult, IPPROTO, PMAP_PROC, PMAP_PROGRAM } from "../../src/wire/sunrpc/portmap.js";
import { decodeCall, decodeReply, encodeAcceptedErrorReply, encodeRecord, encodeSuccessReply, RecordReader } from "../../src/wire/sunrpc/rpc.js";
import { GANESHA_EXPORT_REPLY_HEX, GANESHA_EXPORTS } from "../unit/mount-recorded-ganesha.js";

const RECORDED_RESULTS = (() => {
  const r = decodeReply(new Uint8Array(Buffer.from(GANESHA_EXPORT_REPLY_HEX, "hex")));
  if (r.kind !== "success") throw new Error("recording is not a success reply");
  return r.results;
})();

interface FakeOptions {
  /** Exports to list; default: the recorded ganesha reply's bytes. */
  readonly exports?: readonly ExportEntry[];
  /** Register MOUNT v3 for these transports only (GETPORT answers 0 otherwise). */
  readonly mountOn?: readonly ("udp" | "tcp")[];
  /** Drop the first N UDP datagrams (to see the client retransmit). */
  readonly dropUdp?: number;
  /** Send TCP replies as several fragments, written a few bytes at a time. */
  readonly fragmentTcp?: boolean;
  /** Make GETPORT name a port where nothing listens. */
  readonly deadMountPort?: number;
}

interface Fake {
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly calls: { transport: string; prog: number; proc: number }[];
  /** UDP datagrams received, dropped ones included. */
  udpReceived(): number;
  close(): Promise<void>;
}

/** One fake server on both transports: portmapper and MOUNT on the same port, like a tiny rpcbind+mountd. */
async function startFake(o: FakeOptions = {}): Promise<Fake> {
  const calls: Fake["calls"] = [];
  let udpPort = 0;
  let tcpPort = 0;
  let dropsLeft = o.dropUdp ?? 0;
  let udpReceived = 0;
  const answer = (transport: "udp" | "tcp", msg: Uint8Array): Uint8Array => {
    const c = decodeCall(msg);
    calls.push({ transport, prog: c.prog, proc: c.proc });
    if (c.prog === PMAP_PROGRAM && c.proc === PMAP_PROC.GETPORT) {
      const m = decodeMapping(c.args);
      const t = m.prot === IPPROTO.UDP ? "udp" : "tcp";
      const registered = m.prog === MOUNT_PROGRAM && m.vers === 3 && (o.mountOn ?? ["udp", "tcp"]).includes(t);
      const port = o.deadMountPort ?? (t === "udp" ? udpPort : tcpPort);
      return encodeSuccessReply(c.xid, encodeGetportResult(registered ? port : 0));
    }
    if (c.prog === MOUNT_PROGRAM && c.proc === MOUNT_PROC3.EXPORT) {
      return encodeSuccessReply(c.xid, o.exports ? encodeExports(o.exports) : RECORDED_RESULTS);
    }
    return encodeAcceptedErrorReply(c.xid, "PROG_UNAVAIL");
  };
  const udp: Socket = createSocket("udp4");
  udp.on("message", (msg, rinfo) => {
    udpReceived++;
    if (dropsLeft-- > 0) return;
    udp.send(answer("udp", msg), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
  udpPort = udp.address().port;
  const tcp: Server = createServer((sock) => {
    const rr = new RecordReader(1 << 20);
    sock.on("data", (chunk) => {
      for (const rec of rr.push(chunk)) {
        const reply = answer("tcp", rec);
        if (!o.fragmentTcp) {
          sock.write(encodeRecord(reply));
          continue;
        }
        // Two fragments (RFC 5531 section 11), dribbled out 3 bytes per write.
        const half = Math.floor(reply.length / 2);
        const first = Buffer.alloc(4 + half);
        first.writeUInt32BE(half, 0);
        Buffer.from(reply.subarray(0, half)).copy(first, 4);
        const wire = Buffer.concat([first, encodeRecord(reply.subarray(half))]);
        for (let i = 0; i < wire.length; i += 3) sock.write(wire.subarray(i, i + 3));
      }
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
  const addr = tcp.address();
  tcpPort = typeof addr === "object" && addr ? addr.port : 0;
  return {
    get udpPort() { return udpPort; },
    get tcpPort() { return tcpPort; },
    calls,
    udpReceived: () => udpReceived,
    close: async () => {
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const ROOT1 = "/tmp/lbqg/export/root1";

test("UDP: portmapper GETPORT then EXPORT; the recorded list grants root1 to 198.18.250.10", async () => {
  const f = await startFake();
  try {
    const r = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, path: ROOT1, client: { address: "198.18.250.10" } });
    assert.equal(r.ok, true);
    assert.equal(r.status, "allowed");
    assert.deepEqual(r.exports, GANESHA_EXPORTS);
    assert.match(r.proves, /198\.18\.250\.10\/32/);
    assert.match(r.proves, /does not prove the client's own MNT call/);
    assert.equal(r.advice, undefined);
    assert.deepEqual(f.calls.map((c) => [c.transport, c.prog, c.proc]), [["udp", 100000, 3], ["udp", 100005, 5]]);
  } finally {
    await f.close();
  }
});

test("UDP: a lost datagram is retransmitted with the same xid", async () => {
  const f = await startFake({ dropUdp: 1 });
  try {
    const r = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, timeoutMs: 2000, path: ROOT1, client: { address: "198.18.251.7" } });
    assert.equal(r.status, "allowed");
    assert.equal(f.calls.length, 2, "GETPORT and EXPORT each answered once");
    assert.equal(f.udpReceived(), 3, "the dropped GETPORT was sent again");
  } finally {
    await f.close();
  }
});

test("TCP: replies split into fragments and tiny writes are reassembled", async () => {
  const f = await startFake({ fragmentTcp: true });
  try {
    const l = await listExports({ server: "127.0.0.1", portmapPort: f.tcpPort, transport: "tcp" });
    assert.equal(l.mountPort, f.tcpPort);
    assert.deepEqual(l.exports, GANESHA_EXPORTS);
    const r = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.tcpPort, transport: "tcp", path: ROOT1, client: { address: "198.18.250.11" } });
    assert.equal(r.status, "undecided", "'<unknown>' may be the client: not allowed, not denied");
    assert.equal(r.ok, false);
    assert.match(r.advice!, /<unknown>/);
  } finally {
    await f.close();
  }
});

test("denied and not-listed name the groups and the paths, with advice", async () => {
  const f = await startFake({ exports: [{ dir: "/usr/diskless/pc1", groups: ["198.18.4.10", "pc1.lab"] }] });
  try {
    const denied = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, path: "/usr/diskless/pc1", client: { address: "198.18.4.11", hostnames: ["pc2.lab"] } });
    assert.equal(denied.status, "denied");
    assert.match(denied.proves, /'198\.18\.4\.10' \(host\), 'pc1\.lab' \(hostname\)/);
    assert.match(denied.advice!, /\/etc\/exports: '\/usr\/diskless\/pc1 -maproot=root 198\.18\.4\.11'/);
    const byName = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, path: "/usr/diskless/pc1", client: { address: "198.18.4.99", hostnames: ["pc1.lab"] } });
    assert.equal(byName.status, "allowed");
    const missing = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, path: "/usr/diskless/pc2", client: { address: "198.18.4.11" } });
    assert.equal(missing.status, "not-listed");
    assert.match(missing.proves, /lists \/usr\/diskless\/pc1; neither \/usr\/diskless\/pc2/);
    assert.match(missing.advice!, /nfs-ganesha lists only the exports the asking host may mount/);
  } finally {
    await f.close();
  }
});

test("MOUNT not registered for the transport: GETPORT answers 0", async () => {
  const f = await startFake({ mountOn: ["tcp"] });
  try {
    const r = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, path: ROOT1, client: { address: "198.18.250.10" } });
    assert.equal(r.status, "mount-not-registered");
    assert.match(r.advice!, /mountd_enable="YES"/);
  } finally {
    await f.close();
  }
});

test("nothing on the portmapper port, or on the MOUNT port it names", async () => {
  const dead = await closedPort();
  const t0 = Date.now();
  const r = await checkNfsExport({ server: "127.0.0.1", portmapPort: dead, timeoutMs: 1500, path: ROOT1, client: { address: "198.18.250.10" } });
  assert.equal(r.status, "portmap-unreachable");
  assert.match(r.proves, /\(refused\)/, "ICMP port unreachable on a connected UDP socket is reported at once");
  assert.ok(Date.now() - t0 < 1400, "refused, not timed out");
  assert.match(r.advice!, /rpcbind_enable="YES"/);
  const tcp = await checkNfsExport({ server: "127.0.0.1", portmapPort: dead, transport: "tcp", path: ROOT1, client: { address: "198.18.250.10" } });
  assert.equal(tcp.status, "portmap-unreachable");

  const f = await startFake({ deadMountPort: await closedPort() });
  try {
    const m = await checkNfsExport({ server: "127.0.0.1", portmapPort: f.udpPort, timeoutMs: 1500, path: ROOT1, client: { address: "198.18.250.10" } });
    assert.equal(m.status, "mount-unreachable");
    assert.match(m.advice!, /mountd -p PORT/);
  } finally {
    await f.close();
  }
});

test("a program the server does not have: PROG_UNAVAIL is an error reply, not a hang", async () => {
  const f = await startFake();
  try {
    const reply = await rpcCall({ host: "127.0.0.1", port: f.udpPort, transport: "udp" }, { prog: 100003, vers: 3, proc: 0, args: new Uint8Array(0) }, { timeoutMs: 1000 });
    assert.deepEqual({ kind: reply.kind, stat: reply.kind === "accepted-error" ? reply.stat : "" }, { kind: "accepted-error", stat: "PROG_UNAVAIL" });
    // A silent peer times out with the reason named.
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    try {
      await assert.rejects(
        rpcCall({ host: "127.0.0.1", port: silent.address().port, transport: "udp" }, { prog: 1, vers: 1, proc: 0, args: new Uint8Array(0) }, { timeoutMs: 300, retransmitMs: 100 }),
        (e: unknown) => e instanceof RpcTransportError && e.reason === "timeout",
      );
    } finally {
      silent.close();
    }
  } finally {
    await f.close();
  }
  assert.deepEqual(decodeExports(encodeExports([])), []);
});
