/**
 * The laggboot command on what prepares a client's boot for the flip:
 * apply writes sysctl.conf.local and the loader's module lines like every
 * other client file (manifest, no foreign file replaced), and check --root
 * reads the clients' rc.conf for DHCP settings that would undo the flip.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist/src/cli/main.js");

function lb(args: readonly string[], cwd: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, LAGGBOOT_CONFIG: "" } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The example inventory, its TFTP root inside `dir`. */
function inExample(fn: (dir: string, inv: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "lb-cli-boot-"));
  try {
    lb(["init", "laggboot.yaml"], dir);
    const inv = join(dir, "laggboot.yaml");
    writeFileSync(inv, readFileSync(inv, "utf8").replace("root: /srv/tftp", `root: ${dir}/tftp`));
    mkdirSync(join(dir, "tftp"));
    for (const f of ["pxeboot", "loader.efi", "boot.ipxe", "kiosk.ipxe"]) writeFileSync(join(dir, "tftp", f), "x");
    fn(dir, inv);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("apply writes sysctl.conf.local and the loader's module lines, records them, and never replaces a foreign sysctl.conf.local", () => {
  inExample((dir, inv) => {
    const root = join(dir, "server");
    const sysctl = join(root, "srv/diskless/client/etc/sysctl.conf.local");
    mkdirSync(join(root, "srv/diskless/client/etc"), { recursive: true });
    writeFileSync(sysctl, "kern.ipc.somaxconn=1024\n");
    const refused = lb(["--config", inv, "apply", "--root", root], dir);
    assert.equal(refused.code, 1, refused.out + refused.err);
    assert.match(refused.err, /LB_ERR_FOREIGN_FILE.*sysctl\.conf\.local/);
    assert.equal(readFileSync(sysctl, "utf8"), "kern.ipc.somaxconn=1024\n");
    // Only the root holding the foreign file is refused; the shared root is written.
    assert.match(refused.out, /create .*srv\/diskless\/shared\/conf\/198\.18\.0\.21\/etc\/sysctl\.conf\.local/);
    rmSync(sysctl);

    const first = lb(["--config", inv, "apply", "--root", root], dir);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /create .*srv\/diskless\/client\/etc\/sysctl\.conf\.local/);
    assert.match(readFileSync(sysctl, "utf8"), /^net\.link\.lagg\.failover_rx_all=1$/m);
    assert.equal(statSync(sysctl).mode & 0o777, 0o644);
    const manifest = JSON.parse(readFileSync(join(root, "srv/diskless/client/.laggboot-manifest.json"), "utf8")) as { files: Record<string, string[]> };
    assert.ok(manifest.files["etc/sysctl.conf.local"]?.length === 1);
    const loader = readFileSync(join(root, "srv/diskless/shared/boot/loader.conf.local"), "utf8");
    for (const m of ["wlan_ccmp", "wlan_tkip", "wlan_amrr", "iwn6000g2afw", "if_iwn"]) assert.match(loader, new RegExp(`^${m}_load="YES"$`, "m"));
    assert.match(lb(["--config", inv, "apply", "--root", root], dir).out, /nothing to change: 15 file\(s\) already up to date/);
  });
});

test("check --root warns about rc.conf lines that ask for DHCP on the boot NIC or in ifconfig_DEFAULT; without --root it does not look", () => {
  inExample((dir, inv) => {
    const root = join(dir, "server");
    mkdirSync(join(root, "srv/diskless/client/etc"), { recursive: true });
    writeFileSync(join(root, "srv/diskless/client/etc/rc.conf"), 'hostname="client"\nifconfig_re0="DHCP"\n');
    const plain = lb(["check", inv], dir);
    assert.equal(plain.code, 0, plain.out);
    assert.doesNotMatch(plain.out, /LB_WARN_CLIENT_RC_DHCP/);
    const r = lb(["check", "--root", root, inv], dir);
    assert.equal(r.code, 0, "a warning does not fail check");
    assert.match(r.out, /srv\/diskless\/client\/etc\/rc\.conf:2:1: warning \[LB_WARN_CLIENT_RC_DHCP\] clients\[0\]: ifconfig_re0="DHCP" asks for DHCP/);
    assert.match(r.out, /OK, 4 client\(s\), 1 warning\(s\)/);
    const j = JSON.parse(lb(["check", "--json", "--root", root, inv], dir).out) as { warnings: number; findings: { code: string; line: number }[] };
    assert.equal(j.warnings, 1);
    assert.deepEqual(j.findings.map((f) => [f.code, f.line]), [["LB_WARN_CLIENT_RC_DHCP", 2]]);
  });
});
