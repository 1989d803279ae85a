/**
 * laggboot reload: check the inventory, then hand it to the running server
 * over its control socket, and say what the server did with it. Run as root,
 * it reads what a server that dropped to server.runAs may not (a 0600
 * inventory, root-only passphrase files): see docs/serve.md, Reload.
 */
import { realpathSync } from "node:fs";
import type { Command } from "commander";
import { controlPathFor, sendReload } from "../app/control-socket.js";
import { loadInventoryText } from "../config/load.js";
import { fsProbe, recordingProbe } from "../config/probe.js";
import { EXIT, ProblemsFound, act, configPath, printFindings, readText } from "./common.js";

export const DEFAULT_PIDFILE = "/var/run/laggboot.pid";

export function registerReload(program: Command): void {
  program
    .command("reload")
    .description("check the inventory and hand it to the running server over its control socket; an invalid inventory is not sent")
    .option("--pidfile <file>", "the server's pid file (laggboot serve --pidfile); its control socket is beside it (.pid -> .sock)", DEFAULT_PIDFILE)
    .option("--control <socket>", "the server's control socket (default: beside --pidfile)")
    .action(act(async (opts: { pidfile: string; control?: string }, cmd: Command) => {
      const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config);
      const text = readText(path);
      const { probe, secrets } = recordingProbe(fsProbe);
      const r = loadInventoryText(text, path, probe);
      printFindings(r.findings);
      if (!r.inventory) throw new ProblemsFound(`${path}: ${r.findings.filter((f) => f.severity === "error").length} error(s); nothing sent to the server`);
      const socket = opts.control ?? controlPathFor(opts.pidfile);
      const outcome = await sendReload(socket, { op: "reload", path: realpathSync(path), text, secrets });
      switch (outcome.outcome) {
        case "reloaded":
          process.stdout.write(`reloaded ${path}: ${outcome.clients} client(s)\n`);
          return EXIT.ok;
        case "rejected":
          for (const e of outcome.errors) process.stderr.write(`${e}\n`);
          throw new ProblemsFound(`the server rejected ${path}; it keeps serving the previous inventory`);
        case "refused":
          throw new ProblemsFound(`the server refused the reload: ${outcome.reason}; it keeps serving the previous inventory`);
      }
    }));
}
