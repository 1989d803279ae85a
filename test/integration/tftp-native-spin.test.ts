/**
 * The native path spins briefly for the next ACK instead of sleeping (see
 * spin_us in native/tftp_data.c), and must still hand Node's event loop back
 * within a bounded time: a lockstep transfer to a client in another process
 * (atftp, on 127.0.0.1) runs while a 1 ms interval counts how often the loop
 * got control. A spin without its bound would hold the loop for the whole
 * transfer and the interval would hardly fire. LAGGBOOT_TFTP_SPIN_US is
 * read once, when the addon loads (so in child processes here).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createTftpServer } from "../../src/servers/tftp/index.js";
import { requireNative } from "../support/native-guard.js";

const run = promisify(execFile);
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

if (requireNative()) {
  const dir = mkdtempSync(join(tmpdir(), "lbtf-spin-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const data = randomBytes(16 * 1024 * 1024 + 3);
  writeFileSync(join(dir, "big.bin"), data);

  test("a native lockstep transfer leaves Node's event loop free to run timers throughout", async () => {
    const server = createTftpServer({ dataPath: "native", root: dir, address: "127.0.0.1", port: 0, maxRetries: 5 });
    const events: string[] = [];
    server.onTransfer((e) => events.push(e.outcome));
    const { port } = await server.start();
    let ticks = 0;
    const interval = setInterval(() => ticks++, 1);
    const out = join(dir, "out.bin");
    try {
      const t0 = Date.now();
      await run("atftp", ["--option", "blksize 1468", "-g", "-r", "big.bin", "-l", out, "127.0.0.1", String(port)], { timeout: 120_000 });
      const ms = Date.now() - t0;
      assert.equal(sha(readFileSync(out)), sha(data));
      // 11,430 lockstep round trips; the loop must have run the 1 ms interval all along
      // (here about once per 1.7 ms; at least once per 6 ms is asked), not only when an ACK
      // happened to be late. Without the 2 ms bound per callback: ~37 ticks in 600 ms.
      assert.ok(ticks >= ms / 6, `${ticks} interval ticks during a ${ms} ms transfer`);
    } finally {
      clearInterval(interval);
      await server.stop(1000);
    }
    assert.deepEqual(events, ["ok"]);
  });

  test("LAGGBOOT_TFTP_SPIN_US sets the spin at load: 0 turns it off, a bad value keeps the default", async () => {
    const spinWith = async (value: string | undefined): Promise<number> => {
      const env = { ...process.env };
      if (value === undefined) delete env.LAGGBOOT_TFTP_SPIN_US;
      else env.LAGGBOOT_TFTP_SPIN_US = value;
      const script = `const m = await import(${JSON.stringify(new URL("../../src/servers/tftp/native.js", import.meta.url).href)}); const l = m.loadNative(); console.log(l.ok ? l.addon.spinMicros : "not loaded");`;
      const r = await run(process.execPath, ["--input-type=module", "-e", script], { env });
      return Number(r.stdout.trim());
    };
    assert.equal(await spinWith(undefined), 200);
    assert.equal(await spinWith("0"), 0);
    assert.equal(await spinWith("50"), 50);
    assert.equal(await spinWith("abc"), 200);
    assert.equal(await spinWith("999999"), 200, "over the 2 ms per-callback bound");
  });
}
