/** laggboot check [FILE]: every problem at once, located; exit 0 clean, 1 problems, 2 usage/I/O. */
import type { Command } from "commander";
import { clientRcConfFindings } from "../config/client-rc-conf.js";
import { sortFindings } from "../config/findings.js";
import { readClientFile } from "../config/probe.js";
import { EXIT, act, configPath, loadFile, printFindings, writeJson } from "./common.js";

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("validate the inventory and report every problem with file:line:col and key path")
    .argument("[file]", "inventory file (default: --config, $LAGGBOOT_CONFIG or ./laggboot.yaml)")
    .option("--json", "print machine-readable findings")
    .option("--root <dir>", "also read the clients' rc.conf files under DIR (as apply --root) for DHCP settings that would undo the flip")
    .action(act((file: string | undefined, opts: { json?: boolean; root?: string }, cmd: Command) => {
      const path = file ?? configPath(cmd.optsWithGlobals<{ config?: string }>().config);
      const loaded = loadFile(path);
      const extra = loaded.inventory && opts.root !== undefined ? clientRcConfFindings(loaded.inventory, opts.root, readClientFile) : [];
      const r = { ...loaded, findings: [...loaded.findings, ...sortFindings(extra)] };
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
