/**
 * Processes for the real-firmware lab: run a command and wait for it, or start
 * a long-running one (a server, QEMU) that is stopped by PID, never by name.
 * `ip netns exec NS CMD` execs CMD in place (setns + execvp), so the PID we
 * get from spawn is the PID of CMD itself, and killing it kills exactly that.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A command failed: keeps what it printed, so the test failure says why. */
export class CommandFailed extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly stdout: string,
    readonly stderr: string,
    cause: unknown,
  ) {
    super(`${argv.join(" ")} failed: ${stderr.trim() || String(cause)}`, { cause });
    this.name = "CommandFailed";
  }
}

export async function run(argv: readonly string[], timeoutMs = 60_000): Promise<ExecResult> {
  try {
    const r = await execFileP(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new CommandFailed(argv, err.stdout ?? "", err.stderr ?? "", e);
  }
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A long-running child we started. `stop()` is idempotent and never throws. */
export interface ManagedProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** Everything written to stderr so far (bounded to the last 64 KiB). */
  stderrText(): string;
}

export interface StartOptions {
  /** Copy stdout and stderr into this file (for post-mortems). */
  readonly logFile?: string;
  /** Keep stdout as a pipe the caller reads (e.g. QEMU's serial console). */
  readonly pipeStdout?: boolean;
}

const STDERR_KEEP = 64 * 1024;

export function start(argv: readonly string[], options: StartOptions = {}): ManagedProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
  const pid = child.pid;
  const log = options.logFile !== undefined ? createWriteStream(options.logFile, { flags: "a" }) : undefined;
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
    log?.write(chunk);
  });
  if (!options.pipeStdout) {
    child.stdout!.on("data", (chunk: Buffer) => log?.write(chunk));
  }
  let done = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on("exit", (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.on("error", () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  void exited.then(() => log?.end());

  const stop = async (graceMs = 3000): Promise<ExitStatus> => {
    if (!done) signal(pid, "SIGTERM");
    const timer = setTimeout(() => {
      if (!done) signal(pid, "SIGKILL");
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return { pid, argv, child, exited, hasExited: () => done, stop, stderrText: () => stderr };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Poll `probe` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
