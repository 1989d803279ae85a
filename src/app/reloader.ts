/**
 * Reloading the inventory of a running server, from either source: the file
 * itself (SIGHUP) or the text `laggboot reload` hands over the control socket
 * (read as root, with the passphrase files it names). Every outcome is logged
 * with its reason and returned; nothing here throws, so a reload can never
 * end the daemon: on any failure the previous inventory keeps serving.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { formatFinding, type Finding } from "../config/findings.js";
import { loadInventoryText, type SiteProbe } from "../config/load.js";
import { fsProbe, handedProbe } from "../config/probe.js";
import type { Inventory } from "../config/types.js";
import { LaggbootError } from "../errors.js";
import type { ReloadResult } from "./app.js";
import type { Logger } from "./logger.js";

export type ReloadOutcome =
  | { readonly outcome: "reloaded"; readonly clients: number; readonly warnings: readonly string[] }
  /** The inventory could not be read, or has errors: nothing changed. */
  | { readonly outcome: "rejected"; readonly errors: readonly string[]; readonly hint?: string }
  /** Valid, but it changes what needs a restart (new sockets...), or it is not the server's file: nothing changed. */
  | { readonly outcome: "refused"; readonly reason: string };

/** What `laggboot reload` sends over the control socket. */
export interface ReloadRequest {
  readonly op: "reload";
  /** The inventory file, absolute. */
  readonly path: string;
  readonly text: string;
  /** First line of every passphrase file the inventory names, by path. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** Inventory findings as log lines (so --log-format json covers them too). */
export function logFindings(log: Logger, findings: readonly Finding[]): void {
  for (const f of findings) {
    log.log(f.severity === "error" ? "error" : "warn", `inventory ${f.severity}`, { finding: formatFinding(f), code: f.code });
  }
}

export interface ReloaderOptions {
  readonly app: { reload(next: Inventory): ReloadResult };
  readonly log: Logger;
  /** The inventory file serve was started with. */
  readonly path: string;
  /** Reads that file (throws a LaggbootError saying why it cannot). */
  readonly readFile: () => string;
  /** The user the server runs as once it dropped root, else undefined. */
  readonly droppedTo: () => string | undefined;
  /** Called with the new inventory once it serves. */
  readonly onReloaded?: (inv: Inventory) => void;
  readonly probe?: SiteProbe;
  /** The part of a valid inventory this server serves (server.instances: this host's instance); may throw a LaggbootError. */
  readonly select?: (inv: Inventory) => Inventory;
}

export class Reloader {
  /** The inventory's real path, taken at start-up (as root), to know `laggboot reload` means this file. */
  private readonly realPath: string;

  constructor(private readonly o: ReloaderOptions) {
    let real: string;
    try {
      real = realpathSync(o.path);
    } catch {
      real = resolve(o.path);
    }
    this.realPath = real;
  }

  /** SIGHUP: the server reads the file itself. */
  fromFile(): ReloadOutcome {
    let text: string;
    try {
      text = this.o.readFile();
    } catch (e) {
      return this.report({ outcome: "rejected", errors: [e instanceof Error ? e.message : String(e)], ...this.hint() }, "SIGHUP");
    }
    return this.load(text, this.o.probe ?? fsProbe, "SIGHUP");
  }

  /** `laggboot reload`: the text and secrets it read as root. */
  fromRequest(req: ReloadRequest): ReloadOutcome {
    if (resolve(req.path) !== this.realPath) {
      return this.report({ outcome: "refused", reason: `this server was started with ${this.realPath}, not ${req.path}: reload with --config ${this.realPath}` }, "laggboot reload");
    }
    return this.load(req.text, handedProbe(req.secrets, this.o.probe ?? fsProbe), "laggboot reload");
  }

  private load(text: string, probe: SiteProbe, via: string): ReloadOutcome {
    let outcome: ReloadOutcome;
    try {
      const r = loadInventoryText(text, this.o.path, probe);
      if (!r.inventory) {
        const errors = r.findings.filter((f) => f.severity === "error").map(formatFinding);
        outcome = { outcome: "rejected", errors, ...(via === "SIGHUP" ? this.hint() : {}) };
      } else {
        const next = this.o.select ? this.o.select(r.inventory) : r.inventory;
        const res = this.o.app.reload(next);
        if (!res.ok) {
          outcome = { outcome: "refused", reason: res.reason ?? "the change needs a restart" };
        } else {
          logFindings(this.o.log, r.findings);
          this.o.onReloaded?.(next);
          outcome = { outcome: "reloaded", clients: next.clients.length, warnings: r.findings.map(formatFinding) };
        }
      }
    } catch (e) {
      if (e instanceof LaggbootError) return this.report({ outcome: "rejected", errors: [`${e.message} [${e.code}]`] }, via);
      // A bug in loading or applying: said, and the old inventory stays.
      outcome = { outcome: "rejected", errors: [`internal error [LB_ERR_INTERNAL]: ${e instanceof Error ? e.message : String(e)}`] };
    }
    return this.report(outcome, via);
  }

  private hint(): { hint?: string } {
    const user = this.o.droppedTo();
    return user === undefined ? {} : {
      hint: `the server runs as ${user} since start-up and reads only what ${user} may: run 'laggboot reload' as root (systemctl reload and service laggboot reload do), which reads the inventory and its passphrase files and hands them to the server over its control socket`,
    };
  }

  private report(outcome: ReloadOutcome, via: string): ReloadOutcome {
    const log = this.o.log;
    const inventory = this.o.path;
    switch (outcome.outcome) {
      case "reloaded":
        log.log("info", "reloaded", { inventory, via, clients: outcome.clients });
        break;
      case "rejected":
        log.log("error", "reload rejected: still serving the previous inventory", { inventory, via, errors: outcome.errors, hint: outcome.hint });
        break;
      case "refused":
        log.log("error", "reload refused: still serving the previous inventory", { inventory, via, reason: outcome.reason });
        break;
    }
    return outcome;
  }
}
