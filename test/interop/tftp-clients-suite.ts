/**
 * Real TFTP clients against the laggboot server, in network namespaces:
 * curl, tftp-hpa, atftp (blksize and RFC 7440 windowsize) and busybox tftp.
 * Every file is compared by sha256. Then a file over 32 MiB at blksize 512
 * (block numbers roll over), and the matrix again with 10 % random packet
 * loss in both directions (nftables numgen in the client namespace).
 * Run once per data path: tftp-clients.test.ts (Node's dgram) and
 * tftp-clients-native.test.ts (the native addon).
 */
import { test, before, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { TftpLab } from "../support/netns-tftp.js";
import type { DataPath } from "../../src/servers/tftp/native.js";

export function tftpClientsSuite(dataPath: DataPath, subnet: string): void {
  const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
  const lab = new TftpLab(subnet);
  const dir = mkdtempSync(join(tmpdir(), "lbtf-interop-"));
  const root = join(dir, "root");
  const out = join(dir, "out");
  const sums = new Map<string, string>();
  const events: { path: string; outcome: string; blocksResent: number }[] = [];

  function makeFile(name: string, size: number): void {
    const b = randomBytes(size);
    writeFileSync(join(root, name), b);
    sums.set(name, sha(b));
  }

  type Client = { readonly name: string; readonly argv: (file: string, dest: string) => string[] };
  const ip = lab.serverIp;
  const clients: Client[] = [
    { name: "curl", argv: (f, d) => ["curl", "-sS", "--max-time", "120", "-o", d, `tftp://${ip}/${f}`] },
    { name: "curl-1468", argv: (f, d) => ["curl", "-sS", "--max-time", "120", "--tftp-blksize", "1468", "-o", d, `tftp://${ip}/${f}`] },
    { name: "curl-8192", argv: (f, d) => ["curl", "-sS", "--max-time", "120", "--tftp-blksize", "8192", "-o", d, `tftp://${ip}/${f}`] },
    { name: "tftp-hpa", argv: (f, d) => ["tftp", ip, "-m", "binary", "-c", "get", f, d] },
    { name: "atftp-1468", argv: (f, d) => ["atftp", "--option", "blksize 1468", "-g", "-r", f, "-l", d, ip] },
    { name: "atftp-w8", argv: (f, d) => ["atftp", "--option", "blksize 1468", "--option", "windowsize 8", "-g", "-r", f, "-l", d, ip] },
    { name: "atftp-w16", argv: (f, d) => ["atftp", "--option", "blksize 1024", "--option", "windowsize 16", "-g", "-r", f, "-l", d, ip] },
    { name: "busybox", argv: (f, d) => ["busybox", "tftp", "-g", "-r", f, "-l", d, ip] },
    { name: "busybox-1468", argv: (f, d) => ["busybox", "tftp", "-b", "1468", "-g", "-r", f, "-l", d, ip] },
  ];

  async function fetchAndCheck(c: Client, file: string, timeoutMs = 120_000): Promise<string> {
    const dest = join(out, `${c.name}-${file}`);
    rmSync(dest, { force: true });
    const t0 = Date.now();
    await lab.client(c.argv(file, dest), timeoutMs);
    assert.equal(sha(readFileSync(dest)), sums.get(file), `${c.name} ${file}`);
    return `${c.name} ${file} ${Date.now() - t0} ms`;
  }

  before(async () => {
    for (const d of [root, out]) rmSync(d, { recursive: true, force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(root);
    mkdirSync(out);
    chmodSync(dir, 0o755);
    makeFile("odd.bin", 1_500_001);
    makeFile("exact.bin", 1468 * 512);
    makeFile("3m.bin", 3 * 1024 * 1024 + 5);
    makeFile("1m.bin", 1024 * 1024 + 3);
    makeFile("2m.bin", 2 * 1024 * 1024 + 7);
    makeFile("4m.bin", 4 * 1024 * 1024 - 1);
    makeFile("33m.bin", 33 * 1024 * 1024 + 100);
    await lab.setup();
    const opts = { dataPath, root, address: lab.serverIp, port: 69, minRtoMs: 15, initialRtoMs: 100, maxRtoMs: 6000, maxRetries: 12 };
    const child = lab.spawnServer([process.execPath, "dist/test/support/tftp-serve-child.js", JSON.stringify(opts)]);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
      lines.on("line", (l) => {
        const m = JSON.parse(l) as { port?: number; event?: { path: string; outcome: string; blocksResent: number } };
        if (m.port !== undefined) resolve();
        if (m.event) events.push(m.event);
      });
    });
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test("every client fetches intact files (odd size, exact multiple of the block size, 3 MiB)", async () => {
    const plain = clients.filter((c) => !c.name.endsWith("-t1"));
    for (const c of plain) {
      for (const f of ["odd.bin", "exact.bin", "3m.bin"]) await fetchAndCheck(c, f);
    }
    // The server's transfer events reach us through its stdout, a moment after
    // the client has its file (the last ACK is still in flight): wait, bounded.
    const okCount = () => events.filter((e) => e.outcome === "ok").length;
    for (let i = 0; i < 100 && okCount() < plain.length * 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(okCount() >= plain.length * 3, `${okCount()} transfers reported ok, want ${plain.length * 3}`);
  });

  test("a file over 32 MiB at blksize 512: block numbers roll over past 65535", async () => {
    await fetchAndCheck(clients.find((c) => c.name === "tftp-hpa")!, "33m.bin");
    const rolled: Client = { name: "atftp-512-w16", argv: (f, d) => ["atftp", "--option", "blksize 512", "--option", "windowsize 16", "-g", "-r", f, "-l", d, ip] };
    await fetchAndCheck(rolled, "33m.bin");
  });

  function resentSoFar(): number {
    return events.reduce((n, e) => n + e.blocksResent, 0);
  }

  async function lossyRun(t: TestContext, plan: [string, string][]): Promise<void> {
    const resentBefore = resentSoFar();
    // In parallel, to keep the suite short; each client has its own socket and file.
    const times = await Promise.all(plan.map(([name, f]) => fetchAndCheck(clients.find((c) => c.name === name)!, f, 180_000)));
    for (const line of times) t.diagnostic(line);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(resentSoFar() > resentBefore, "the loss rule did drop packets");
  }

  // busybox at 512 bytes is the slowest here (~50 s for 1 MiB: ~400 lost
  // exchanges, each recovered by a timeout); the runs go in parallel.
  test("10 % random loss of every packet both ways: curl, tftp-hpa and busybox get every file intact", async (t) => {
    await lab.setLoss(10);
    try {
      await lossyRun(t, [
        ["curl", "1m.bin"],
        ["curl-1468", "2m.bin"],
        ["curl-8192", "4m.bin"],
        ["tftp-hpa", "1m.bin"],
        ["busybox-1468", "1m.bin"],
        ["busybox", "1m.bin"],
      ]);
    } finally {
      await lab.setLoss(undefined);
    }
  });

  // atftp 0.8 aborts by itself ("unexpected OACK") when its first RRQ, our
  // OACK or its ACK 0 is lost (a resent OACK is "unexpected" to it), whichever
  // server it talks to; so for atftp the loss hits the transfer proper (DATA and
  // ACK after the handshake), where the windowed recovery is exercised.
  // atftp re-ACKs a repeated block only once and restarts its 5 s timer on every
  // packet it ignores, so when both its ACKs of a block are lost it is deaf until
  // our backed-off timeout leaves a 5 s gap; that is why maxRtoMs is 6000 here.
  // In lockstep that happens for ~1 % of blocks, so atftp lockstep needs ~30 s
  // for 1 MiB under this loss (with any RFC 1123 server).
  test("10 % random loss of DATA and ACK both ways: atftp lockstep, windowsize 8 and 16 get every file intact", async (t) => {
    await lab.setLoss(10, "data-and-ack");
    try {
      await lossyRun(t, [
        ["atftp-w8", "1m.bin"],
        ["atftp-w16", "1m.bin"],
        ["atftp-1468", "1m.bin"],
      ]);
    } finally {
      await lab.setLoss(undefined);
    }
  });
}
