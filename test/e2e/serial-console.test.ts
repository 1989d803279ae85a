/** The rig's serial watcher and QEMU command lines, without booting anything. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { cleanConsoleLine, qemuArgv, SerialConsole } from "../../src/lab/qemu.js";
import { ipxeScript } from "../../src/lab/assets.js";

test("console lines: escapes, CR and iPXE's backspace spinner are cleaned as a terminal would show them", () => {
  assert.equal(cleanConsoleLine("\x1bc\x1b[?7lSeaBIOS (version 1.16.2)\r"), "SeaBIOS (version 1.16.2)");
  const spinner = `Press Ctrl-B for the iPXE command line...${"\b \b".repeat(41)}net0: 52:54:00:12:34:56 using virtio-net`;
  assert.equal(cleanConsoleLine(spinner), "net0: 52:54:00:12:34:56 using virtio-net");
  assert.equal(cleanConsoleLine("kernel... 52%\b\b\b\b    \b\b\b\b ok\r"), "kernel... ok");
});

test("waitForLine: resolves on a line split across chunks, times out with the tail, fails when the console ends", async () => {
  const s = new PassThrough();
  const dir = mkdtempSync(join(tmpdir(), "lbq-serial-"));
  try {
    const c = new SerialConsole(s, join(dir, "serial.log"));
    const waiting = c.waitForLine(/^LAGGBOOT-LAB-BOOTED marker=(\S+)$/, 2000);
    s.write("noise\r\nLAGGBOOT-LAB-");
    s.write("BOOTED marker=abc\r\n");
    assert.equal((await waiting).text, "LAGGBOOT-LAB-BOOTED marker=abc");
    // Already seen lines satisfy later waits at once.
    assert.equal((await c.waitForLine(/^noise$/, 10)).text, "noise");
    await assert.rejects(c.waitForLine(/never/, 50), /timed out after 50 ms waiting for \/never\/; last lines:\n.*noise/s);
    const pending = c.waitForLine(/never either/, 5000);
    s.end("last words");
    await assert.rejects(pending, /console closed \(QEMU exited\)[^]*last words/);
    await new Promise((r) => setTimeout(r, 20));
    assert.match(readFileSync(join(dir, "serial.log"), "latin1"), /LAGGBOOT-LAB-BOOTED marker=abc\r\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("QEMU command lines: BIOS runs iPXE's virtio ROM, UEFI an empty romfile with a private VARS copy", () => {
  const dir = mkdtempSync(join(tmpdir(), "lbq-qemu-"));
  try {
    const bios = qemuArgv({ firmware: "bios", tap: "tap0", mac: "52:54:00:01:02:03", workDir: dir }).join(" ");
    assert.match(bios, /-machine pc,accel=tcg /);
    assert.match(bios, /virtio-net-pci,disable-legacy=on,netdev=n0,mac=52:54:00:01:02:03,romfile=\/usr\/lib\/ipxe\/qemu\/pxe-virtio\.rom/);
    assert.match(bios, /-nographic .*-serial stdio/);
    const uefi = qemuArgv({ firmware: "uefi", tap: "tap0", mac: "52:54:00:01:02:03", workDir: dir, accel: "tcg" }).join(" ");
    assert.match(uefi, /-machine q35,accel=tcg /);
    assert.match(uefi, /if=pflash,format=raw,unit=0,readonly=on,file=\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd/);
    assert.match(uefi, new RegExp(`if=pflash,format=raw,unit=1,file=${join(dir, "OVMF_VARS.fd")}`));
    assert.match(uefi, /mac=52:54:00:01:02:03,romfile=$/);
    assert.equal(readFileSync(join(dir, "OVMF_VARS.fd")).length, readFileSync("/usr/share/OVMF/OVMF_VARS_4M.fd").length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("QEMU command line with two NICs: each on its tap with its id, iPXE's ROM only on the boot NIC; reset reboots", () => {
  const dir = mkdtempSync(join(tmpdir(), "lbq-qemu-"));
  try {
    const argv = qemuArgv({
      firmware: "bios", tap: "tap0", mac: "52:54:00:01:02:03", workDir: dir, rebootOnReset: true,
      nics: [
        { id: "wired", tap: "tap0", mac: "52:54:00:01:02:03", bootRom: true },
        { id: "backup", tap: "tap1", mac: "52:54:00:01:02:83", bootRom: false },
      ],
    }).join(" ");
    assert.match(argv, /-netdev tap,id=nwired,ifname=tap0,script=no,downscript=no -netdev tap,id=nbackup,ifname=tap1,/);
    assert.match(argv, /virtio-net-pci,disable-legacy=on,netdev=nwired,id=wired,mac=52:54:00:01:02:03,romfile=\/usr\/lib\/ipxe\/qemu\/pxe-virtio\.rom/);
    assert.match(argv, /virtio-net-pci,disable-legacy=on,netdev=nbackup,id=backup,mac=52:54:00:01:02:83,romfile=( |$)/);
    assert.doesNotMatch(argv, /-no-reboot/, "system_reset must boot again, not end QEMU");
    assert.doesNotMatch(argv, /netdev=n0/);
    assert.throws(() => qemuArgv({ firmware: "uefi", tap: "tap0", mac: "52:54:00:01:02:03", workDir: dir, nics: [] }), /bios firmware only/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the iPXE script names the initrd for the EFI stub and carries the marker", () => {
  const s = ipxeScript("lbq-1.x_y");
  assert.match(s, /^#!ipxe\n/);
  assert.match(s, /^kernel kernel initrd=initrd\.gz console=ttyS0 .*lbmarker=lbq-1\.x_y$/m);
  assert.match(s, /^initrd initrd\.gz$/m);
  assert.throws(() => ipxeScript("bad marker"), /marker/);
});
