/** laggboot reload: check the inventory, then ask the running server (SIGHUP) to load it. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { LaggbootError } from "../errors.js";
import { EXIT, act, configPath, loadValid } from "./common.js";

export const DEFAULT_PIDFILE = "/var/run/laggboot.pid";

export function registerReload(program: Command): void {
  program
    .command("reload")
    .description("check the inventory and make the running server load it (SIGHUP); an invalid inventory is not sent")
    .option("--pidfile <file>", "the server's pid file (laggboot serve --pidfile)", DEFAULT_PIDFILE)
    .action(act((opts: { pidfile: string }, cmd: Command) => {
      const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config);
      loadValid(path);
      let pid: number;
      try {
        pid = Number(readFileSync(opts.pidfile, "utf8").trim());
      } catch (e) {
        throw new LaggbootError("LB_ERR_IO", `cannot read ${opts.pidfile}: is laggboot serve running with --pidfile ${opts.pidfile}?`, { cause: e });
      }
      if (!Number.isInteger(pid) || pid <= 1) throw new LaggbootError("LB_ERR_IO", `${opts.pidfile} does not hold a process id`);
      try {
        process.kill(pid, "SIGHUP");
      } catch (e) {
        throw new LaggbootError("LB_ERR_IO", `no laggboot server with pid ${pid} (${(e as NodeJS.ErrnoException).code ?? e}); stale ${opts.pidfile}?`, { cause: e });
      }
      process.stdout.write(`${path} is valid; asked pid ${pid} to reload (its log says whether a restart is needed)\n`);
      return EXIT.ok;
    }));
}
