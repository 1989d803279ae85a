/**
 * laggboot serve as the shipped service files run it, with server.runAs and
 * a root-only inventory (0600, holding a passphrase file that is 0600 too):
 * - systemd (contrib/systemd/laggboot.service): ExecStart, ExecReload and
 *   KillSignal as systemd would run them (this machine has no systemd);
 * - FreeBSD rc.d (contrib/freebsd/rc.d/laggboot): the script itself, run by
 *   sh with a stand-in for rc.subr (start runs $command $command_args, stop
 *   sends SIGTERM to the pid in $pidfile and waits, reload and status run the
 *   script's own commands) and for daemon(8) (runs the command detached).
 * The paths the files name (/run/laggboot.pid, /var/run/laggboot.pid, the
 * inventory under /etc or /usr/local/etc) are read from the files and
 * asserted; the test then puts them under a temporary prefix owned by root,
 * mode 0755, as /run is, so that the server that dropped root can neither
 * create nor unlink files there.
 * Faults fixed (issue 11): the pid file was written after the drop (EACCES)
 * and the signal handlers after it (kill -HUP killed the server); a reload
 * that could not read the inventory ended the daemon.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import { tempDir } from "../interop/dhcp-harness.js";
import { CLI, startServe } from "../support/serve-proc.js";
import { readPidFile } from "../../src/app/pidfile.js";

const UNIT = "contrib/systemd/laggboot.service";
const RC = "contrib/freebsd/rc.d/laggboot";
const SERVER = "198.18.32.1";
const nobodyUid = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }).trim());

/** A root-owned tree standing in for /: `at("/run/laggboot.pid")` is that path under it. */
function prefixTree(tag: string): { root: string; at: (abs: string) => string } {
  const root = tempDir(tag);
  chmodSync(root, 0o755);
  return { root, at: (abs) => join(root, abs) };
}

function inventory(at: (abs: string) => string, config: string, extraClient = ""): string {
  return [
    "server:",
    `  address: ${SERVER}`,
    "  networks: [{ name: lan, prefix: 198.18.32.0/24, domain: lab.example }]",
    `  tftp: { root: ${at("/srv/tftp")} }`,
    `  storage: { path: ${at("/var/db/laggboot/leases.sqlite")} }`,
    "  runAs: { user: nobody, group: nogroup }",
    "clients:",
    "  - name: fb1",
    "    kind: freebsd-lagg",
    "    ip: 198.18.32.10",
    "    macs: [02:00:00:00:32:01]",
    "    wired: re0",
    `    wifi: { parent: iwn0, ssid: lab, passphraseFile: ${join(config, "..", "wifi.psk")} }`,
    "  - { name: pc1, kind: pxe, ip: 198.18.32.11, macs: [02:00:00:00:32:02] }",
    extraClient,
    "",
  ].join("\n");
}

/** The site's files, as root would leave them: the inventory and the passphrase root-only; loader.efi missing (a warning). */
function writeSite(at: (abs: string) => string, config: string): void {
  for (const d of ["/srv/tftp", "/var/db", "/run", "/var/run"]) mkdirSync(at(d), { recursive: true, mode: 0o755 });
  mkdirSync(join(config, ".."), { recursive: true, mode: 0o755 });
  writeFileSync(at("/srv/tftp/pxeboot"), "boot program\n", { mode: 0o644 });
  writeFileSync(at("/srv/tftp/boot.ipxe"), "#!ipxe\n", { mode: 0o644 });
  writeFileSync(join(config, "..", "wifi.psk"), "correct horse battery\n", { mode: 0o600 });
  writeFileSync(config, inventory(at, config), { mode: 0o600 });
}

const PC2 = "  - { name: pc2, kind: pxe, ip: 198.18.32.12, macs: [02:00:00:00:32:03] }";

function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

async function exec(ns: Namespace, argv: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = await ns.exec(["env", ...envArgs, "sh", "-c", `"$@"; echo "exit=$?" >&2`, "sh", ...argv]);
  return { code: Number(/exit=(\d+)\s*$/.exec(r.stderr)![1]), stdout: r.stdout, stderr: r.stderr.replace(/exit=\d+\s*$/, "") };
}

/** `KEY=value` of the unit's [Service] section (the last one of a key wins, as in systemd). */
function unitValue(text: string, key: string): string {
  const m = [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].pop();
  assert.ok(m, `${UNIT} has no ${key}=`);
  return m[1]!;
}

describe("the systemd unit's layout: runAs, a 0600 inventory, /run/laggboot.pid", { timeout: 180_000 }, () => {
  let lab: Lab;
  let ns: Namespace;
  let tree: ReturnType<typeof prefixTree>;
  const unit = readFileSync(UNIT, "utf8");
  /** A command line of the unit, run here: the installed command is this CLI, absolute paths are under the prefix. */
  const argv = (line: string): string[] => line.split(/\s+/).filter(Boolean).map((a) => (a === "/usr/local/bin/laggboot" ? [process.execPath, CLI] : [a.startsWith("/") ? tree.at(a) : a])).flat();

  before(async () => {
    tree = prefixTree("unit");
    lab = new Lab("unit");
    ns = (await lab.serverAndClient(`${SERVER}/24`)).srv;
  });

  after(async () => {
    await lab.cleanup();
    rmSync(tree.root, { recursive: true, force: true });
  });

  test("the unit names /run/laggboot.pid for serve, reload and systemd alike, and /etc/laggboot/laggboot.yaml", () => {
    assert.equal(unitValue(unit, "PIDFile"), "/run/laggboot.pid");
    assert.match(unitValue(unit, "ExecStart"), /^\/usr\/local\/bin\/laggboot serve .*--pidfile \/run\/laggboot\.pid( |$)/);
    assert.match(unitValue(unit, "ExecReload"), /^\/usr\/local\/bin\/laggboot reload .*--pidfile \/run\/laggboot\.pid( |$)/);
    assert.equal(unitValue(unit, "Environment"), "LAGGBOOT_CONFIG=/etc/laggboot/laggboot.yaml");
    assert.equal(unitValue(unit, "KillSignal"), "SIGTERM");
  });

  test("pid file written after the privilege drop, HUP killing the server, a reload that cannot read the inventory ending it: start, reload (systemctl reload, kill -HUP), stop as systemd runs them", async () => {
    const config = tree.at("/etc/laggboot/laggboot.yaml");
    writeSite(tree.at, config);
    const env = { LAGGBOOT_CONFIG: config };
    // ExecStartPre: laggboot check, as root.
    assert.equal((await exec(ns, argv(unitValue(unit, "ExecStartPre")), env)).code, 0);
    const start = argv(unitValue(unit, "ExecStart"));
    assert.deepEqual(start.slice(2, 3), ["serve"]);
    const serve = startServe(ns, start.slice(3), { env: { ...process.env, ...env } });
    const ready = await serve.waitLog((l) => l["msg"] === "laggboot serving");
    const pid = serve.child.pid!;
    // Written as root, before the drop: it names the server.
    assert.deepEqual(readPidFile(tree.at("/run/laggboot.pid")), { ok: true, pid });
    assert.equal(statSync(tree.at("/run/laggboot.pid")).uid, 0);
    assert.equal(uidOf(pid), nobodyUid, "the server dropped to nobody");
    const sock = statSync(tree.at("/run/laggboot.sock"));
    assert.ok(sock.isSocket() && sock.uid === 0 && (sock.mode & 0o777) === 0o600, `control socket ${sock.mode.toString(8)} uid ${sock.uid}`);
    assert.equal(ready["control"], tree.at("/run/laggboot.sock"));
    // --log-format json (the unit's) covers the inventory's warnings too: every line is JSON.
    assert.deepEqual(serve.logs.filter((l) => l["msg"] === "(not json)"), []);
    assert.ok(serve.logs.some((l) => l["msg"] === "inventory warning" && l["code"] === "LB_WARN_BOOT_FILE_MISSING"), serve.stderrText());

    // systemctl reload: ExecReload as root reads the 0600 inventory and passphrase file and hands them over.
    writeFileSync(config, inventory(tree.at, config, PC2));
    const reload = await exec(ns, argv(unitValue(unit, "ExecReload")), env);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal(reload.stdout, `reloaded ${config}: 3 client(s)\n`);
    await serve.waitLog((l) => l["msg"] === "reloaded" && l["clients"] === 3 && l["via"] === "laggboot reload");

    // kill -HUP: the server (nobody) cannot read the file; it says why and keeps serving.
    process.kill(pid, "SIGHUP");
    const hup = await serve.waitLog((l) => String(l["msg"]).startsWith("reload rejected") && l["via"] === "SIGHUP");
    assert.match(JSON.stringify(hup["errors"]), /cannot read .*laggboot\.yaml: permission denied/);
    assert.match(String(hup["hint"]), /run 'laggboot reload' as root/);
    // The inventory moved away: the same, for root too.
    renameSync(config, `${config}.away`);
    process.kill(pid, "SIGHUP");
    await serve.waitLog((l) => String(l["msg"]).startsWith("reload rejected") && /no such file/.test(JSON.stringify(l["errors"])));
    const gone = await exec(ns, argv(unitValue(unit, "ExecReload")), env);
    assert.equal(gone.code, 2);
    renameSync(`${config}.away`, config);
    assert.equal(serve.child.exitCode, null, "the server is still running");
    assert.equal((await exec(ns, argv(unitValue(unit, "ExecReload")), env)).code, 0, "and still reloads");

    // systemctl stop: KillSignal to the main pid; transfers get their grace, exit 0.
    process.kill(pid, unitValue(unit, "KillSignal") as NodeJS.Signals);
    assert.equal(await serve.exited, 0, serve.stderrText());
    assert.ok(serve.logs.some((l) => l["msg"] === "stopped"));
    // nobody may not unlink in a root-owned 0755 /run: the pid file is emptied instead (systemd removes PIDFile= itself).
    const after = readPidFile(tree.at("/run/laggboot.pid"));
    assert.ok(!after.ok && /is empty/.test(after.why), JSON.stringify(after));
    const stale = await exec(ns, argv(unitValue(unit, "ExecReload")), env);
    assert.equal(stale.code, 2);
    assert.match(stale.stderr, /laggboot serve is not running/);
    // The next start replaces the stale socket.
    const again = startServe(ns, start.slice(3), { env: { ...process.env, ...env } });
    await again.waitLog((l) => l["msg"] === "laggboot serving");
    assert.equal((await exec(ns, argv(unitValue(unit, "ExecReload")), env)).code, 0);
    again.child.kill("SIGTERM");
    assert.equal(await again.exited, 0);
  });
});

describe("the FreeBSD rc.d script's layout: runAs, a 0600 inventory, /var/run/laggboot.pid", { timeout: 180_000 }, () => {
  let lab: Lab;
  let ns: Namespace;
  let tree: ReturnType<typeof prefixTree>;
  const rc = readFileSync(RC, "utf8");

  before(async () => {
    tree = prefixTree("rcd");
    lab = new Lab("rcd");
    ns = (await lab.serverAndClient(`${SERVER}/24`)).srv;
  });

  after(async () => {
    await lab.cleanup();
    rmSync(tree.root, { recursive: true, force: true });
  });

  test("the script names /var/run/laggboot.pid and /usr/local/etc/laggboot/laggboot.yaml", () => {
    assert.match(rc, /^name="laggboot"$/m);
    assert.match(rc, /^pidfile="\/var\/run\/\$\{name\}\.pid"$/m);
    assert.match(rc, /^: "\$\{laggboot_config:=\/usr\/local\/etc\/laggboot\/laggboot\.yaml\}"$/m);
    assert.match(rc, /^command="\/usr\/sbin\/daemon"$/m);
    assert.match(rc, /--pidfile \$\{pidfile\}/);
  });

  test("pid file written after the privilege drop, HUP killing the server: service laggboot start, reload, status, stop", async () => {
    const at = tree.at;
    const config = at("/usr/local/etc/laggboot/laggboot.yaml");
    writeSite(at, config);
    mkdirSync(at("/bin"), { mode: 0o755 });
    mkdirSync(at("/etc/rc.d"), { recursive: true, mode: 0o755 });
    const log = at("/var/log/laggboot.log");
    mkdirSync(at("/var/log"), { mode: 0o755 });
    // The installed command, and daemon(8) -f -S -T NAME: detach, output to (here) a file instead of syslog.
    writeFileSync(at("/bin/laggboot"), `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`, { mode: 0o755 });
    writeFileSync(at("/bin/daemon"), `#!/bin/sh\nwhile [ "$1" = -f ] || [ "$1" = -S ]; do shift; done\n[ "$1" = -T ] && shift 2\n"$@" </dev/null >/dev/null 2>>${log} &\n`, { mode: 0o755 });
    // rc.subr, as much of it as this script uses: knobs from rc.conf, and start / stop / reload / status / the extra commands.
    writeFileSync(at("/etc/rc.subr"), [
      "load_rc_config() { laggboot_enable=YES; laggboot_config=" + config + "; }",
      "run_rc_command() {",
      "  case \"$1\" in",
      "  start) ${start_precmd} || return 1; ${command} ${command_args} ;;",
      "  stop) read -r pid _ < \"${pidfile}\" || { echo \"${name} not running\"; return 1; }",
      "        kill -TERM \"$pid\"; n=0; while kill -0 \"$pid\" 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done ;;",
      "  status) if read -r pid _ < \"${pidfile}\" 2>/dev/null && [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null; then echo \"${name} is running as pid $pid.\"; else echo \"${name} is not running.\"; return 1; fi ;;",
      "  reload|check|doctor) eval \"\\${$1_cmd}\" ;;",
      "  *) return 1 ;;",
      "  esac",
      "}",
      "",
    ].join("\n"));
    const script = at("/etc/rc.d/laggboot");
    writeFileSync(script, rc
      .replaceAll("/etc/rc.subr", at("/etc/rc.subr"))
      .replaceAll("/usr/local/bin/laggboot", at("/bin/laggboot"))
      .replaceAll("/usr/sbin/daemon", at("/bin/daemon"))
      .replaceAll('pidfile="/var/run/', `pidfile="${at("/var/run")}/`), { mode: 0o555 });
    const service = (cmd: string) => exec(ns, ["sh", script, cmd]);
    const logLines = (): Record<string, unknown>[] => (existsSync(log) ? readFileSync(log, "utf8") : "").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const waitLog = async (pred: (l: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> => {
      for (let i = 0; i < 300; i++) {
        const hit = logLines().find(pred);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`no log line: ${what}; log:\n${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
    };

    const started = await service("start");
    assert.equal(started.code, 0, started.stderr);
    await waitLog((l) => l["msg"] === "laggboot serving", "serving");
    const pidFile = readPidFile(at("/var/run/laggboot.pid"));
    assert.ok(pidFile.ok, JSON.stringify(pidFile));
    assert.equal(uidOf(pidFile.pid), nobodyUid);
    assert.match((await service("status")).stdout, new RegExp(`laggboot is running as pid ${pidFile.pid}\\.`));

    writeFileSync(config, inventory(at, config, PC2));
    const reload = await service("reload");
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /reloaded .*: 3 client\(s\)/);
    await waitLog((l) => l["msg"] === "reloaded" && l["clients"] === 3, "reloaded");
    // A plain kill -HUP: the server cannot read the file; refused, still running.
    process.kill(pidFile.pid, "SIGHUP");
    await waitLog((l) => String(l["msg"]).startsWith("reload rejected"), "reload rejected");
    assert.equal((await service("status")).code, 0);

    const stopped = await service("stop");
    assert.equal(stopped.code, 0, stopped.stderr);
    await waitLog((l) => l["msg"] === "stopped", "stopped");
    assert.throws(() => process.kill(pidFile.pid, 0), "the server has exited");
    const status = await service("status");
    assert.equal(status.code, 1);
    assert.match(status.stdout, /laggboot is not running/);
  });
});
