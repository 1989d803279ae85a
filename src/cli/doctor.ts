/** laggboot doctor: can this site boot? One line per check, with advice. */
import { statSync } from "node:fs";
import type { Command } from "commander";
import { realDoctorProbe, runDoctor } from "../app/doctor.js";
import { readFlipScript, readLinuxClientAssets } from "../assets.js";
import { fsProbe, recordingProbe } from "../config/probe.js";
import { LaggbootError } from "../errors.js";
import { EXIT, act, configPath, loadValid, writeJson } from "./common.js";
import { forInstance, pickInstance } from "../config/instance.js";

const MARK = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check a site: server addresses, free ports, boot files, client roots and files, every client's NFS export (MOUNT v3), and a shared database")
    .option("--no-nfs", "skip the NFS export checks")
    .option("--nfs-timeout <seconds>", "how long to wait for the portmapper and MOUNT", "3")
    .option("--root <dir>", "directory the client root paths are under, as for 'laggboot apply --root'", "/")
    .option("--json", "print the findings as JSON")
    .option("--instance <name>", "which of server.instances this host is (default: the one with an address on this host)")
    .action(act(async (opts: { nfs: boolean; nfsTimeout: string; root: string; json?: boolean; instance?: string }, cmd: Command) => {
      const t = Number(opts.nfsTimeout);
      if (!Number.isFinite(t) || t <= 0) throw new LaggbootError("LB_ERR_USAGE", "--nfs-timeout must be a positive number of seconds");
      if (!isDirectory(opts.root)) throw new LaggbootError("LB_ERR_USAGE", `--root ${opts.root} is not a directory`);
      const path = configPath(cmd.optsWithGlobals<{ config?: string }>().config);
      const { probe, secrets } = recordingProbe(fsProbe);
      const loaded = loadValid(path, { quietWarnings: true, probe });
      const instance = pickInstance(loaded, opts.instance, realDoctorProbe.localAddresses());
      const inv = instance === undefined ? loaded : forInstance(loaded, instance);
      const findings = await runDoctor(inv, realDoctorProbe, {
        nfs: opts.nfs, nfsTimeoutMs: t * 1000, rootDir: opts.root, inventoryPath: path, secretFiles: Object.keys(secrets), clientAssets: { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() },
      });
      const failed = findings.filter((f) => f.status === "fail").length;
      if (opts.json) {
        writeJson({ ok: failed === 0, failed, findings });
      } else {
        for (const f of findings) {
          process.stdout.write(`${MARK[f.status]} ${f.check}: ${f.proves}\n`);
          if (f.advice && f.status !== "ok") process.stdout.write(`     -> ${f.advice}\n`);
        }
        process.stdout.write(failed === 0 ? `all ${findings.length} checks passed\n` : `${failed} of ${findings.length} checks failed\n`);
      }
      return failed === 0 ? EXIT.ok : EXIT.problems;
    }));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
