/**
 * `laggboot status` against a real status server (our HTTP server over a
 * fake source) and against servers that misbehave: the table and --json,
 * --client, the URL taken from the inventory, and the exit codes (0 shown,
 * 1 the server answered with an error, 2 nobody there or usage).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { EXAMPLE_INVENTORY } from "../../src/config/example.js";
import { ago, clientsUrl, formatTable, runStatus, safe, type StatusOptions } from "../../src/cli/status.js";
import { createHttpServer, type HttpServer } from "../../src/web/server.js";
import { FakeSource, client } from "./web-fake.js";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

const NOW = 1_700_000_100_000;
const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** The real command line: `node dist/src/cli/main.js ARGS`. */
function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env["LAGGBOOT_CONFIG"];
    execFile(process.execPath, [MAIN, ...args], { timeout: 20_000, env }, (e, out, err) => {
      const code = e === null ? 0 : typeof e.code === "number" ? e.code : -1;
      resolve({ code, out, err });
    });
  });
}

async function status(opts: StatusOptions): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await runStatus(opts, { out, err, now: () => NOW });
  return { code, out: out.text, err: err.text };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("laggboot status", () => {
  const source = new FakeSource();
  let http: HttpServer;
  let url: string;
  let port: number;

  before(async () => {
    source.clientList = [
      client("laptop1", {
        stage: "boot-file-sent", lastSeenMs: NOW - 5000,
        lastDhcp: { atMs: NOW - 6000, messageType: "DHCPACK", mac: "02:00:00:00:00:01", ip: "198.18.0.10", clientKind: "pxe-firmware", bootFile: "pxeboot" },
        files: [{ atMs: NOW - 5000, path: "pxeboot", bytes: 1000, durationMs: 20, outcome: "ok", protocol: "tftp" }],
      }),
      client("kiosk\x1b[31m", { ip: "198.18.0.12" }),
      client("desk", {
        ip: "198.18.0.13", stage: "file-sent", lastSeenMs: NOW - 2000,
        files: [{ atMs: NOW - 2000, path: "kernel", bytes: 14_000_000, durationMs: 300, outcome: "ok", protocol: "http" }],
      }),
    ];
    http = createHttpServer({ address: "127.0.0.1", port: 0 }, source);
    port = (await http.start()).port;
    url = `http://127.0.0.1:${port}`;
  });
  after(() => http.stop());

  test("text table: one row per client, control characters escaped, ages from the server's Date header", async () => {
    const r = await status({ url });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    const lines = r.out.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^NAME\s+IP\s+STAGE\s+LAST DHCP\s+LAST FILE\s+SEEN$/);
    assert.match(lines[1]!, /^laptop1\s+198\.18\.0\.10\s+boot-file-sent\s+DHCPACK 198\.18\.0\.10\s+pxeboot \(tftp\)\s+\d+ (s|min|h|d) ago$/);
    assert.match(lines[2]!, /^kiosk\\x1b\[31m\s+198\.18\.0\.12\s+-\s+-\s+-\s+never$/);
    assert.match(lines[3]!, /^desk\s+198\.18\.0\.13\s+file-sent\s+-\s+kernel \(http\)\s+\d+ (s|min|h|d) ago$/, "the last file's protocol");
    assert.ok(!r.out.includes("\x1b"));
  });

  test("--json prints the API's clients; --client asks the server for one", async () => {
    const all = await status({ url, json: true });
    assert.equal(all.code, 0);
    assert.deepEqual(JSON.parse(all.out), JSON.parse(JSON.stringify(source.clientList)));
    const one = await status({ url: `${url}/`, json: true, client: "laptop1" });
    assert.equal(one.code, 0);
    assert.deepEqual((JSON.parse(one.out) as { name: string }[]).map((c) => c.name), ["laptop1"]);
  });

  test("--client with a name the server does not know: exit 1", async () => {
    const r = await status({ url, client: "nobody" });
    assert.equal(r.code, 1);
    assert.match(r.err, /knows no client named "nobody"/);
  });

  test("without --url the address comes from the inventory's server.http", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-status-"));
    try {
      const file = join(dir, "laggboot.yaml");
      writeFileSync(file, EXAMPLE_INVENTORY.replace("port: 8067", `port: ${port}`));
      const r = await status({ config: file, json: true });
      assert.equal(r.code, 0, r.err);
      assert.equal((JSON.parse(r.out) as unknown[]).length, 3);
      writeFileSync(file, "version: 1\nserver: [\n");
      const broken = await status({ config: file });
      assert.equal(broken.code, 2);
      assert.match(broken.err, /has errors .*or give --url/);
      const missing = await status({ config: join(dir, "none.yaml") });
      assert.equal(missing.code, 2);
      assert.match(missing.err, /cannot read .*none\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("nobody listening: exit 2 with a clear message", async () => {
    const s = createServer();
    const free = await listen(s);
    await new Promise((resolve) => s.close(resolve));
    const r = await status({ url: `http://127.0.0.1:${free}` });
    assert.equal(r.code, 2);
    assert.equal(r.out, "");
    assert.equal(r.err, `laggboot: no laggboot server at http://127.0.0.1:${free}: is \`laggboot serve\` running? (ECONNREFUSED)\n`);
  });

  test("through the real command line: laggboot status --url / -c FILE status / exit codes", async () => {
    const ok = await cli(["status", "--url", url, "--client", "laptop1"]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^NAME +IP +STAGE/);
    assert.match(ok.out, /\nlaptop1 +198\.18\.0\.10 +boot-file-sent /);
    const unknown = await cli(["status", "--url", url, "--client", "nobody", "--json"]);
    assert.equal(unknown.code, 1);
    const dir = mkdtempSync(join(tmpdir(), "lb-status-"));
    try {
      const file = join(dir, "site.yaml");
      writeFileSync(file, EXAMPLE_INVENTORY.replace("port: 8067", `port: ${port}`));
      const viaConfig = await cli(["-c", file, "status", "--json"]);
      assert.equal(viaConfig.code, 0, viaConfig.err);
      assert.equal((JSON.parse(viaConfig.out) as unknown[]).length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const s = createServer();
    const free = await listen(s);
    await new Promise((resolve) => s.close(resolve));
    const down = await cli(["status", "--url", `http://127.0.0.1:${free}`]);
    assert.equal(down.code, 2);
    assert.match(down.err, /no laggboot server at http:\/\/127\.0\.0\.1:\d+: is `laggboot serve` running\?/);
    const usage = await cli(["status", "--bogus"]);
    assert.equal(usage.code, 2);
  });

  test("bad --url: exit 2", async () => {
    for (const u of ["not a url", "ftp://127.0.0.1/"]) {
      const r = await status({ url: u });
      assert.equal(r.code, 2, u);
      assert.match(r.err, /--url/);
    }
  });

  test("the server answers with an error, or with something that is not client status: exit 1", async () => {
    let reply: { status: number; body: string } = { status: 500, body: JSON.stringify({ error: "internal", message: "tracker broke" }) };
    const paths: string[] = [];
    const s = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(reply.status, { "Content-Type": "application/json" });
      res.end(reply.body);
    });
    const p = await listen(s);
    try {
      const e500 = await status({ url: `http://127.0.0.1:${p}/prefix/`, client: "a b" });
      assert.equal(e500.code, 1);
      assert.equal(e500.err, `laggboot: the server at http://127.0.0.1:${p}/prefix answered 500: tracker broke\n`);
      assert.deepEqual(paths, ["/prefix/api/v1/clients?name=a+b"]);
      reply = { status: 200, body: "<html>hello</html>" };
      const html = await status({ url: `http://127.0.0.1:${p}` });
      assert.equal(html.code, 1);
      assert.match(html.err, /not with laggboot client status/);
      reply = { status: 200, body: JSON.stringify([{ name: 1 }]) };
      assert.equal((await status({ url: `http://127.0.0.1:${p}` })).code, 1);
    } finally {
      s.close();
    }
  });
});

describe("status formatting", () => {
  test("ages", () => {
    assert.equal(ago(10_000, undefined), "never");
    assert.equal(ago(10_000, 9_000), "1 s ago");
    assert.equal(ago(10_000, 20_000), "0 s ago");
    assert.equal(ago(600_000, 0), "10 min ago");
    assert.equal(ago(3 * 3600_000, 0), "3 h ago");
    assert.equal(ago(3 * 86400_000, 0), "3 d ago");
  });

  test("empty inventory and escaping", () => {
    assert.equal(formatTable([], 0), "no clients in the inventory\n");
    assert.equal(safe("a\nb\u009bc"), "a\\x0ab\\x9bc");
  });

  test("clients URL keeps a path prefix and drops query and fragment", () => {
    assert.equal(clientsUrl(new URL("http://h:1/x/?q=1#f"), undefined).href, "http://h:1/x/api/v1/clients");
    assert.equal(clientsUrl(new URL("http://h:1"), "pc 1").href, "http://h:1/api/v1/clients?name=pc+1");
  });
});
