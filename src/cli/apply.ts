/** laggboot apply --root DIR: write every client's files into the server-side tree. */
import type { Command } from "commander";
import { readFlipScript, readLinuxClientAssets } from "../assets.js";
import { renderClientFileSets } from "../render/client-file-sets.js";
import { writeFileSets, type FileChange } from "../render/write-fileset.js";
import { EXIT, act, configPath, loadValid, writeJson } from "./common.js";

const VERB: Record<FileChange["kind"], string> = { create: "create", update: "update", unchanged: "unchanged", foreign: "take over" };

export function registerApply(program: Command): void {
  program
    .command("apply")
    .description("write the lagg clients' files (FreeBSD and Linux) into their roots (atomic, idempotent, shows a diff)")
    .requiredOption("--root <dir>", "directory the client root paths are relative to (\"/\" on the NFS server itself)")
    .option("--client <name>", "only this client")
    .option("--dry-run", "show what would change; write nothing")
    .option("--force", "replace files laggboot did not write (or that were edited since)")
    .option("--no-diff", "do not print diffs")
    .option("--json", "print the changes as JSON")
    .action(act((opts: { root: string; client?: string; dryRun?: boolean; force?: boolean; diff: boolean; json?: boolean }, cmd: Command) => {
      const inv = loadValid(configPath(cmd.optsWithGlobals<{ config?: string }>().config));
      const sets = renderClientFileSets(inv, { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() }, opts.client);
      const dryRun = opts.dryRun === true;
      const { changes, refused, staleTemp } = writeFileSets(sets, {
        targetRoot: opts.root,
        dryRun,
        force: opts.force === true,
        chownRoot: typeof process.getuid === "function" && process.getuid() === 0,
      });
      const changed = changes.filter((c) => c.kind !== "unchanged");
      const verdict = refused.length > 0 ? EXIT.problems : EXIT.ok;
      if (opts.json) {
        writeJson({ dryRun, changed: changed.length, changes, refused, staleTemp });
        return verdict;
      }
      for (const t of staleTemp) process.stdout.write(`${dryRun ? "would remove" : "removed"} ${t} (left by an interrupted apply)\n`);
      for (const c of changes) {
        if (c.kind === "unchanged") continue;
        process.stdout.write(`${dryRun ? "would " : ""}${VERB[c.kind]} ${c.path}${c.modeChanged && c.kind !== "create" ? " (mode)" : ""}\n`);
        // A new file's whole content is shown only when previewing (--dry-run).
        const show = opts.diff && c.diff !== "" && (c.kind !== "create" || dryRun);
        if (show) process.stdout.write(c.diff.endsWith("\n") ? c.diff : c.diff + "\n");
      }
      // Refusals go to stderr in the form of every other error; a dry run reports them too.
      for (const r of refused) {
        const outcome = dryRun ? "nothing would be written into" : r.partly ? "stopped writing into" : "nothing was written into";
        process.stderr.write(`laggboot: error [${r.code}]: ${r.message}; ${outcome} ${r.root}\n`);
      }
      process.stdout.write(changed.length === 0 ? `nothing to change: ${changes.length} file(s) already up to date\n` : `${dryRun ? "would change" : "changed"} ${changed.length} of ${changes.length} file(s)\n`);
      if (refused.length > 0) process.stdout.write(`${dryRun ? "would leave" : "left"} ${refused.length} root(s) alone: ${refused.map((r) => r.root).join(", ")}\n`);
      return verdict;
    }));
}
