/**
 * QEMU as a real PXE client. Two firmwares, as the testbed measured them:
 *  - "bios": SeaBIOS runs iPXE's option ROM for virtio-net (iPXE BIOS, client
 *    arch 0). `disable-legacy=on` is needed or SeaBIOS never runs the ROM
 *    ("No bootable device").
 *  - "uefi": OVMF with an EMPTY `romfile=`, so the firmware's own EDK2 PXE
 *    runs (arch 7) instead of iPXE's EFI ROM that QEMU would load by default.
 *    OVMF needs a writable copy of its VARS file per machine.
 * The serial console (ttyS0) is QEMU's stdout; `SerialConsole` turns it into
 * clean lines with timestamps and lets tests wait for a line with a timeout.
 */
import { copyFileSync, createWriteStream, existsSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";

export type Firmware = "bios" | "uefi";

export const QEMU_PATHS = {
  biosVirtioRom: "/usr/lib/ipxe/qemu/pxe-virtio.rom",
  ovmfCode: "/usr/share/OVMF/OVMF_CODE_4M.fd",
  ovmfVars: "/usr/share/OVMF/OVMF_VARS_4M.fd",
} as const;

/** One NIC of a client with several (bios firmware): `id` names it for the monitor's `set_link ID off`. */
export interface QemuNic {
  readonly id: string;
  readonly tap: string;
  readonly mac: string;
  /** Carries iPXE's option ROM: the NIC the firmware boots from. The others get none. */
  readonly bootRom: boolean;
}

export interface QemuOptions {
  readonly firmware: Firmware;
  readonly tap: string;
  readonly mac: string;
  /** Several NICs instead of the one on `tap` with `mac` (bios firmware only). */
  readonly nics?: readonly QemuNic[];
  /** A reset (the monitor's system_reset, a guest reboot) boots again instead of ending QEMU (default false: -no-reboot). */
  readonly rebootOnReset?: boolean;
  /** Directory for the VARS copy and the monitor socket. */
  readonly workDir: string;
  /** "tcg" (default; what CI has) or "kvm" where /dev/kvm works. */
  readonly accel?: "tcg" | "kvm";
  readonly memoryMb?: number;
  /** Give the monitor a unix socket (for `set_link n0 off` and the like). */
  readonly monitorSocket?: boolean;
}

/** The netdev id tests use with the monitor's `set_link`. */
export const QEMU_NETDEV_ID = "n0";

/** The QEMU command line for one PXE client. Copies OVMF's VARS file for UEFI. */
export function qemuArgv(o: QemuOptions): string[] {
  const accel = o.accel ?? "tcg";
  // The NIC's netdev: n0 for the one NIC, nID for each of several.
  const netdevs = o.nics === undefined ? [{ netdev: QEMU_NETDEV_ID, tap: o.tap }] : o.nics.map((n) => ({ netdev: `n${n.id}`, tap: n.tap }));
  const common = [
    "-m", String(o.memoryMb ?? 512),
    "-smp", "1",
    // Power off ends QEMU; a reboot also ends it instead of PXE-booting again (unless asked).
    ...(o.rebootOnReset ? [] : ["-no-reboot"]),
    ...netdevs.flatMap((n) => ["-netdev", `tap,id=${n.netdev},ifname=${n.tap},script=no,downscript=no`]),
    "-boot", "n",
    // -nographic (not -display none): QEMU then tells SeaBIOS to use the serial
    // console, so the BIOS and iPXE ROM messages reach ttyS0 too.
    "-nographic",
    "-serial", "stdio",
    "-monitor", o.monitorSocket ? `unix:${join(o.workDir, "monitor.sock")},server,nowait` : "none",
  ];
  if (o.firmware === "bios") {
    for (const p of [QEMU_PATHS.biosVirtioRom]) if (!existsSync(p)) throw new Error(`${p} missing (apt-get install ipxe-qemu)`);
    const devices = o.nics === undefined
      ? ["-device", `virtio-net-pci,disable-legacy=on,netdev=${QEMU_NETDEV_ID},mac=${o.mac},romfile=${QEMU_PATHS.biosVirtioRom}`]
      : o.nics.flatMap((n) => ["-device", `virtio-net-pci,disable-legacy=on,netdev=n${n.id},id=${n.id},mac=${n.mac},romfile=${n.bootRom ? QEMU_PATHS.biosVirtioRom : ""}`]);
    return ["qemu-system-x86_64", "-machine", `pc,accel=${accel}`, ...common, ...devices];
  }
  if (o.nics !== undefined) throw new Error("several NICs are set up for bios firmware only");
  for (const p of [QEMU_PATHS.ovmfCode, QEMU_PATHS.ovmfVars]) if (!existsSync(p)) throw new Error(`${p} missing (apt-get install ovmf)`);
  const vars = join(o.workDir, "OVMF_VARS.fd");
  copyFileSync(QEMU_PATHS.ovmfVars, vars);
  return [
    "qemu-system-x86_64",
    "-machine", `q35,accel=${accel}`,
    "-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${QEMU_PATHS.ovmfCode}`,
    "-drive", `if=pflash,format=raw,unit=1,file=${vars}`,
    ...common,
    // Empty romfile: no iPXE ROM, so OVMF's own PXE (arch 7) does the first boot.
    "-device", `virtio-net-pci,netdev=${QEMU_NETDEV_ID},mac=${o.mac},romfile=`,
  ];
}

export interface SerialLine {
  readonly text: string;
  /** Milliseconds since the console was attached (about QEMU's start). */
  readonly atMs: number;
}

// ANSI escape sequences (firmware menus), carriage returns, backspace spinners.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[A-Za-z0-9=>]/g;

/** Clean one raw console line: drop escapes, apply backspaces, keep the last CR-segment. */
export function cleanConsoleLine(raw: string): string {
  let s = raw.replace(ANSI, "");
  const crParts = s.split("\r").filter((p) => p !== "");
  s = crParts.length > 0 ? crParts.join(" ") : "";
  const out: string[] = [];
  for (const ch of s) {
    if (ch === "\b") out.pop();
    else out.push(ch);
  }
  // eslint-disable-next-line no-control-regex
  return out.join("").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "").trimEnd();
}

interface Waiter {
  readonly pattern: RegExp;
  readonly resolve: (l: SerialLine) => void;
}

/** Lines from a serial console, with a wait-for-line that times out. */
export class SerialConsole {
  readonly lines: SerialLine[] = [];
  private partial = "";
  private waiters: Waiter[] = [];
  private ended = false;
  private readonly endListeners: (() => void)[] = [];
  private readonly lineListeners: ((line: SerialLine) => void)[] = [];
  private readonly t0: number;
  private readonly transcript: WriteStream | undefined;

  constructor(stream: Readable, transcriptPath?: string, now: () => number = Date.now) {
    this.t0 = now();
    this.transcript = transcriptPath !== undefined ? createWriteStream(transcriptPath) : undefined;
    stream.on("data", (chunk: Buffer) => {
      this.transcript?.write(chunk);
      this.feed(chunk.toString("latin1"), now() - this.t0);
    });
    stream.on("end", () => {
      if (this.partial !== "") this.push(this.partial, now() - this.t0);
      this.partial = "";
      this.ended = true;
      this.transcript?.end();
      for (const l of this.endListeners.splice(0)) l();
    });
  }

  private feed(text: string, atMs: number): void {
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop() ?? "";
    for (const p of parts) this.push(p, atMs);
  }

  private push(raw: string, atMs: number): void {
    const text = cleanConsoleLine(raw);
    if (text === "") return;
    const line = { text, atMs };
    this.lines.push(line);
    for (const l of this.lineListeners) l(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pattern.test(text)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Call `listener` with every later line, as it arrives. */
  onLine(listener: (line: SerialLine) => void): void {
    this.lineListeners.push(listener);
  }

  /** The first line (seen so far or later) matching `pattern`. */
  find(pattern: RegExp): SerialLine | undefined {
    return this.lines.find((l) => pattern.test(l.text));
  }

  /** Resolve with the first line matching `pattern`; reject on timeout or when the console ends first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<SerialLine> {
    const seen = this.find(pattern);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`serial: ${why} waiting for ${pattern}; last lines:\n${this.tail(25)}`));
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const waiter: Waiter = {
        pattern,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.waiters.push(waiter);
      const onEnd = (): void => {
        if (!this.waiters.includes(waiter)) return;
        clearTimeout(timer);
        fail("console closed (QEMU exited)");
      };
      if (this.ended) onEnd();
      else this.endListeners.push(onEnd);
    });
  }

  /** The last `n` lines, for failure messages. */
  tail(n: number): string {
    return this.lines.slice(-n).map((l) => `  [${(l.atMs / 1000).toFixed(1)}s] ${l.text}`).join("\n");
  }
}
