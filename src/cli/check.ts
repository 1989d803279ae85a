/** laggboot check [FILE]: every problem at once, located; exit 0 clean, 1 problems, 2 usage/I/O. */
import type { Command } from "commander";
import { EXIT, act, configPath, loadFile, printFindings, writeJson } from "./common.js";

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("validate the inventory and report every problem with file:line:col and key path")
    .argument("[file]", "inventory file (default: --config, $LAGGBOOT_CONFIG or ./laggboot.yaml)")
    .option("--json", "print machine-readable findings")
    .action(act((file: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const path = file ?? configPath(cmd.optsWithGlobals<{ config?: string }>().config);
      const r = loadFile(path);
      const errors = r.findings.filter((f) => f.severity === "error").length;
      const warnings = r.findings.length - errors;
      if (opts.json) {
        writeJson({ file: path, ok: errors === 0, errors, warnings, clients: r.inventory?.clients.length ?? null, findings: r.findings });
      } else {
        printFindings(r.findings, process.stdout);
        const summary = errors === 0
          ? `${path}: OK, ${r.inventory!.clients.length} client(s)${warnings ? `, ${warnings} warning(s)` : ""}`
          : `${path}: ${errors} error(s), ${warnings} warning(s)`;
        process.stdout.write(summary + "\n");
      }
      return errors === 0 ? EXIT.ok : EXIT.problems;
    }));
}
