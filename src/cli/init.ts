/** laggboot init [FILE]: write the commented example inventory. */
import type { Command } from "commander";
import { EXAMPLE_INVENTORY } from "../config/example.js";
import { LaggbootError } from "../errors.js";
import { atomicWrite } from "../render/write-fileset.js";
import { existsSync } from "node:fs";
import { EXIT, act } from "./common.js";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("write a commented example inventory (the seed recipe's site on 198.18.0.0/15)")
    .argument("[file]", "where to write it", "laggboot.yaml")
    .option("--force", "replace an existing file")
    .option("--stdout", "print the example instead of writing a file")
    .action(act((file: string, opts: { force?: boolean; stdout?: boolean }) => {
      if (opts.stdout) {
        process.stdout.write(EXAMPLE_INVENTORY);
        return EXIT.ok;
      }
      if (existsSync(file) && !opts.force) {
        throw new LaggbootError("LB_ERR_USAGE", `${file} already exists; use --force to replace it`);
      }
      atomicWrite(file, EXAMPLE_INVENTORY, 0o644);
      process.stdout.write(`wrote ${file}; next: laggboot check ${file}\n`);
      return EXIT.ok;
    }));
}
