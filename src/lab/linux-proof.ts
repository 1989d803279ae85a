/**
 * The cable-pull programme run against the lab's Linux client (used by the
 * end-to-end test, the failover benchmark and `laggboot lab --client linux`):
 * pull and plug its virtual cables through QEMU's monitor while its
 * heartbeat writes to the NFS root, wait each time until the heartbeat has
 * gone on, and keep a mark per event so the gaps can be measured from the
 * heartbeat file afterwards.
 */
import { counterBreaks, gapsAfterMarks, type Beat, type Mark } from "./heartbeat.js";
import type { LinuxClientVm, LinuxLab, Port } from "./linux-lab.js";

export type EventKind = "failover" | "failback" | "backup-pull" | "backup-plug" | "both-pull" | "recover" | "plug";

export interface Event extends Mark {
  readonly kind: EventKind;
  /** Host time of the monitor command. */
  readonly atMs: number;
}

export interface PullBounds {
  /** The heartbeat must write again within this many ms after each event (the test's bound that cannot flake). */
  readonly resumeMs: number;
  /** After both cables were out: the hard mount's TCP connection retransmits with back-off, so allow longer. */
  readonly recoverMs: number;
  /** New beats that prove the heartbeat goes on. */
  readonly beats: number;
}

export const DEFAULT_BOUNDS: PullBounds = { resumeMs: 10_000, recoverMs: 30_000, beats: 5 };

/** The console line the bonding driver prints when a port becomes the active one. */
export const ACTIVE_PORT_LINE = /bond\d+: \(slave (\S+)\): making interface the new active one/;

export class HeartbeatStopped extends Error {}

export class CablePuller {
  readonly events: Event[] = [];

  constructor(
    private readonly lab: LinuxLab,
    private readonly vm: LinuxClientVm,
    readonly file: string,
    private readonly bounds: PullBounds = DEFAULT_BOUNDS,
    private readonly say: (line: string) => void = () => undefined,
  ) {}

  beats(): Beat[] {
    return this.lab.heartbeat(this.file);
  }

  /** Wait until the file holds `count` beats; throws HeartbeatStopped after `timeoutMs`. */
  async waitBeats(count: number, timeoutMs: number, why: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.beats().length < count) {
      if (Date.now() > deadline) throw new HeartbeatStopped(`the heartbeat stopped: no ${count - this.beats().length} more line(s) within ${timeoutMs} ms ${why}`);
      if (this.vm.process.hasExited()) throw new Error("QEMU exited");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async act(kind: EventKind, what: string, ports: readonly [Port, boolean][], waitMs: number | undefined): Promise<Event> {
    const beatsBefore = this.beats().length;
    const atMs = Date.now();
    for (const [port, up] of ports) await this.vm.setLink(port, up);
    const ev: Event = { kind, what, beatsBefore, atMs };
    this.events.push(ev);
    this.say(`${what} (heartbeat line ${beatsBefore})`);
    if (waitMs !== undefined) await this.waitBeats(beatsBefore + this.bounds.beats, waitMs, `after ${what}`);
    return ev;
  }

  /** Pull the wired cable (failover to the backup), then plug it back (failback). */
  async pullWired(i: number): Promise<void> {
    await this.act("failover", `pull ${i}: wired cable out`, [["wired", false]], this.bounds.resumeMs);
    await this.act("failback", `pull ${i}: wired cable back`, [["wired", true]], this.bounds.resumeMs);
  }

  /** Pull the backup while the cable carries the traffic, then plug it back. */
  async pullBackup(): Promise<void> {
    await this.act("backup-pull", "backup cable out (the wired NIC carries the traffic)", [["backup", false]], this.bounds.resumeMs);
    await this.act("backup-plug", "backup cable back", [["backup", true]], this.bounds.resumeMs);
  }

  /**
   * Both cables out for `holdMs` (the root is unreachable: the heartbeat
   * stalls), then the backup back (the hard mount recovers), then the cable.
   * Returns how many beats were written while both were out.
   */
  async pullBoth(holdMs: number): Promise<number> {
    const out = await this.act("both-pull", "both cables out", [["wired", false], ["backup", false]], undefined);
    await new Promise((r) => setTimeout(r, holdMs));
    const during = this.beats().length - out.beatsBefore;
    await this.act("recover", `backup cable back after ${holdMs} ms with none`, [["backup", true]], this.bounds.recoverMs);
    await this.act("plug", "wired cable back", [["wired", true]], this.bounds.resumeMs);
    return during;
  }

  /** Every event's gap: the largest gap in the heartbeat from the event to the next one. */
  gaps(): { readonly kind: EventKind; readonly what: string; readonly gapS: number }[] {
    const g = gapsAfterMarks(this.beats(), this.events);
    return g.map((x, i) => ({ kind: this.events[i]!.kind, ...x }));
  }

  /** Counter breaks in the record: a write the hard mount lost. */
  lostWrites(): string[] {
    return counterBreaks(this.beats());
  }
}
