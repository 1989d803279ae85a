/**
 * laggboot-wifi's logic (assets/linux/laggboot-wifi), every path, on a fake
 * machine: a private mount namespace in which a directory stands in for
 * /sys/class/net (the bond, the wired and the Wi-Fi NIC as files), a file
 * for /proc/cmdline, a memory /etc, and scripts for ip, wpa_supplicant and
 * sleep, which log
 * what they are asked and change the fake sysfs as the kernel would. The
 * happy path on a real kernel, with a virtio NIC standing in for the Wi-Fi
 * NIC, is in test/e2e/linux-client.test.ts. Needs util-linux (unshare,
 * mount) and, for its path only, Debian's wpasupplicant.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const WIRED = "52:54:00:00:00:30";
const WIFI = "52:54:00:00:01:30";
const SCRIPT = join(process.cwd(), "assets/linux/laggboot-wifi");

interface Machine {
  /** No bond0 at all (the initramfs gave up). */
  noBond?: boolean;
  /** eth1 is already a port of bond0 (a restart of the service). */
  enslaved?: boolean;
  /** The Wi-Fi driver refuses a new MAC. */
  refuseMac?: boolean;
  /** wpa_supplicant never associates. */
  noAssoc?: boolean;
  /** bond0 refuses the port (its sysfs is read-only). */
  refusePort?: boolean;
  cmdline?: string;
}

interface Run { status: number | null; log: string; calls: string[]; slaves: string; eth1Address: string }

function runScript(m: Machine): Run {
  const dir = mkdtempSync(join(tmpdir(), "lb-wifi-"));
  try {
    const net = join(dir, "net");
    const file = (p: string, text: string): void => {
      mkdirSync(join(net, p, ".."), { recursive: true });
      writeFileSync(join(net, p), `${text}\n`);
    };
    file("eth0/address", WIRED);
    file("eth1/address", m.enslaved ? WIRED : WIFI);
    file("eth1/operstate", "down");
    if (!m.noBond) {
      file("bond0/address", WIRED);
      file("bond0/bonding/slaves", m.enslaved ? "eth0 eth1" : "eth0");
      file("bond0/bonding/active_slave", "eth0");
      file("eth0/bonding_slave/perm_hwaddr", WIRED);
      if (m.enslaved) {
        file("eth1/bonding_slave/perm_hwaddr", WIFI);
        symlinkSync("../bond0", join(net, "eth1/master"));
      }
    }
    writeFileSync(join(dir, "cmdline"), `${m.cmdline ?? `root=/dev/nfs laggboot.bond=bond0,wired=${WIRED},wifi=${WIFI},miimon=100`}\n`);
    writeFileSync(join(dir, "calls"), "");
    if (m.refuseMac) writeFileSync(join(dir, "refuse-mac"), "");
    if (m.noAssoc) writeFileSync(join(dir, "no-assoc"), "");
    const tool = (name: string, body: string): void => {
      writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    // ip link set dev IF down|up|address MAC
    tool("ip", `echo "ip $*" >> "$LBF/calls"
if [ "$5" = address ]; then
  [ -e "$LBF/refuse-mac" ] && exit 2
  echo "$6" > "$LBF/net/$4/address"
fi
exit 0`);
    // wpa_supplicant -i IF -c CONF -D DRIVERS: "associates" (operstate up) unless told not to, then runs a while.
    tool("wpa_supplicant", `echo "wpa_supplicant $*" >> "$LBF/calls"
[ -e "$LBF/no-assoc" ] || echo up > "$LBF/net/$2/operstate"
trap 'echo "wpa_supplicant terminated" >> "$LBF/calls"; exit 0' TERM
/bin/busybox sleep 3 &
wait $!`);
    tool("sleep", "exec /bin/busybox sleep 0.02");
    mkdirSync(join(dir, "etc"));
    writeFileSync(join(dir, "etc/wpa_supplicant.conf"), "network={\n}\n");
    const wrapper = `set -e
PATH=/usr/sbin:/usr/bin:/sbin:/bin
for t in ip wpa_supplicant sleep; do
  p=$(command -v "$t") || { echo "$t missing: apt-get install iproute2 wpasupplicant coreutils" >&2; exit 90; }
  mount --bind "$LBF/$t" "$(readlink -f "$p")"
done
mount --bind "$LBF/net" /sys/class/net
mount --bind "$LBF/cmdline" /proc/cmdline
mount --bind /dev/null /dev/kmsg
mount -t tmpfs lbq-etc /etc
mkdir /etc/laggboot
cp "$LBF/etc/wpa_supplicant.conf" /etc/laggboot/
${m.refusePort ? 'mount --bind "$LBF/net/bond0/bonding" /sys/class/net/bond0/bonding && mount -o remount,bind,ro /sys/class/net/bond0/bonding' : ""}
set +e
sh "${SCRIPT}"
`;
    const r = spawnSync("unshare", ["--mount", "sh", "-c", wrapper], { encoding: "utf8", timeout: 30_000, env: { ...process.env, LBF: dir } });
    assert.equal(r.error, undefined, `unshare could not run: ${String(r.error)}`);
    assert.notEqual(r.status, 90, r.stderr);
    const read = (p: string): string => (existsSync(p) ? readFileSync(p, "utf8").trim() : "");
    return {
      status: r.status, log: r.stderr, calls: read(join(dir, "calls")).split("\n").filter((l) => l !== ""),
      slaves: read(join(net, "bond0/bonding/slaves")), eth1Address: read(join(net, "eth1/address")),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the Wi-Fi NIC gets the bond's MAC while down, wpa_supplicant associates it, then it joins the bond as a backup port", () => {
  const r = runScript({});
  assert.deepEqual(r.calls.slice(0, 4), [
    "ip link set dev eth1 down",
    `ip link set dev eth1 address ${WIRED}`,
    "ip link set dev eth1 up",
    "wpa_supplicant -i eth1 -c /etc/laggboot/wpa_supplicant.conf -D nl80211,wext",
  ]);
  assert.equal(r.calls[4], "ip link set dev eth1 down", "bonding refuses a port that is up");
  assert.equal(r.slaves, "+eth1", "enslaved through the bond's sysfs");
  assert.equal(r.eth1Address, WIRED);
  assert.match(r.log, /laggboot-wifi: eth1 has associated \(MAC 52:54:00:00:00:30\)/);
  assert.match(r.log, /laggboot-wifi: bond0: eth1 \(Wi-Fi, MAC 52:54:00:00:00:30\) is a backup port; ports \+eth1, active eth0/);
  assert.match(r.log, /wpa_supplicant on eth1 exited \(0\)/);
  assert.equal(r.status, 0, "the script lasts as long as wpa_supplicant, and ends with its status");
});

test("in run-time mode the spec is laggboot.flip=, and the bond is the flip's", () => {
  const r = runScript({ cmdline: `laggboot.flip=bond0,wired=${WIRED},wifi=${WIFI},miimon=100` });
  assert.equal(r.slaves, "+eth1");
  assert.equal(r.status, 0);
});

test("not associated within 30 s: the port joins the bond anyway, to carry traffic once it associates", () => {
  const r = runScript({ noAssoc: true });
  assert.match(r.log, /eth1 has not associated within 30 s \(down\); adding it to bond0 anyway/);
  assert.equal(r.slaves, "+eth1");
});

test("a restart finds the port in the bond already and only starts wpa_supplicant", () => {
  const r = runScript({ enslaved: true });
  assert.deepEqual(r.calls.filter((c) => !c.startsWith("wpa_supplicant terminated")), ["wpa_supplicant -i eth1 -c /etc/laggboot/wpa_supplicant.conf -D nl80211,wext"]);
  assert.match(r.log, /eth1 is a port of bond0 already/);
  assert.equal(r.slaves, "eth0 eth1");
});

test("failures leave the bond as it was and say why; exit 3 where trying again changes nothing", () => {
  const mac = runScript({ refuseMac: true });
  assert.equal(mac.status, 3);
  assert.match(mac.log, /the driver of eth1 refuses the bond's MAC 52:54:00:00:00:30: the Wi-Fi port is not used/);
  assert.ok(!mac.calls.some((c) => c.startsWith("wpa_supplicant")), "no wpa_supplicant");
  assert.equal(mac.slaves, "eth0");

  const port = runScript({ refusePort: true });
  assert.equal(port.status, 3);
  assert.match(port.log, /bond0 refuses eth1 as a port: the Wi-Fi port is not used/);
  assert.ok(port.calls.includes("wpa_supplicant terminated"), "wpa_supplicant is stopped again");
  assert.equal(port.calls.at(-2) === "ip link set dev eth1 up" || port.calls.at(-1) === "ip link set dev eth1 up", true, port.calls.join("\n"));
  assert.equal(port.slaves, "eth0");

  const none = runScript({ noBond: true });
  assert.equal(none.status, 3);
  assert.match(none.log, /bond0 has no port after 120 s \(the bond was not built\): the Wi-Fi port is not used/);
  assert.deepEqual(none.calls, []);

  const noSpec = runScript({ cmdline: `laggboot.bond=bond0,wired=${WIRED},backup=${WIFI}` });
  assert.equal(noSpec.status, 3, "a cable backup (backup=) is not this script's");
  assert.match(noSpec.log, /no bondN and wifi=<mac>/);
  assert.deepEqual(noSpec.calls, []);
});
