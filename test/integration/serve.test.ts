/**
 * `laggboot serve` end to end in namespaces with real clients: busybox udhcpc
 * gets its reservation, busybox tftp fetches the boot file, the status API
 * follows the client's stages, SIGHUP reloads (or refuses) atomically, and
 * SIGTERM lets a running transfer finish before exiting 0.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Lab, waitExit, type Namespace } from "../support/netns.js";
import { parseEnv, setMac, tempDir } from "../interop/dhcp-harness.js";
import { CLI, startServe, type ServeProc } from "../support/serve-proc.js";
import { consoleOutput, shapeOf } from "../support/doc-examples.js";

const run = promisify(execFile);
const SERVER = "198.18.30.1";
const MAC_FB = "02:00:00:00:30:01";
const MAC_PC = "02:00:00:00:30:02";
const MAC_NEW = "02:00:00:00:30:03";

function inventory(dir: string, extra = "", tftpPort = 69): string {
  return [
    "server:",
    `  address: ${SERVER}`,
    "  networks:",
    "    - name: lan",
    "      prefix: 198.18.30.0/24",
    "      gateway: 198.18.30.254",
    "      dns: [198.18.30.53]",
    "      domain: lab.example",
    `  tftp: { root: ${dir}/tftp, port: ${tftpPort} }`,
    `  storage: { path: ${dir}/db/leases.sqlite }`,
    "  http: { address: 127.0.0.1, port: 8067 }",
    "clients:",
    "  - name: fb1",
    "    kind: freebsd-lagg",
    "    ip: 198.18.30.10",
    `    macs: [${MAC_FB}]`,
    "    wired: re0",
    "  - name: pc1",
    "    kind: pxe",
    "    ip: 198.18.30.11",
    `    macs: [${MAC_PC}]`,
    extra,
    "",
  ].join("\n");
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("laggboot serve with real clients", { timeout: 300_000 }, () => {
  let lab: Lab;
  let srv: Namespace;
  let cli: Namespace;
  let dir: string;
  let inv: string;
  let serve: ServeProc;
  const pxeboot = randomBytes(300_000);
  const big = randomBytes(24 * 1024 * 1024);

  before(async () => {
    dir = tempDir("serve");
    mkdirSync(join(dir, "tftp"));
    writeFileSync(join(dir, "tftp/pxeboot"), pxeboot);
    writeFileSync(join(dir, "tftp/loader.efi"), "efi");
    writeFileSync(join(dir, "tftp/boot.ipxe"), "#!ipxe\n");
    writeFileSync(join(dir, "tftp/big.img"), big);
    inv = join(dir, "laggboot.yaml");
    writeFileSync(inv, inventory(dir));
    lab = new Lab("serve");
    ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
    await cli.addr("c0", "198.18.30.200/24");
    serve = startServe(srv, ["--config", inv, "--pidfile", join(dir, "pid"), "--grace", "120"]);
    await serve.waitLog((l) => l["msg"] === "laggboot serving");
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function udhcpc(mac: string, tag: string): Promise<Map<string, string> | undefined> {
    await setMac(cli, "c0", mac);
    const script = join(dir, `u-${tag}.sh`);
    writeFileSync(script, `#!/bin/sh\nenv > "${dir}/u-${tag}-$1.env"\n`);
    chmodSync(script, 0o755);
    const child = cli.spawn(["busybox", "udhcpc", "-i", "c0", "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", script, "-O", "rootpath", "-O", "hostname"], { stdio: ["ignore", "ignore", "ignore"] });
    await waitExit(child, 20_000);
    const f = join(dir, `u-${tag}-bound.env`);
    return existsSync(f) ? parseEnv(readFileSync(f, "utf8")) : undefined;
  }

  async function api(path: string): Promise<unknown> {
    const r = await srv.exec(["curl", "-sS", "--max-time", "5", `http://127.0.0.1:8067${path}`]);
    return path === "/metrics" ? r.stdout : JSON.parse(r.stdout);
  }

  test("a FreeBSD client gets its reservation with root-path, host-name and boot file", async () => {
    const env = await udhcpc(MAC_FB, "fb");
    assert.ok(env, "udhcpc got no lease");
    assert.equal(env.get("ip"), "198.18.30.10");
    assert.equal(env.get("router"), "198.18.30.254");
    assert.equal(env.get("hostname"), "fb1.lab.example");
    assert.equal(env.get("rootpath"), `${SERVER}:/srv/diskless/fb1`);
    assert.equal(env.get("siaddr"), SERVER);
    const line = await serve.waitLog((l) => l["msg"] === "dhcp reply" && l["type"] === "ACK" && l["client"] === "fb1");
    assert.equal(line["mac"], MAC_FB);
  });

  test("the client fetches its boot file over TFTP, byte for byte", async () => {
    const out = join(dir, "got-pxeboot");
    await cli.exec(["busybox", "tftp", "-g", "-b", "1432", "-r", "pxeboot", "-l", out, SERVER], 30_000);
    assert.equal(sha(readFileSync(out)), sha(pxeboot));
    const line = await serve.waitLog((l) => l["msg"] === "tftp transfer" && l["file"] === "pxeboot");
    assert.equal(line["outcome"], "ok");
    assert.equal(line["client"], null, "the fetch came from 198.18.30.200, not the client's reserved address");
  });

  test("the status API shows each stage in order, leases, events and metrics", async () => {
    // Fetch from the reserved address, as the client would after DHCP.
    await cli.exec(["ip", "addr", "flush", "dev", "c0"]);
    await cli.exec(["ip", "addr", "add", "198.18.30.10/24", "dev", "c0"]);
    await cli.exec(["busybox", "tftp", "-g", "-r", "pxeboot", "-l", join(dir, "again"), "-b", "1432", SERVER], 30_000);
    await serve.waitLog((l) => l["msg"] === "tftp transfer" && l["client"] === "fb1");
    const clients = (await api("/api/v1/clients")) as { name: string; stage: string; stages: { stage: string }[]; files: { path: string }[] }[];
    const fb = clients.find((c) => c.name === "fb1")!;
    assert.deepEqual(fb.stages.map((s) => s.stage), ["dhcp-offered", "dhcp-acked", "boot-file-sent"]);
    assert.equal(fb.stage, "boot-file-sent");
    assert.deepEqual(fb.files.map((f) => f.path), ["pxeboot"]);
    assert.equal(clients.find((c) => c.name === "pc1")!.stage, undefined);
    const events = (await api(`/api/v1/events?mac=${MAC_FB}`)) as { kind: string }[];
    assert.ok(events.some((e) => e.kind === "dhcp.ack") && events.some((e) => e.kind === "tftp.sent"), JSON.stringify(events));
    assert.deepEqual(await api("/healthz").then((h) => (h as { ok: boolean }).ok), true);
    const metrics = (await api("/metrics")) as string;
    assert.match(metrics, /^laggboot_dhcp_replies_total\{type="ack"\} [1-9]/m);
    assert.match(metrics, /^laggboot_tftp_transfers_total\{direction="read",outcome="ok"\} [1-9]/m);
  });

  test("docs/http-api.md shows DHCPACK where the server sends ACK: the documented /api/v1/clients answer has the real one's shape and names", async () => {
    const [doc] = JSON.parse(consoleOutput("docs/http-api.md", "curl -s 'http://127.0.0.1:8067/api/v1/clients?name=laptop1'")) as Record<string, unknown>[];
    const [real] = (await api("/api/v1/clients?name=fb1")) as Record<string, unknown>[];
    assert.deepEqual(shapeOf(doc), shapeOf(real));
    const msg = (c: Record<string, unknown> | undefined) => (c?.["lastDhcp"] as { messageType?: string } | undefined)?.messageType;
    assert.equal(msg(doc), msg(real));
  });

  test("laggboot status reads the running server", async () => {
    const r = await srv.exec([process.execPath, CLI, "status", "--url", "http://127.0.0.1:8067", "--json"]);
    const clients = JSON.parse(r.stdout) as { name: string; stage: string }[];
    assert.equal(clients.find((c) => c.name === "fb1")?.stage, "boot-file-sent");
  });

  test("reload: an invalid inventory is rejected, the old one keeps serving", async () => {
    writeFileSync(inv, inventory(dir).replace("198.18.30.11", "198.18.30.300"));
    await assert.rejects(run(process.execPath, [CLI, "reload", "--config", inv, "--pidfile", join(dir, "pid")]), (e: { code?: number; stderr?: string }) => e.code === 1 && /LB_ERR_BAD_IPV4/.test(e.stderr ?? ""));
    serve.child.kill("SIGHUP"); // the signal itself, as an admin's kill -HUP would
    await serve.waitLog((l) => String(l["msg"]).startsWith("reload rejected"));
    const env = await udhcpc(MAC_PC, "pc-after-bad-reload");
    assert.equal(env?.get("ip"), "198.18.30.11");
  });

  test("reload: a valid change is applied without a restart", async () => {
    writeFileSync(inv, inventory(dir, ["  - name: pc2", "    kind: pxe", "    ip: 198.18.30.12", `    macs: [${MAC_NEW}]`].join("\n")));
    const r = await run(process.execPath, [CLI, "reload", "--config", inv, "--pidfile", join(dir, "pid")]);
    assert.equal(r.stdout, `reloaded ${inv}: 3 client(s)\n`);
    await serve.waitLog((l) => l["msg"] === "reloaded" && l["clients"] === 3 && l["via"] === "laggboot reload");
    const env = await udhcpc(MAC_NEW, "new");
    assert.equal(env?.get("ip"), "198.18.30.12");
  });

  test("reload: a change that needs a new privileged port is refused, saying a restart is needed", async () => {
    writeFileSync(inv, inventory(dir, "", 6969));
    serve.child.kill("SIGHUP");
    const line = await serve.waitLog((l) => String(l["msg"]).startsWith("reload refused"));
    assert.match(String(line["reason"]), /TFTP address changed.*restart laggboot/);
    // laggboot reload says so too, and exits 1.
    await assert.rejects(run(process.execPath, [CLI, "reload", "--config", inv, "--pidfile", join(dir, "pid")]),
      (e: { code?: number; stderr?: string }) => e.code === 1 && /the server refused the reload: .*TFTP address changed.*restart laggboot/.test(e.stderr ?? ""));
  });

  test("SIGTERM lets a running transfer finish, then exits 0", async () => {
    const out = join(dir, "got-big");
    const fetch = cli.spawn(["busybox", "tftp", "-g", "-b", "512", "-r", "big.img", "-l", out, SERVER], { stdio: ["ignore", "ignore", "pipe"] });
    await serve.waitLog((l) => l["msg"] === "tftp transfer" && l["file"] === "big.img" || false, 400).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    serve.child.kill("SIGTERM");
    // The grace (120 s) is far above the transfer time even on a loaded machine.
    assert.equal(await waitExit(fetch, 150_000), 0, "the transfer was cut");
    assert.equal(sha(readFileSync(out)), sha(big));
    assert.equal(await serve.exited, 0);
    assert.ok(serve.logs.some((l) => l["msg"] === "stopped"));
    assert.equal(existsSync(join(dir, "pid")), false, "the pid file is removed");
  });
});
