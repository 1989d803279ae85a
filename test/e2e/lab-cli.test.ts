/**
 * `laggboot lab` end to end, through the real CLI: laggboot serve alone
 * answers DHCP, TFTP and HTTP in one namespace, QEMU's SeaBIOS with iPXE's virtio
 * ROM boots in the other. The BIOS case of the issue runs here (one TCG boot
 * serves both the command's test and the firmware test): the iPXE ROM gets
 * its reserved address, fetches the iPXE script over HTTP (never a boot
 * program: it is iPXE already), then Debian's cloud kernel and the busybox
 * initramfs over HTTP on the same connection, and boots them; the initramfs's
 * marker appears on the console; the status API's stages come in order; and
 * everything the command made is gone afterwards, also after Ctrl-C.
 * Needs root and the lab packages (docs/lab.md); CI has them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureLabAssets } from "../../src/lab/assets.js";
import type { LabReport } from "../../src/cli/lab.js";
import { LAB_PREFIX } from "../../src/lab/net.js";

const CLI = join(process.cwd(), "dist/src/cli/main.js");

function labNamespaces(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(LAB_PREFIX));
}

/** Consecutive equal entries as one. */
function collapseRepeats(xs: readonly string[]): string[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `laggboot lab ARGS`; `onOutput` sees the live output and may signal the child. */
function runLab(args: readonly string[], onOutput?: (text: string, pid: number) => void, timeoutMs = 200_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "lab", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`laggboot lab did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      onOutput?.(stdout + stderr, child.pid!);
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      onOutput?.(stdout + stderr, child.pid!);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The namespace names, work dir and QEMU pid the command printed. */
function madeBy(text: string): { namespaces: string[]; workDir: string | undefined; qemuPid: number | undefined } {
  const ns = /namespaces (\S+) \(laggboot serve\) and (\S+) \(QEMU\); work dir (\S+)/.exec(text);
  const pid = /qemu +started \(\w+, pid (\d+)\)/.exec(text);
  return { namespaces: ns ? [ns[1]!, ns[2]!] : [], workDir: ns?.[3], qemuPid: pid ? Number(pid[1]) : undefined };
}

test("laggboot lab --json (BIOS iPXE): reserved address, iPXE script, kernel+initrd over HTTP, marker; stages in order as they happen; nothing left", { timeout: 240_000 }, async (t) => {
  await ensureLabAssets();
  const r = await runLab(["--firmware", "bios", "--timeout", "150", "--json"]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as LabReport;
  assert.equal(report.ok, true);
  assert.equal(report.markerSeen, report.marker, "the initramfs printed this run's marker, from this run's script");
  assert.match(report.marker, /^lbq-[0-9a-f]+-bios$/);

  // The status API's stages, in the order the server recorded them. A firmware
  // that repeats its DISCOVER on a slow machine is offered twice: one step.
  const stages = collapseRepeats(report.stages.map((s) => `${s.stage} ${s.detail}`));
  assert.deepEqual(stages, [
    `dhcp-offered ${report.client.ip}`,
    `dhcp-acked ${report.client.ip}`,
    "ipxe-script-sent boot.ipxe",
    "file-sent kernel",
    "file-sent initrd.gz",
  ], "an iPXE ROM gets the script at once, never a boot program");
  for (let i = 1; i < report.stages.length; i++) assert.ok(report.stages[i - 1]!.atMs <= report.stages[i]!.atMs, "stage times ascend");
  assert.ok(report.stages.at(-1)!.atMs <= report.bootMs!, "every file was sent before the marker");

  // HTTP: every file went to the reserved address, whole, over one keep-alive connection; nothing over TFTP.
  const files = report.transfers.map((x) => `${String(x["msg"])} ${String(x["file"])} ${String(x["outcome"])}`);
  assert.deepEqual(files, ["http transfer boot.ipxe ok", "http transfer kernel ok", "http transfer initrd.gz ok"]);
  for (const x of report.transfers) {
    assert.equal(x["client"], report.client.name);
    assert.equal(x["status"], 200);
    assert.ok(String(x["from"]).startsWith(`${report.client.ip}:`), `fetched from the reserved address: ${String(x["from"])}`);
  }
  assert.equal(new Set(report.transfers.map((x) => x["from"])).size, 1, "iPXE kept its connection open between the files");
  assert.deepEqual(report.stages.filter((s) => s.stage !== "dhcp-offered" && s.stage !== "dhcp-acked").map((s) => s.protocol), ["http", "http", "http"]);
  const kernel = report.transfers.find((x) => x["file"] === "kernel")!;
  assert.ok(Number(kernel["bytes"]) > 1_000_000);

  // The console milestones in boot order, and the live lines: each stage was
  // printed when it happened, before the marker line.
  const order = report.console.map((c) => c.milestone);
  assert.deepEqual(order.slice(-3), ["kernelLoaded", "initrdLoaded", "booted"]);
  const live = r.stderr;
  const ackAt = live.indexOf("server   dhcp-acked");
  const markerAt = live.indexOf("console  LAGGBOOT-LAB-BOOTED");
  assert.ok(ackAt > 0 && markerAt > ackAt, `live stage lines before the marker line:\n${live}`);

  // Cleanup: namespaces, their resolv.conf dirs, QEMU, the work dir.
  const made = madeBy(live);
  assert.equal(made.namespaces.length, 2, live);
  for (const n of made.namespaces) {
    assert.ok(!labNamespaces().includes(n), `namespace ${n} left behind`);
    assert.ok(!existsSync(`/etc/netns/${n}`), `/etc/netns/${n} left behind`);
  }
  assert.ok(made.qemuPid !== undefined && !alive(made.qemuPid), "QEMU still running");
  assert.ok(made.workDir !== undefined && !existsSync(made.workDir), "work dir left behind");
  t.diagnostic(`bios via laggboot lab: marker after ${(report.bootMs! / 1000).toFixed(1)} s; kernel ${String(kernel["bytes"])} B over HTTP in ${String(kernel["ms"])} ms`);
});

test("laggboot lab: Ctrl-C during the boot stops QEMU and laggboot serve and removes the namespaces; exit 1", { timeout: 120_000 }, async () => {
  await ensureLabAssets();
  let sent = false;
  const r = await runLab(["--firmware", "bios", "--timeout", "100"], (text, pid) => {
    if (!sent && /qemu +started/.test(text)) {
      sent = true;
      process.kill(pid, "SIGINT");
    }
  }, 90_000);
  assert.ok(sent, r.stdout);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /SIGINT: stopping and cleaning up/);
  assert.match(r.stdout, /FAILED: interrupted \(SIGINT\)/);
  const made = madeBy(r.stdout);
  assert.equal(made.namespaces.length, 2);
  for (const n of made.namespaces) assert.ok(!labNamespaces().includes(n), `namespace ${n} left behind`);
  assert.ok(made.qemuPid !== undefined && !alive(made.qemuPid), "QEMU still running");
  assert.ok(made.workDir !== undefined && !existsSync(made.workDir), "work dir left behind");
});

test("laggboot lab: usage errors exit 2 before anything is made", async () => {
  const r = await runLab(["--firmware", "arm"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--firmware.*bios, uefi|Allowed choices are bios, uefi/);
  const t = await runLab(["--timeout", "soon"]);
  assert.equal(t.code, 2);
  assert.match(t.stderr, /--timeout must be a positive number/);
  // Not root: refused at once (setpriv is util-linux, always there).
  const u = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, CLI, "lab"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(u.status, 2, u.stderr);
  assert.match(u.stderr, /laggboot lab needs root/);
  assert.doesNotMatch(u.stderr + u.stdout, /creating the network namespaces/);
});
