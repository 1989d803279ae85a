#!/usr/bin/env node
/**
 * The laggboot command. Exit codes: 0 success; 1 the command ran and found
 * problems (invalid inventory, refused overwrite); 2 usage or I/O error;
 * 70 an internal error (a bug: please report it).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { LaggbootError, type ErrorCode } from "../errors.js";
import { EXIT, ProblemsFound, quietOnClosedOutput } from "./common.js";
import { registerApply } from "./apply.js";
import { registerCheck } from "./check.js";
import { registerInit } from "./init.js";
import { registerRender } from "./render.js";
import { registerReload } from "./reload.js";
import { registerServe } from "./serve.js";
import { registerDoctor } from "./doctor.js";
import { registerLab } from "./lab.js";
import { registerStatus } from "./status.js";

export const EXIT_INTERNAL = 70;
/** Codes that exit 2 (usage or I/O error, a port that cannot be bound among them). */
const USAGE_CODES: readonly ErrorCode[] = ["LB_ERR_USAGE", "LB_ERR_IO", "LB_ERR_REFERENCE", "LB_ERR_BIND"];

/** One line on stderr per error, never a stack trace (LAGGBOOT_DEBUG=1 adds it). */
export function exitCodeFor(e: unknown): number {
  if (e instanceof ProblemsFound) {
    process.stderr.write(`laggboot: ${e.message}\n`);
    return EXIT.problems;
  }
  if (e instanceof LaggbootError) {
    process.stderr.write(`laggboot: error [${e.code}]: ${e.message}\n`);
    return USAGE_CODES.includes(e.code) ? EXIT.usage : e.code === "LB_ERR_INTERNAL" ? EXIT_INTERNAL : EXIT.problems;
  }
  process.stderr.write(`laggboot: internal error [LB_ERR_INTERNAL]: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env["LAGGBOOT_DEBUG"] && e instanceof Error) process.stderr.write(`${e.stack ?? ""}\n`);
  return EXIT_INTERNAL;
}

export function buildProgram(): Command {
  const program = new Command("laggboot")
    .description("Boot server and site generator for FreeBSD diskless clients with lagg(4) wired/Wi-Fi failover")
    .version("0.1.0")
    .option("-c, --config <file>", "inventory file (default: $LAGGBOOT_CONFIG or ./laggboot.yaml)")
    .showHelpAfterError("(run with --help for usage)");
  registerInit(program);
  registerCheck(program);
  registerRender(program);
  registerApply(program);
  registerServe(program);
  registerReload(program);
  registerDoctor(program);
  registerLab(program);
  registerStatus(program);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync([...argv], { from: "user" });
  } catch (e) {
    // Commander has printed its message; --help and --version end with 0.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return exitCodeFor(e);
  }
  return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
}

/**
 * Whatever escapes a command's own handling (a throw in a socket callback, a
 * rejected promise nobody awaited) is a bug: one line, exit 70, no stack
 * trace (LAGGBOOT_DEBUG=1 adds it). A command that must tidy up first (serve
 * and its pid file) does so in a process 'exit' listener.
 */
export function internalErrorExit(e: unknown): never {
  process.stderr.write(`laggboot: internal error [LB_ERR_INTERNAL]: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env["LAGGBOOT_DEBUG"] && e instanceof Error) process.stderr.write(`${e.stack ?? ""}\n`);
  process.exit(EXIT_INTERNAL);
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  quietOnClosedOutput();
  process.on("uncaughtException", internalErrorExit);
  process.on("unhandledRejection", internalErrorExit);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = exitCodeFor(e);
    },
  );
}
