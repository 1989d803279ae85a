/**
 * Static checks of the Linux client scripts laggboot ships (assets/linux/)
 * and of the lab client's own scripts (scripts/linux-client/): POSIX sh as
 * shellcheck, dash and posh read them, and the run-time flip's window
 * program touching nothing outside its memory copy. Their behaviour is
 * proven on a real kernel by test/e2e/linux-client.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SHIPPED = [
  "assets/linux/initramfs-tools/hooks/laggboot-nfs",
  "assets/linux/initramfs-tools/scripts/nfs-top/laggboot-bond",
  "assets/linux/initramfs-tools/hooks/laggboot-bond",
  "assets/linux/laggboot-flip",
  "assets/linux/laggboot-wifi",
];
/** Boot scripts initramfs-tools' /init sources (mode 0644, as its own /scripts/nfs). */
const SOURCED = ["assets/linux/initramfs-tools/scripts/laggboot-nfs"];
const LAB = ["scripts/linux-client/init", "scripts/linux-client/heartbeat", "scripts/linux-client/naive-flip", "scripts/linux-client/wpa_supplicant"];

function check(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.error, undefined, `${cmd} could not run (apt-get install shellcheck dash posh): ${String(r.error)}`);
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}\n${r.stdout}${r.stderr}`);
}

/** The flip's window: the body of its quoted here-document. */
function windowProgram(): string {
  const m = /\n\/bin\/cat > "\$mem\/window" <<'WINDOW'\n([\s\S]*?)\nWINDOW\n/.exec(readFileSync("assets/linux/laggboot-flip", "utf8"));
  assert.ok(m, "window here-document not found");
  return m[1]! + "\n";
}

test("the shipped and the lab's scripts pass shellcheck -s sh, dash -n and posh -n, and are executable (boot scripts are sourced)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-linux-lint-"));
  try {
    const win = join(dir, "window");
    writeFileSync(win, `#!/bin/sh\n${windowProgram()}`);
    for (const f of [...SHIPPED, ...SOURCED, ...LAB, win]) {
      check("shellcheck", ["-s", "sh", f]);
      check("dash", ["-n", f]);
      check("posh", ["-n", f]);
      if (f !== win && !SOURCED.includes(f)) assert.equal(statSync(f).mode & 0o111, 0o111, `${f} is executable`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the flip's window names no path outside the memory copy: only /sys and /dev inside the chroot", () => {
  for (const raw of windowProgram().split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    for (const m of line.matchAll(/(?:^|[\s"'=>(])(\/[A-Za-z][^\s"'$]*)/g)) {
      assert.match(m[1]!, /^\/(sys|dev)\//, `path outside the chroot's own /sys and /dev: ${line}`);
    }
  }
});

test("the nfs-top script builds the bond from builtins and sysfs: it runs no network tool, no text tool", () => {
  const tools = /(^|[;&|({]\s*|\$\(\s*|\b(then|else|do)\s+)(ip|ifenslave|ifconfig|ifup|cat|awk|sed|grep|tr|cut|head|tail|ls|basename|dirname|readlink|find|udevadm)(\s|$|\))/;
  for (const raw of readFileSync(SHIPPED[0]!, "utf8").split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    assert.doesNotMatch(line, tools, `the nfs-top script runs a program it need not: ${line}`);
  }
  assert.match("lb_x=$(cat /proc/cmdline)", tools, "the check is live");
});
