/** laggboot render TARGET [--client NAME]: print one generated artefact. */
import type { Command } from "commander";
import { LaggbootError } from "../errors.js";
import { readFlipScript, readLinuxClientAssets } from "../assets.js";
import { renderClientFileSets } from "../render/client-file-sets.js";
import { renderLinuxIpxeScript } from "../render/ipxe-script.js";
import { tftpBaseUrl } from "../app/boot-scripts.js";
import { SITE_TARGETS } from "../render/site-targets.js";
import { EXIT, act, configPath, loadValid, writeJson } from "./common.js";

const CLIENT_TARGETS = {
  "client-files": "the files for lagg clients: FreeBSD (rc.conf.local, wpa_supplicant.conf, loader.conf.local, /conf layout, rc.d/lagg), Linux (initramfs-tools hook and nfs-top script, or laggboot-flip)",
  "ipxe-script": "a Linux client's iPXE script, as laggboot serves it over TFTP (needs --client)",
  "flip-script": "the client-side flip script, /etc/rc.d/lagg",
} as const;

export function targetNames(): string[] {
  return [...Object.keys(SITE_TARGETS), ...Object.keys(CLIENT_TARGETS)];
}

function targetHelp(): string {
  const rows = [
    ...Object.entries(SITE_TARGETS).map(([k, v]) => [k, v.description] as const),
    ...Object.entries(CLIENT_TARGETS),
  ];
  return "\nTargets:\n" + rows.map(([k, d]) => `  ${k.padEnd(14)} ${d}`).join("\n") + "\n";
}

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("print a generated file: a DHCP server config, NFS exports, or client files")
    .argument("<target>", `one of: ${targetNames().join(", ")}`)
    .option("--client <name>", "client-files: only this client; ipxe-script: this client")
    .option("--json", "print {target, files:[{path, mode, content}]} instead of text")
    .addHelpText("after", targetHelp)
    .action(act((target: string, opts: { client?: string; json?: boolean }, cmd: Command) => {
      if (target === "flip-script") {
        const script = readFlipScript();
        if (opts.json) writeJson({ target, files: [{ path: "etc/rc.d/lagg", mode: "0555", content: script }] });
        else process.stdout.write(script);
        return EXIT.ok;
      }
      if (!targetNames().includes(target)) {
        throw new LaggbootError("LB_ERR_USAGE", `unknown target "${target}"; targets: ${targetNames().join(", ")}`);
      }
      if (opts.client !== undefined && target !== "client-files" && target !== "ipxe-script") {
        throw new LaggbootError("LB_ERR_USAGE", `--client applies to client-files and ipxe-script only`);
      }
      if (target === "ipxe-script" && opts.client === undefined) throw new LaggbootError("LB_ERR_USAGE", "ipxe-script needs --client NAME (a Linux client)");
      const inv = loadValid(configPath(cmd.optsWithGlobals<{ config?: string }>().config), { quietWarnings: true });
      if (target === "ipxe-script") {
        const c = inv.clients.find((x) => x.name === opts.client);
        if (c === undefined) throw new LaggbootError("LB_ERR_REFERENCE", `no client named "${opts.client}" in the inventory`);
        if (c.kind !== "linux-lagg") throw new LaggbootError("LB_ERR_REFERENCE", `client "${c.name}" is of kind ${c.kind}; laggboot renders iPXE scripts for Linux lagg clients`);
        const script = renderLinuxIpxeScript(c, tftpBaseUrl(() => inv.server.tftp.port)(inv, c));
        if (opts.json) writeJson({ target, files: [{ path: c.boot.ipxeScript, mode: "0644", content: script }] });
        else process.stdout.write(script);
        return EXIT.ok;
      }
      if (target === "client-files") {
        const sets = renderClientFileSets(inv, { freebsdFlipScript: readFlipScript(), linux: readLinuxClientAssets() }, opts.client);
        if (opts.json) {
          writeJson({ target, files: sets.flatMap((s) => s.files.map((f) => ({ path: `${s.baseDir}/${f.path}`, mode: f.mode.toString(8).padStart(4, "0"), content: f.content }))) });
        } else {
          for (const s of sets) for (const f of s.files) {
            process.stdout.write(`### ${s.baseDir}/${f.path} (mode ${f.mode.toString(8).padStart(4, "0")})\n${f.content}\n`);
          }
        }
        return EXIT.ok;
      }
      const text = SITE_TARGETS[target]!.render(inv);
      if (opts.json) writeJson({ target, files: [{ path: target, mode: "0644", content: text }] });
      else process.stdout.write(text);
      return EXIT.ok;
    }));
}
