/**
 * The DHCP socket adapter on real sockets, in network namespaces (prefix
 * lbd), driven by a scripted engine: which socket receives what, which
 * interface a broadcast reply leaves by, relay and proxy ports, and the
 * robustness paths (malformed, rate limit, unknown MAC, engine and store
 * failures). Needs root (CI runs as root). Run once per data path
 * (dhcp-server.test.ts: Node's dgram; dhcp-server-native.test.ts: the
 * native socket layer).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { Lab, waitExit, type Namespace } from "../support/netns.js";
import { fakeRequest, replyArrival, type Instruction } from "./dhcp-fake-engine.js";
import type { DhcpDataPath } from "../../src/servers/dhcp/native.js";

const serverMain = fileURLToPath(new URL("./dhcp-server-child.js", import.meta.url));
const probeMain = fileURLToPath(new URL("./dhcp-probe-child.js", import.meta.url));

interface Received { from: string; port: number; hex: string }

const A_SERVER = "198.18.10.1";
const A_CLIENT = "198.18.10.50";
/** A second address on the server's a0, added by the ProxyDHCP test. */
const A_SECONDARY = "198.18.10.2";
const B_SERVER = "198.18.11.1";
const B_CLIENT = "198.18.11.50";
const R_SERVER = "198.18.12.1";
const RELAY = "198.18.12.2";

let lab: Lab;
let srv: Namespace;
let cliA: Namespace;
let cliB: Namespace;
let relay: Namespace;

async function startServer(config: object): Promise<{ child: ChildProcess; command: (c: string) => Promise<Record<string, unknown>> }> {
  const child = srv.spawn([process.execPath, serverMain, JSON.stringify(config)], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdout!.setEncoding("utf8");
  let buffered = "";
  const waiters: ((line: string) => void)[] = [];
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  const nextLine = (): Promise<string> => new Promise((resolve) => waiters.push(resolve));
  const ready = await Promise.race([nextLine(), once(child, "exit").then(() => "EXITED")]);
  assert.equal(ready, "READY", "server child did not start");
  return {
    child,
    command: async (c) => {
      const line = nextLine();
      child.stdin!.write(`${c}\n`);
      return JSON.parse(await line) as Record<string, unknown>;
    },
  };
}

async function probe(ns: Namespace, bind: { address: string; port: number; sendFrom?: string }, sends: { to: string; port: number; bytes: Uint8Array }[], listenMs = 600): Promise<Received[]> {
  const child = ns.spawn([process.execPath, probeMain, JSON.stringify({
    bind: { address: bind.address, port: bind.port }, sendFrom: bind.sendFrom, listenMs, sends: sends.map((s) => ({ to: s.to, port: s.port, hex: Buffer.from(s.bytes).toString("hex") })),
  })], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => { out += c; });
  const code = await waitExit(child, 10_000);
  assert.equal(code, 0, "probe failed");
  return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Received);
}

const req = (mac: string, i: Instruction, xid = 1): Uint8Array => fakeRequest(mac, i, xid);
const bytesOf = (r: Received): Uint8Array => Uint8Array.from(Buffer.from(r.hex, "hex"));

export function dhcpServerSuite(dataPath: DhcpDataPath): void {
  describe(`dhcp socket adapter in namespaces (${dataPath})`, { timeout: 120_000 }, () => {
    let server: Awaited<ReturnType<typeof startServer>>;

    before(async () => {
      lab = new Lab("adapter");
      srv = await lab.namespace("srv");
      cliA = await lab.namespace("a");
      cliB = await lab.namespace("b");
      relay = await lab.namespace("r");
      await lab.veth(srv, "a0", cliA, "a1");
      await lab.veth(srv, "b0", cliB, "b1");
      await lab.veth(srv, "r0", relay, "r1");
      await srv.addr("a0", `${A_SERVER}/24`);
      await srv.addr("b0", `${B_SERVER}/24`);
      await srv.addr("r0", `${R_SERVER}/24`);
      await cliA.addr("a1", `${A_CLIENT}/24`);
      await cliB.addr("b1", `${B_CLIENT}/24`);
      await relay.addr("r1", `${RELAY}/24`);
      server = await startServer({ serverAddresses: [A_SERVER, B_SERVER], proxy: true, rateLimit: { burst: 5, perSecond: 1, maxTracked: 100 }, dataPath });
    });

    after(async () => {
      await lab.cleanup();
    });

    test("the server runs on the data path asked for", async () => {
      assert.equal((await server.command("counters"))["dataPath"], dataPath);
    });

    test("a broadcast reply leaves by the interface of the socket it is sent from", async () => {
      const listenB = probe(cliB, { address: "0.0.0.0", port: 68 }, [], 1200);
      await new Promise((r) => setTimeout(r, 300));
      const toA = req("02:00:00:00:0a:01", { reply: { to: "255.255.255.255", port: 68, from: A_SERVER } });
      const toB = req("02:00:00:00:0a:02", { reply: { to: "255.255.255.255", port: 68, from: B_SERVER } }, 2);
      const gotA = await probe(cliA, { address: "0.0.0.0", port: 68, sendFrom: A_CLIENT }, [
        { to: "255.255.255.255", port: 67, bytes: toA },
        { to: "255.255.255.255", port: 67, bytes: toB },
      ]);
      const gotB = await listenB;
      assert.deepEqual(gotA.map((r) => [r.from, r.port, bytesOf(r)[4 + 3]]), [[A_SERVER, 67, 1]]);
      assert.deepEqual(gotB.map((r) => [r.from, r.port, bytesOf(r)[4 + 3]]), [[B_SERVER, 67, 2]]);
      // Both requests were broadcasts: they came in on the wildcard socket.
      assert.deepEqual(replyArrival(bytesOf(gotA[0]!)), { localAddress: null, localPort: 67 });
    });

    test("a unicast to a server address arrives on that address's socket", async () => {
      const got = await probe(cliA, { address: A_CLIENT, port: 68 }, [
        { to: A_SERVER, port: 67, bytes: req("02:00:00:00:0b:01", { reply: { to: A_CLIENT, port: 68, from: A_SERVER } }) },
      ]);
      assert.equal(got.length, 1);
      assert.deepEqual(replyArrival(bytesOf(got[0]!)), { localAddress: A_SERVER, localPort: 67 });
    });

    test("a relayed request is answered at the relay's port 67", async () => {
      const got = await probe(relay, { address: RELAY, port: 67 }, [
        { to: R_SERVER, port: 67, bytes: req("02:00:00:00:0c:01", { reply: { to: RELAY, port: 67 } }) },
      ]);
      assert.deepEqual(got.map((r) => [r.from, r.port]), [[R_SERVER, 67]]);
    });

    test("a boot-server request on 4011 is answered from 4011", async () => {
      const got2 = await probe(cliA, { address: A_CLIENT, port: 40068 }, [
        { to: A_SERVER, port: 4011, bytes: req("02:00:00:00:0d:02", { reply: { to: A_CLIENT, port: 40068, proxy: true } }) },
      ]);
      assert.deepEqual(got2.map((r) => [r.from, r.port]), [[A_SERVER, 4011]]);
      assert.equal(replyArrival(bytesOf(got2[0]!)).localPort, 4011);
    });

    test("ProxyDHCP replies on 4011 leave from the wrong address: with a secondary server address they now leave from it (tcpdump and the client agree)", async () => {
      // A_SECONDARY is a second address on a0: the kernel would pick A_SERVER for a socket bound to 0.0.0.0.
      await srv.addr("a0", `${A_SECONDARY}/24`);
      const ports = { server: 2067, proxy: 24011 };
      const second = await startServer({ serverAddresses: [A_SECONDARY], proxy: true, ports, dataPath });
      const capture = srv.spawn(["tcpdump", "-n", "-l", "-i", "a0", "-c", "2", `udp and src port ${ports.proxy}`], { stdio: ["ignore", "pipe", "ignore"] });
      let captured = "";
      capture.stdout!.setEncoding("utf8");
      capture.stdout!.on("data", (c: string) => { captured += c; });
      try {
        await new Promise((r) => setTimeout(r, 700)); // tcpdump attaches
        const proxyReply = { to: A_CLIENT, port: 40069, from: A_SECONDARY, proxy: true };
        const unicast = await probe(cliA, { address: A_CLIENT, port: 40069 }, [
          { to: A_SECONDARY, port: ports.proxy, bytes: req("02:00:00:00:0d:11", { reply: proxyReply }) },
        ]);
        assert.deepEqual(unicast.map((r) => [r.from, r.port]), [[A_SECONDARY, ports.proxy]]);
        assert.deepEqual(replyArrival(bytesOf(unicast[0]!)), { localAddress: A_SECONDARY, localPort: ports.proxy });
        // A request broadcast to 4011 arrives on the wildcard socket; the answer still leaves from the network's address.
        const broadcast = await probe(cliA, { address: "0.0.0.0", port: 40069, sendFrom: A_CLIENT }, [
          { to: "255.255.255.255", port: ports.proxy, bytes: req("02:00:00:00:0d:12", { reply: proxyReply }, 2) },
        ]);
        assert.deepEqual(broadcast.map((r) => [r.from, r.port]), [[A_SECONDARY, ports.proxy]]);
        assert.deepEqual(replyArrival(bytesOf(broadcast[0]!)), { localAddress: null, localPort: ports.proxy });
        assert.equal(await waitExit(capture, 5000), 0, "tcpdump saw fewer than two replies");
        const sources = [...captured.matchAll(/ IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > /g)].map((m) => `${m[1]}:${m[2]}`);
        assert.deepEqual(sources, [`${A_SECONDARY}:${ports.proxy}`, `${A_SECONDARY}:${ports.proxy}`], captured);
      } finally {
        capture.kill("SIGKILL");
        await second.command("stop");
      }
    });

    test("malformed packets, engine errors and unknown MACs are counted and never stop the server", async () => {
      const before = await server.command("counters");
      const garbage = [new Uint8Array(0), new Uint8Array(10), Uint8Array.from(Buffer.alloc(300, 2)), new Uint8Array(239).fill(1)];
      const unknown = req("02:00:00:00:0e:01", { unknown: true, ignore: "unknown-client" });
      const got = await probe(cliA, { address: "0.0.0.0", port: 68, sendFrom: A_CLIENT }, [
        ...garbage.map((bytes) => ({ to: "255.255.255.255", port: 67, bytes })),
        { to: "255.255.255.255", port: 67, bytes: req("02:00:00:00:0e:02", { crash: true }) },
        { to: "255.255.255.255", port: 67, bytes: unknown },
        { to: "255.255.255.255", port: 67, bytes: unknown },
        { to: "255.255.255.255", port: 67, bytes: unknown },
        { to: "255.255.255.255", port: 67, bytes: req("02:00:00:00:0e:03", { reply: { to: "255.255.255.255", port: 68, from: A_SERVER } }) },
      ]);
      assert.equal(got.length, 1, "the server still answers after the bad packets");
      const c = await server.command("counters");
      assert.equal((c["malformed"] as number) - (before["malformed"] as number), garbage.length);
      assert.equal((c["engineErrors"] as number) - (before["engineErrors"] as number), 1);
      assert.equal((c["ignored"] as Record<string, number>)["unknown-client"], 3);
      assert.equal(c["unknownClientsLogged"], 1, "an unknown MAC is logged once per interval");
    });

    test("a reply to an unreachable address is a counted send error, and the server keeps answering", async () => {
      const before = await server.command("counters");
      const got = await probe(cliA, { address: "0.0.0.0", port: 68, sendFrom: A_CLIENT }, [
        // No route to 198.19.99.99 in the server's namespace: the send fails (ENETUNREACH).
        { to: "255.255.255.255", port: 67, bytes: req("02:00:00:00:12:01", { reply: { to: "198.19.99.99", port: 68, from: A_SERVER } }) },
        { to: "255.255.255.255", port: 67, bytes: req("02:00:00:00:12:02", { reply: { to: "255.255.255.255", port: 68, from: A_SERVER } }, 2) },
      ]);
      assert.equal(got.length, 1, "the next request is still answered");
      const c = await server.command("counters");
      assert.equal((c["sendErrors"] as number) - (before["sendErrors"] as number), 1);
      assert.ok((c["events"] as string[]).includes("send-error"));
    });

    test("a MAC over its rate limit is dropped and counted", async () => {
      const mac = "02:00:00:00:0f:01";
      const sends = Array.from({ length: 12 }, (_, i) => ({
        to: "255.255.255.255", port: 67, bytes: req(mac, { reply: { to: "255.255.255.255", port: 68, from: A_SERVER } }, 100 + i),
      }));
      const got = await probe(cliA, { address: "0.0.0.0", port: 68, sendFrom: A_CLIENT }, sends);
      assert.ok(got.length >= 5 && got.length <= 6, `${got.length} replies for a burst of 5`);
      const c = await server.command("counters");
      assert.ok((c["rateLimited"] as number) >= 6);
    });

    test("lease writes are made before the reply; stop() is graceful", async () => {
      const got = await probe(cliA, { address: "0.0.0.0", port: 68, sendFrom: A_CLIENT }, [
        { to: "255.255.255.255", port: 67, bytes: req("02:00:00:00:10:01", { commitIp: "198.18.10.99", reply: { to: "255.255.255.255", port: 68, from: A_SERVER } }) },
      ]);
      assert.equal(got.length, 1);
      const final = await server.command("stop");
      assert.equal(final["leases"], 1);
      assert.ok((final["events"] as string[]).includes("reply"));
      assert.equal(await waitExit(server.child, 5000), 0);
    });

    test("a failed lease write means no reply", async () => {
      const broken = await startServer({ serverAddresses: [], proxy: false, closedStore: true, ports: { server: 1067, proxy: 14011 }, dataPath });
      const got = await probe(cliA, { address: A_CLIENT, port: 1068 }, [
        { to: A_SERVER, port: 1067, bytes: req("02:00:00:00:11:01", { commitIp: "198.18.10.98", reply: { to: A_CLIENT, port: 1068 } }) },
        { to: A_SERVER, port: 1067, bytes: req("02:00:00:00:11:02", { reply: { to: A_CLIENT, port: 1068 } }) },
      ]);
      assert.equal(got.length, 1, "only the reply without a write goes out");
      const final = await broken.command("stop");
      assert.equal(final["storeErrors"], 1);
    });
  });
}
