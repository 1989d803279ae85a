/**
 * QEMU's human monitor on a unix socket (`-monitor unix:PATH,server,nowait`):
 * one command at a time, each answered when the next "(qemu) " prompt
 * arrives. The lab pulls virtual cables with it (`set_link wired off`) and
 * resets the machine (`system_reset`).
 */
import { connect, type Socket } from "node:net";

const PROMPT = "(qemu) ";

export class QemuMonitor {
  private buffer = "";
  private waiter: ((text: string) => void) | undefined;
  private failure: Error | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      const at = this.buffer.indexOf(PROMPT);
      if (at < 0 || this.waiter === undefined) return;
      const text = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + PROMPT.length);
      const w = this.waiter;
      this.waiter = undefined;
      w(text);
    });
    const fail = (e: Error): void => {
      this.failure = e;
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("QEMU monitor closed")));
  }

  /** Connect (QEMU creates the socket at start: retried for `timeoutMs`) and read the banner. */
  static async open(path: string, timeoutMs = 10_000): Promise<QemuMonitor> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.once("error", reject);
        });
        const m = new QemuMonitor(socket);
        await m.reply(timeoutMs);
        return m;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`cannot open the QEMU monitor ${path}: ${(e as Error).message}`, { cause: e });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private reply(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`QEMU monitor: no prompt after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
    });
  }

  /** Run one command; resolves with what QEMU printed before the next prompt (the echoed command line removed). */
  command(line: string, timeoutMs = 10_000): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.failure) throw this.failure;
      const answer = this.reply(timeoutMs);
      this.socket.write(`${line}\n`);
      // QEMU echoes the line (with terminal escapes) before its answer.
      // eslint-disable-next-line no-control-regex
      const text = (await answer).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").split(/\r?\n/).filter((l) => !l.includes(line) && l.trim() !== "").join("\n");
      if (/^(Error|Device .* not found|could not)/im.test(text)) throw new Error(`QEMU monitor: ${line}: ${text}`);
      return text;
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.socket.destroy();
  }
}
