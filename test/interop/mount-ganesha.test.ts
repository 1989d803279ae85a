/**
 * The doctor's NFSv3 MOUNT check against a real user-space NFS server:
 * nfs-ganesha (VFS backend) with rpcbind, NFSv3 enabled, in a network
 * namespace `lbqn<id>s`; the check runs in a second namespace `lbqn<id>c`
 * as 198.18.N.10, over UDP (what FreeBSD's loader uses) and TCP.
 * Needs root and the Debian packages nfs-ganesha, nfs-ganesha-vfs, rpcbind.
 * rpcbind and ganesha run in a private mount namespace with tmpfs over /run
 * and /var/lib/nfs, so nothing they write reaches the host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startGanesha } from "../../src/lab/ganesha.js";
import { run, start, type ManagedProcess } from "../../src/lab/proc.js";

const PROBE = join(dirname(fileURLToPath(import.meta.url)), "mount-ganesha-probe.js");

interface ProbeResult {
  ok: boolean;
  status: string;
  proves: string;
  advice: string | null;
  exports: { dir: string; groups: string[] }[] | null;
  mountPort: number | null;
}

function ganeshaConf(dir: string, serverIp: string, n: number): string {
  return `
NFS_CORE_PARAM {
  Protocols = 3, 4;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Bind_addr = ${serverIp};
}
NFSV4 { Graceless = true; }
EXPORT {
  Export_Id = 1;
  Path = ${dir}/roots/pc1;
  Pseudo = /pc1;
  Protocols = 3;
  Access_Type = None;
  Squash = No_root_squash;
  SecType = sys;
  FSAL { Name = VFS; }
  CLIENT { Clients = 198.18.${n}.10; Access_Type = RW; }
}
EXPORT {
  Export_Id = 2;
  Path = ${dir}/roots/lab;
  Pseudo = /lab;
  Protocols = 3;
  Access_Type = None;
  SecType = sys;
  FSAL { Name = VFS; }
  CLIENT { Clients = 198.18.${n}.0/24; Access_Type = RO; }
}
EXPORT {
  Export_Id = 3;
  Path = ${dir}/shared;
  Pseudo = /shared;
  Protocols = 3;
  Access_Type = RO;
  SecType = sys;
  FSAL { Name = VFS; }
}
`;
}


test("doctor's MOUNT check against nfs-ganesha (NFSv3) with rpcbind in a namespace", { timeout: 90_000 }, async (t) => {
  for (const bin of ["/usr/bin/ganesha.nfsd", "/usr/sbin/rpcbind", "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so"]) {
    assert.ok(existsSync(bin), `${bin} missing: apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind`);
  }
  const hostHadRpcbind = existsSync("/run/rpcbind.sock");
  const id = randomBytes(2).toString("hex");
  const n = 200 + (randomBytes(1)[0]! % 50);
  const sNs = `lbqn${id}s`;
  const cNs = `lbqn${id}c`;
  const serverIp = `198.18.${n}.1`;
  const dir = mkdtempSync(join(tmpdir(), "lbqn-ganesha-"));
  const made: string[] = [];
  let ganesha: ManagedProcess | undefined;
  try {
    for (const ns of [sNs, cNs]) {
      await run(["ip", "netns", "add", ns]);
      made.push(ns);
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/resolv.conf`, "# laggboot test namespace: no resolver\n");
      await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    }
    await run(["ip", "-n", sNs, "link", "add", `lbqn${id}a`, "type", "veth", "peer", "name", `lbqn${id}b`, "netns", cNs]);
    await run(["ip", "-n", sNs, "addr", "add", `${serverIp}/24`, "dev", `lbqn${id}a`]);
    await run(["ip", "-n", cNs, "addr", "add", `198.18.${n}.10/24`, "dev", `lbqn${id}b`]);
    await run(["ip", "-n", sNs, "link", "set", `lbqn${id}a`, "up"]);
    await run(["ip", "-n", cNs, "link", "set", `lbqn${id}b`, "up"]);

    for (const d of ["roots/pc1", "roots/lab", "shared/usr"]) mkdirSync(join(dir, d), { recursive: true });
    ganesha = (await startGanesha((argv, o) => start(["ip", "netns", "exec", sNs, ...argv], o), dir, ganeshaConf(dir, serverIp, n))).process;

    const probe = async (ns: string, inputs: object[]): Promise<ProbeResult[]> => {
      const r = await run(["ip", "netns", "exec", ns, process.execPath, PROBE, JSON.stringify(inputs)], 30_000);
      return JSON.parse(r.stdout) as ProbeResult[];
    };
    const check = (path: string, address: string, transport = "udp") => ({ server: serverIp, transport, timeoutMs: 3000, path, client: { address } });
    const pc1 = join(dir, "roots/pc1");
    const [udp, tcp, other, net, sub, missing] = await probe(cNs, [
      check(pc1, `198.18.${n}.10`),
      check(pc1, `198.18.${n}.10`, "tcp"),
      check(pc1, `198.18.${n}.11`),
      check(join(dir, "roots/lab"), `198.18.${n}.77`),
      check(join(dir, "shared/usr"), "203.0.113.9"),
      check("/usr/diskless/nothing", `198.18.${n}.10`),
    ]);
    t.diagnostic(`export list seen from 198.18.${n}.10: ${JSON.stringify(udp!.exports)}`);

    assert.equal(udp!.status, "allowed", udp!.proves);
    assert.match(udp!.proves, new RegExp(`group '198\\.18\\.${n}\\.10/32'`), "ganesha reports a host as /32");
    assert.match(udp!.proves, /\/udp \(found through the portmapper\)/);
    assert.equal(tcp!.status, "allowed");
    assert.match(tcp!.proves, /\/tcp /);
    assert.equal(other!.status, "denied", other!.proves);
    assert.equal(net!.status, "allowed");
    assert.match(net!.proves, new RegExp(`'198\\.18\\.${n}\\.0/24'`));
    assert.equal(sub!.status, "allowed");
    assert.match(sub!.proves, /to everyone/);
    assert.match(sub!.advice!, /-alldirs/, "a parent export is allowed with a caveat");
    assert.equal(missing!.status, "not-listed");
    assert.deepEqual(udp!.exports!.map((e) => e.dir).sort(), [pc1, join(dir, "roots/lab"), join(dir, "shared")].sort());

    // nfs-ganesha lists only what the ASKING host may mount: asked from the
    // server's own address, pc1's export (granted to .10 alone) is missing.
    const [fromServer] = await probe(sNs, [check(pc1, `198.18.${n}.10`)]);
    assert.equal(fromServer!.status, "not-listed", fromServer!.proves);
    assert.match(fromServer!.advice!, /nfs-ganesha lists only the exports the asking host may mount/);

    // rpcbind up but MOUNT gone: stop ganesha, keep asking.
    await ganesha.stop(5000);
    const [gone] = await probe(cNs, [{ ...check(pc1, `198.18.${n}.10`), timeoutMs: 1500 }]);
    assert.ok(["mount-not-registered", "mount-unreachable", "portmap-unreachable"].includes(gone!.status), gone!.status);
    assert.equal(gone!.ok, false);
    t.diagnostic(`after ganesha stopped: ${gone!.status}: ${gone!.proves}`);
  } finally {
    await ganesha?.stop(3000);
    for (const ns of made.reverse()) {
      const pids = await run(["ip", "netns", "pids", ns]).then((r) => r.stdout.split("\n").filter(Boolean).map(Number), () => []);
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await run(["ip", "netns", "del", ns]).catch(() => undefined);
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const left = (await run(["ip", "netns", "list"])).stdout;
  assert.ok(!left.includes(sNs) && !left.includes(cNs), "namespaces removed");
  assert.equal(existsSync("/run/rpcbind.sock"), hostHadRpcbind, "rpcbind's socket stayed in its private /run");
});
