/**
 * `laggboot serve` with server.httpBoot, in namespaces: an iPXE client's DHCP
 * answer names its script as an http:// URL; UEFI HTTP Boot firmware gets
 * option 60 HTTPClient and a URL; curl and wget (Debian's) fetch the boot
 * files over HTTP from the client namespace: whole, by range, HEAD, a 304 on
 * revalidation, keep-alive; a traversal is refused. Each transfer is a boot
 * stage with its protocol in /api/v1/clients and `laggboot status`, an
 * event, a log line and metrics. A reload to `protocol: tftp` turns the
 * iPXE answer back into a TFTP name without a restart.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import { probe, tempDir } from "../interop/dhcp-harness.js";
import { CLI, startServe, type ServeProc } from "../support/serve-proc.js";
import { httpBootRequest, pxeRequest, requestBytes } from "../support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption } from "../../src/wire/dhcp4/option-values.js";
import { BROADCAST_FLAG, DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";
import type { DhcpPacket } from "../../src/wire/dhcp4/types.js";
import type { ClientStatus } from "../../src/app/status-types.js";

const SERVER = "198.18.31.1";
const PC = { mac: "02:00:00:00:31:02", ip: "198.18.31.11" };

function inventory(dir: string, protocol: "http" | "tftp"): string {
  return [
    "server:",
    `  address: ${SERVER}`,
    "  networks:",
    "    - { name: lan, prefix: 198.18.31.0/24, domain: lab.example }",
    `  tftp: { root: ${dir}/tftp, bootFiles: { bios: undionly.kpxe, x64Uefi: ipxe.efi } }`,
    `  httpBoot: { protocol: ${protocol}, maxConnectionsPerClient: 4 }`,
    `  storage: { path: ${dir}/db/leases.sqlite }`,
    "  http: { address: 127.0.0.1, port: 8067 }",
    "clients:",
    "  - name: pc1",
    "    kind: pxe",
    `    ip: ${PC.ip}`,
    `    macs: [${PC.mac}]`,
    "",
  ].join("\n");
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("laggboot serve with HTTP boot", { timeout: 240_000 }, () => {
  let lab: Lab;
  let srv: Namespace;
  let cli: Namespace;
  let dir: string;
  let inv: string;
  let serve: ServeProc;
  const kernel = randomBytes(3 * 1024 * 1024 + 17);

  before(async () => {
    dir = tempDir("serve-http");
    mkdirSync(join(dir, "tftp/sub"), { recursive: true });
    writeFileSync(join(dir, "tftp/kernel"), kernel);
    writeFileSync(join(dir, "tftp/boot.ipxe"), "#!ipxe\nkernel kernel\nboot\n");
    writeFileSync(join(dir, "tftp/ipxe.efi"), "MZ");
    writeFileSync(join(dir, "tftp/undionly.kpxe"), "pxe");
    writeFileSync(join(dir, "secret"), "outside the root");
    inv = join(dir, "laggboot.yaml");
    writeFileSync(inv, inventory(dir, "http"));
    lab = new Lab("shttp");
    ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
    await cli.addr("c0", `${PC.ip}/24`);
    serve = startServe(srv, ["--config", inv]);
    await serve.waitLog((l) => l["msg"] === "laggboot serving");
  });

  after(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function offer(p: DhcpPacket): Promise<DhcpPacket> {
    const got = await probe(cli, {
      bind: { address: "0.0.0.0", port: 68 }, sendFrom: PC.ip, listenMs: 700,
      sends: [{ to: "255.255.255.255", port: 67, bytes: requestBytes({ ...p, flags: BROADCAST_FLAG }) }],
    });
    const offers = got.map((r) => decode(r.bytes)).filter((x) => getOption(x.options, DhcpOption.DhcpMessageType) === MessageType.Offer);
    assert.equal(offers.length, 1, `one OFFER (got ${offers.length})`);
    return offers[0]!;
  }

  async function api<T>(path: string): Promise<T> {
    const r = await srv.exec(["curl", "-sS", "--max-time", "5", `http://127.0.0.1:8067${path}`]);
    return (path === "/metrics" ? r.stdout : JSON.parse(r.stdout)) as T;
  }

  test("the serving line names the HTTP boot listener", async () => {
    const line = await serve.waitLog((l) => l["msg"] === "laggboot serving");
    assert.equal(line["httpBoot"], `http://${SERVER}:80/`);
  });

  test("DHCP: iPXE gets its script as an http:// URL; UEFI HTTP Boot firmware HTTPClient and a URL; PXE firmware TFTP", async () => {
    const ipxe = await offer(pxeRequest({ mac: PC.mac, arch: 0, ipxe: true }));
    assert.equal(ipxe.file, `http://${SERVER}/boot.ipxe`);
    const fw = await offer(httpBootRequest({ mac: PC.mac }));
    assert.equal(fw.yiaddr, PC.ip);
    assert.equal(getOption(fw.options, DhcpOption.VendorClassIdentifier), "HTTPClient");
    assert.equal(fw.file, `http://${SERVER}/ipxe.efi`);
    const pxe = await offer(pxeRequest({ mac: PC.mac, arch: 7 }));
    assert.equal(pxe.file, "ipxe.efi");
  });

  test("curl: the script and the kernel whole, a range, HEAD, a 304, two files on one connection", async () => {
    const out = join(dir, "got-kernel");
    await cli.exec(["curl", "-fsS", "-o", join(dir, "got-script"), `http://${SERVER}/boot.ipxe`]);
    await cli.exec(["curl", "-fsS", "-o", out, `http://${SERVER}/kernel`]);
    assert.equal(sha(readFileSync(out)), sha(kernel));
    const range = await cli.exec(["curl", "-fsS", "-r", "100-199", "-o", join(dir, "range"), "-w", "%{http_code}", `http://${SERVER}/kernel`]);
    assert.equal(range.stdout, "206");
    assert.ok(readFileSync(join(dir, "range")).equals(kernel.subarray(100, 200)));
    const head = await cli.exec(["curl", "-fsSI", `http://${SERVER}/kernel`]);
    assert.match(head.stdout, new RegExp(`content-length: ${kernel.length}`, "i"));
    const etag = /etag: (\S+)/i.exec(head.stdout)![1]!;
    const again = await cli.exec(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", `If-None-Match: ${etag}`, `http://${SERVER}/kernel`]);
    assert.equal(again.stdout, "304");
    // Two URLs in one curl run reuse the connection (curl says so on stderr with -v).
    const two = await cli.exec(["curl", "-v", "-fsS", "-o", "/dev/null", "-o", "/dev/null", `http://${SERVER}/boot.ipxe`, `http://${SERVER}/boot.ipxe`]);
    assert.match(two.stderr, /Re-using existing connection/i);
    const line = await serve.waitLog((l) => l["msg"] === "http transfer" && l["file"] === "kernel" && l["outcome"] === "ok");
    assert.equal(line["client"], "pc1");
    assert.equal(line["bytes"], kernel.length);
    assert.equal(line["status"], 200);
  });

  test("wget: the kernel whole, and a resumed download with Range", async () => {
    const out = join(dir, "wget-kernel");
    await cli.exec(["wget", "-q", "-O", out, `http://${SERVER}/kernel`]);
    assert.equal(sha(readFileSync(out)), sha(kernel));
    const part = join(dir, "wget-part");
    writeFileSync(part, kernel.subarray(0, 1_000_000));
    await cli.exec(["wget", "-q", "-c", "-O", part, `http://${SERVER}/kernel`]);
    assert.equal(sha(readFileSync(part)), sha(kernel), "wget -c fetched the rest with a Range request");
    await serve.waitLog((l) => l["msg"] === "http transfer" && l["outcome"] === "partial");
  });

  test("a traversal is refused and logged; nothing from outside the root", async () => {
    const r = await cli.exec(["curl", "-sS", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", `http://${SERVER}/../secret`]);
    assert.equal(r.stdout, "403");
    const enc = await cli.exec(["curl", "-sS", "--path-as-is", "-w", "%{http_code}", `http://${SERVER}/%2e%2e/secret`]);
    assert.ok(!enc.stdout.includes("outside the root"));
    const line = await serve.waitLog((l) => l["msg"] === "http transfer" && l["status"] === 403);
    assert.equal(line["level"], "warn");
  });

  test("status API, events, metrics and laggboot status show the HTTP transfers with their protocol", async () => {
    const clients = await api<ClientStatus[]>("/api/v1/clients");
    const pc = clients.find((c) => c.name === "pc1")!;
    const kernelFetch = pc.files.find((f) => f.path === "kernel" && f.outcome === "ok");
    assert.equal(kernelFetch?.protocol, "http");
    assert.ok(pc.files.some((f) => f.path === "kernel" && f.outcome === "probe"), "HEAD shows as a probe");
    assert.ok(pc.stages.some((s) => s.stage === "ipxe-script-sent" && s.detail === "boot.ipxe" && s.protocol === "http"), JSON.stringify(pc.stages));
    assert.ok(pc.stages.some((s) => s.stage === "file-sent" && s.detail === "kernel" && s.protocol === "http"));
    const events = await api<{ kind: string; details: Record<string, unknown> }[]>(`/api/v1/events?mac=${PC.mac}`);
    const sent = events.find((e) => e.kind === "http.sent" && e.details["file"] === "kernel");
    assert.equal(sent?.details["bytes"], kernel.length);
    const metrics = await api<string>("/metrics");
    assert.match(metrics, /^laggboot_http_boot_transfers_total\{outcome="ok"\} [1-9]/m);
    assert.match(metrics, /^laggboot_http_boot_transfers_total\{outcome="refused"\} [1-9]/m);
    assert.match(metrics, /^laggboot_http_boot_bytes_sent_total [1-9]\d{6,}/m);
    const health = await api<{ services: Record<string, string> }>("/healthz");
    assert.equal(health.services["httpBoot"], "running");
    const table = await srv.exec([process.execPath, CLI, "status", "--url", "http://127.0.0.1:8067"]);
    assert.match(table.stdout, /^pc1\s.*\((http|tftp)\)/m);
  });

  test("reload to protocol tftp: iPXE gets the script's TFTP name, without a restart", async () => {
    writeFileSync(inv, inventory(dir, "tftp"));
    serve.child.kill("SIGHUP");
    await serve.waitLog((l) => l["msg"] === "reloaded");
    const ipxe = await offer(pxeRequest({ mac: PC.mac, arch: 0, ipxe: true }));
    assert.equal(ipxe.file, "boot.ipxe");
    const fw = await offer(httpBootRequest({ mac: PC.mac }));
    assert.equal(getOption(fw.options, DhcpOption.VendorClassIdentifier), undefined, "no HTTP Boot answer under tftp");
  });
});
