/**
 * laggboot serve alone answers OVMF's own UEFI PXE (empty romfile=, arch 7)
 * under QEMU TCG: the firmware gets ipxe.efi, first through its TFTP size
 * probe (tsize + blksize + windowsize 4, aborted with ERROR 8 after the
 * OACK) and then the real transfer with windowsize 4; ipxe.efi does DHCP
 * again as iPXE and gets the script as an http:// URL, and the kernel and
 * initramfs come over HTTP too; their marker appears on the serial console.
 * The status API shows the
 * client's stages in order, the probe in its files, and the lab's FreeBSD
 * client untouched. Needs root and the lab packages (docs/lab.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClientStatus } from "../../src/app/status-types.js";
import { ensureLabAssets } from "../../src/lab/assets.js";
import { bootToMarker, withLab } from "../../src/lab/lab.js";
import { LAB_HTTP_PORT, laggbootServe, type LaggbootServer } from "../../src/lab/laggboot-serve.js";
import { httpGetInNs } from "../../src/lab/net.js";

test("OVMF's own PXE: size probe (ERROR 8 after OACK), ipxe.efi with windowsize 4, then iPXE script, kernel and initrd over HTTP, marker; stages in order", { timeout: 240_000 }, async (t) => {
  const assets = await ensureLabAssets();
  await withLab({ firmware: "uefi", server: laggbootServe(), assets }, async (lab) => {
    const r = await bootToMarker(lab, 170_000);
    assert.equal(r.markerSeen, lab.marker, "the initramfs printed this run's marker");
    assert.deepEqual(r.qemuExit, { code: 0, signal: null }, "the initramfs powers off");
    const server = lab.server as LaggbootServer;
    const logs = server.logLines();
    const me = lab.ctx.client;

    // DHCP: the firmware (not iPXE) is offered ipxe.efi over TFTP, then ipxe.efi (iPXE) the script's URL.
    const replies = logs.filter((l) => l["msg"] === "dhcp reply" && l["mac"] === me.mac);
    const firmwareAck = replies.findIndex((l) => l["type"] === "ACK" && l["ipxe"] === false && l["bootFile"] === "ipxe.efi");
    const ipxeAck = replies.findIndex((l) => l["type"] === "ACK" && l["ipxe"] === true && l["bootFile"] === `http://${lab.net.addresses.serverIp}/boot.ipxe`);
    assert.ok(firmwareAck >= 0 && ipxeAck > firmwareAck, `DHCP replies: ${JSON.stringify(replies)}`);

    // TFTP: the probe, then the windowsize-4 transfer of ipxe.efi; then HTTP: the script, kernel and initrd.
    const transfers = logs.filter((l) => l["msg"] === "tftp transfer");
    const seq = transfers.map((l) => `${String(l["file"])} ${String(l["outcome"])}`);
    const probeAt = seq.indexOf("ipxe.efi probe");
    const efiAt = seq.indexOf("ipxe.efi ok");
    assert.ok(probeAt >= 0, `OVMF's size probe must show as outcome "probe": ${seq.join(", ")}`);
    assert.ok(efiAt > probeAt, `the real transfer follows the probe: ${seq.join(", ")}`);
    const efi = transfers[efiAt]!;
    assert.equal(efi["windowsize"], 4, "OVMF asks for windowsize 4 (RFC 7440)");
    assert.equal(efi["blksize"], 1468);
    assert.equal(transfers[probeAt]!["bytes"], 0, "the probe ends after the OACK: no data");
    assert.deepEqual(seq.slice(efiAt + 1), [], "nothing else over TFTP");
    const http = logs.filter((l) => l["msg"] === "http transfer");
    assert.deepEqual(http.map((l) => `${String(l["method"])} ${String(l["file"])} ${String(l["outcome"])}`), ["GET boot.ipxe ok", "GET kernel ok", "GET initrd.gz ok"]);
    for (const x of [...transfers, ...http]) assert.ok(String(x["from"]).startsWith(`${me.ip}:`), `from the reserved address: ${String(x["from"])}`);

    // The status API: stages in order, the probe among the files.
    const clients = JSON.parse(await httpGetInNs(lab.net.server, `http://127.0.0.1:${LAB_HTTP_PORT}/api/v1/clients`)) as ClientStatus[];
    const c = clients.find((x) => x.name === me.hostname)!;
    // A DISCOVER repeated on a slow machine is offered twice: one step.
    const steps = c.stages.map((s) => `${s.stage} ${s.detail}`).filter((x, i, all) => i === 0 || all[i - 1] !== x);
    assert.deepEqual(steps, [
      `dhcp-offered ${me.ip}`,
      `dhcp-acked ${me.ip}`,
      "boot-file-sent ipxe.efi",
      `dhcp-offered ${me.ip}`,
      `dhcp-acked ${me.ip}`,
      "ipxe-script-sent boot.ipxe",
      "file-sent kernel",
      "file-sent initrd.gz",
    ]);
    assert.deepEqual(c.stages.filter((s) => s.protocol !== undefined).map((s) => `${s.detail} ${s.protocol}`).filter((x, i, all) => all.indexOf(x) === i),
      ["ipxe.efi tftp", "boot.ipxe http", "kernel http", "initrd.gz http"]);
    assert.equal(c.stage, "file-sent");
    for (let i = 1; i < c.stages.length; i++) assert.ok(c.stages[i - 1]!.atMs <= c.stages[i]!.atMs);
    assert.deepEqual(c.files.slice(0, 2).map((f) => `${f.path} ${f.outcome}`), ["ipxe.efi probe", "ipxe.efi ok"]);
    assert.equal(c.lastDhcp?.ip, me.ip);
    assert.equal(c.lastDhcp?.clientKind, "ipxe");
    const laptop = clients.find((x) => x.kind === "freebsd-lagg")!;
    assert.equal(laptop.stage, undefined, "the inventory's FreeBSD client never booted");

    const m = r.milestonesMs;
    t.diagnostic(`uefi: marker after ${(r.bootMs / 1000).toFixed(1)} s; script at ${((m.scriptLoaded ?? 0) / 1000).toFixed(1)} s; ipxe.efi ${String(efi["ms"])} ms (TFTP); kernel ${String(http.find((x) => x["file"] === "kernel")!["ms"])} ms (HTTP)`);
  });
});
