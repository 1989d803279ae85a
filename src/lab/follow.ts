/**
 * Follows one client's boot stages on a `laggboot serve` running inside the
 * lab's server namespace, as they happen. The HTTP API listens on 127.0.0.1
 * there, out of this process's reach, so a curl inside the namespace holds
 * the server-sent event stream open; every event triggers one read of
 * `/api/v1/clients?name=...`, and each stage not reported before is passed on.
 * A slow poll covers the moment before the HTTP server listens (the stream's
 * curl then exits and is restarted).
 */
import type { ClientStatus, StageReached } from "../app/status-types.js";
import { httpGetInNs, type LabNamespace } from "./net.js";
import type { ManagedProcess } from "./proc.js";

const POLL_MS = 2000;
const RESTART_MS = 500;

export class StageFollower {
  private readonly seen = new Set<string>();
  private stream: ManagedProcess | undefined;
  private poll: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;
  private latest: ClientStatus | undefined;

  constructor(
    private readonly ns: LabNamespace,
    /** e.g. http://127.0.0.1:8067 (as seen inside the namespace). */
    private readonly baseUrl: string,
    private readonly clientName: string,
    private readonly onStage: (s: StageReached) => void,
  ) {}

  start(): void {
    this.openStream();
    this.poll = setInterval(() => this.refreshSoon(), POLL_MS);
  }

  /** The client as the API last showed it. */
  client(): ClientStatus | undefined {
    return this.latest;
  }

  /** Read the client once more now, report what is new, and wait for it. */
  async refresh(): Promise<void> {
    this.refreshSoon();
    await this.chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    await this.stream?.stop(1000);
    await this.chain;
  }

  private openStream(): void {
    if (this.stopped) return;
    const p = this.ns.spawn(["curl", "-sN", "--no-buffer", `${this.baseUrl}/api/v1/events/stream`], { pipeStdout: true });
    this.stream = p;
    let partial = "";
    p.child.stdout!.setEncoding("utf8");
    p.child.stdout!.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      if (lines.some((l) => l.startsWith("data:"))) this.refreshSoon();
    });
    void p.exited.then(() => {
      if (!this.stopped) setTimeout(() => this.openStream(), RESTART_MS);
    });
  }

  /** Coalesce: at most one read running and one waiting. */
  private refreshSoon(): void {
    if (this.pending) return;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      await this.readOnce().catch(() => undefined);
    });
  }

  private async readOnce(): Promise<void> {
    const url = `${this.baseUrl}/api/v1/clients?name=${encodeURIComponent(this.clientName)}`;
    const list = JSON.parse(await httpGetInNs(this.ns, url)) as ClientStatus[];
    const c = list[0];
    if (c === undefined) return;
    this.latest = c;
    for (const s of c.stages) {
      const key = `${s.stage}|${s.atMs}|${s.detail}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.onStage(s);
    }
  }
}
