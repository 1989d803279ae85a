// Builds a fake FreeBSD root for the flip-script model and runs commands in
// it: a chroot inside private mount and PID namespaces (unshare), so /proc
// and /dev/null are mounted only there and vanish with the last process.
// Every executable in the root is a hard link or copy of fakebsd (compiled
// here from test/model/fakebsd.c), which logs its own start and then either
// fakes a FreeBSD tool or becomes dash / busybox-static from /.model/impl;
// dash runs with an LD_PRELOAD shim that notes its own file lookups.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ModelWorld, worldToState } from "./world.js";

/** The repository root, from dist/test/model/ or test/model/. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes("/dist/") ? "../../.." : "../..");
export const FLIP_SCRIPT = join(REPO_ROOT, "assets/freebsd/rc.d/lagg");
export const NAIVE_SCRIPT = join(REPO_ROOT, "test/model/naive-lagg");
const MODEL_SRC = join(REPO_ROOT, "test/model");

/** Ordinary tools of the fake root (FreeBSD paths); all log their starts. */
const TOOLS = [
  "bin/sh", "bin/cp", "bin/ln", "bin/mkdir", "bin/rm", "bin/rmdir", "bin/cat", "bin/echo", "bin/sleep", "bin/kenv",
  "bin/chmod", "bin/test", "bin/ls", "sbin/ifconfig", "sbin/route", "sbin/sysctl", "sbin/mount", "sbin/umount",
  "sbin/mdmfs", "sbin/mdconfig", "usr/bin/tr", "usr/bin/sed", "usr/bin/awk", "usr/bin/grep", "usr/bin/mktemp",
  "usr/bin/logger", "usr/bin/head", "usr/bin/env", "usr/bin/wc", "usr/bin/cut", "usr/bin/sort", "usr/sbin/service",
];
/** Names crunched into the fake /rescue (a subset of FreeBSD's). */
const RESCUE = ["ifconfig", "route", "sleep", "chroot", "kenv", "sysctl", "mount", "umount", "mdmfs", "mdconfig", "ln", "cp", "cat", "mkdir", "rm"];

let compiled: { readonly fakebsd: string; readonly shim: string } | undefined;

/**
 * Compile fakebsd.c, once per test process: statically as the fake tools,
 * and as the LD_PRELOAD shim that watches the model's dash.
 */
export function compileFakebsd(): { readonly fakebsd: string; readonly shim: string } {
  if (compiled && existsSync(compiled.fakebsd)) return compiled;
  const dir = mkdtempSync(join(tmpdir(), "lagg-model-bin-"));
  const src = join(MODEL_SRC, "fakebsd.c");
  const fakebsd = join(dir, "fakebsd");
  const shim = join(dir, "fileshim.so");
  execFileSync("gcc", ["-static", "-O1", "-Wall", "-Wno-format-truncation", "-o", fakebsd, src], { stdio: "pipe" });
  execFileSync("gcc", ["-shared", "-fPIC", "-O1", "-DFAKEBSD_SHIM", "-o", shim, src], { stdio: "pipe" });
  compiled = { fakebsd, shim };
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return compiled;
}

function sharedLibs(binary: string): string[] {
  const text = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...text.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!).filter((p, i, a) => a.indexOf(p) === i);
}

function which(name: string): string {
  return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
}

export interface FakeRoot {
  readonly dir: string;
  readonly world: ModelWorld;
  cleanup(): void;
}

export interface BuildOptions {
  readonly script?: string;
  /** Extra lines for /etc/rc.conf (lagg_enable="YES" is there unless overridden). */
  readonly rcConf?: readonly string[];
}

export function buildRoot(world: ModelWorld, opts: BuildOptions = {}): FakeRoot {
  const { fakebsd: fake, shim } = compileFakebsd();
  const dir = mkdtempSync(join(tmpdir(), "lagg-model-root-"));
  const p = (rel: string): string => join(dir, rel);
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "rescue", "etc/rc.d", "var/run", "dev", "proc", ".model/impl"]) {
    mkdirSync(p(d), { recursive: true });
  }
  mkdirSync(p("tmp"), { mode: 0o1777 });
  chmodSync(p("tmp"), 0o1777);
  writeFileSync(p("dev/null"), "");

  copyFileSync(fake, p(".model/fakebsd"));
  chmodSync(p(".model/fakebsd"), 0o755);
  linkSync(p(".model/fakebsd"), p(".model/model"));
  for (const t of TOOLS) linkSync(p(".model/fakebsd"), p(t));
  // FreeBSD's /rescue is its own crunched binary: a separate copy here.
  copyFileSync(fake, p("rescue/sh"));
  chmodSync(p("rescue/sh"), 0o555);
  for (const t of RESCUE) linkSync(p("rescue/sh"), p(`rescue/${t}`));

  const dash = which("dash");
  copyFileSync(dash, p(".model/impl/dash"));
  copyFileSync(which("busybox"), p(".model/impl/busybox"));
  copyFileSync(shim, p(".model/impl/fileshim.so"));
  chmodSync(p(".model/impl/dash"), 0o755);
  chmodSync(p(".model/impl/busybox"), 0o755);
  for (const lib of sharedLibs(dash)) {
    mkdirSync(p(dirname(lib)), { recursive: true });
    copyFileSync(lib, p(lib));
  }

  copyFileSync(join(MODEL_SRC, "rc.subr"), p("etc/rc.subr"));
  const rcConf = ['lagg_enable="YES"', ...(opts.rcConf ?? [])];
  writeFileSync(p("etc/rc.conf"), rcConf.join("\n") + "\n");
  copyFileSync(opts.script ?? FLIP_SCRIPT, p("etc/rc.d/lagg"));
  chmodSync(p("etc/rc.d/lagg"), 0o555);
  writeFileSync(p(".model/state"), worldToState(world));
  writeFileSync(p(".model/log"), "");
  writeFileSync(p(".model/events"), "");

  return { dir, world, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const LAUNCH = 'set -e; mount -t proc proc "$0/proc"; mount --bind /dev/null "$0/dev/null"; exec chroot "$0" "$@"';

/** Run argv inside the fake root (fresh namespaces each time), bounded in time. */
export function runInRoot(root: FakeRoot, argv: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["--mount", "--pid", "--fork", "--kill-child", "--propagation", "private", "/bin/sh", "-c", LAUNCH, root.dir, ...argv], {
      env: { PATH: "/sbin:/bin:/usr/sbin:/usr/bin", HOME: "/", TERM: "dumb" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

export function readModelFile(root: FakeRoot, name: "state" | "log" | "events" | "syslog"): string {
  const f = join(root.dir, ".model", name);
  return existsSync(f) ? readFileSync(f, "utf8") : "";
}

/** Is the NFS server reachable now? Asked of the model itself (not logged). */
export async function reach(root: FakeRoot): Promise<{ up: boolean; why: string }> {
  const r = await runInRoot(root, ["/.model/model", "reach"]);
  const [state, ...why] = r.stdout.trim().split(" ");
  return { up: state === "up", why: why.join(" ") };
}

export async function setLink(root: FakeRoot, ifname: string, up: boolean): Promise<void> {
  const r = await runInRoot(root, ["/.model/model", "link", ifname, up ? "1" : "0"]);
  if (r.code !== 0) throw new Error(`model link ${ifname}: ${r.stderr}`);
}
