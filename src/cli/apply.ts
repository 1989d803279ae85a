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
      const changes = writeFileSets(sets, {
        targetRoot: opts.root,
        dryRun: opts.dryRun === true,
        force: opts.force === true,
        chownRoot: typeof process.getuid === "function" && process.getuid() === 0,
      });
      const changed = changes.filter((c) => c.kind !== "unchanged");
      if (opts.json) {
        writeJson({ dryRun: opts.dryRun === true, changed: changed.length, changes });
        return EXIT.ok;
      }
      for (const c of changes) {
        if (c.kind === "unchanged") continue;
        process.stdout.write(`${opts.dryRun ? "would " : ""}${VERB[c.kind]} ${c.path}${c.modeChanged && c.kind !== "create" ? " (mode)" : ""}\n`);
        // A new file's whole content is shown only when previewing (--dry-run).
        const show = opts.diff && c.diff !== "" && (c.kind !== "create" || opts.dryRun === true);
        if (show) process.stdout.write(c.diff.endsWith("\n") ? c.diff : c.diff + "\n");
      }
      process.stdout.write(changed.length === 0 ? `nothing to change: ${changes.length} file(s) already up to date\n` : `${opts.dryRun ? "would change" : "changed"} ${changed.length} of ${changes.length} file(s)\n`);
      return EXIT.ok;
    }));
}
