/**
 * The storm: N distinct PXE clients (UEFI x64, as OVMF sends) start DHCP
 * within one second. Runs inside the client namespace; each client sends one
 * DISCOVER (no retransmission), answers its OFFER with a REQUEST at once,
 * and counts as served when its ACK carries its reserved address. Stops by
 * itself after `deadlineMs`. argv[2]: JSON { macs, ips, server, sendFrom,
 * spreadMs, deadlineMs }; prints one JSON line with the result.
 */
import { createSocket } from "node:dgram";
import { pxeRequest, requestBytes } from "../../test/support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption } from "../../src/wire/dhcp4/option-values.js";
import { DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";

interface StormConfig { macs: string[]; ips: string[]; server: string; sendFrom: string; spreadMs: number; deadlineMs: number }

const cfg = JSON.parse(process.argv[2]!) as StormConfig;
const rx = createSocket({ type: "udp4", reuseAddr: true });
const tx = createSocket({ type: "udp4", reuseAddr: true });
const byXid = new Map<number, number>();
const sentAt: number[] = [];
const ackAt: (number | undefined)[] = cfg.macs.map(() => undefined);
let offers = 0;
let wrongAddress = 0;
const t0 = performance.now();

rx.on("message", (msg) => {
  let p;
  try {
    p = decode(msg);
  } catch {
    return;
  }
  const i = byXid.get(p.xid);
  if (i === undefined) return;
  const type = getOption(p.options, DhcpOption.DhcpMessageType);
  if (type === MessageType.Offer) {
    offers++;
    const req = pxeRequest({ mac: cfg.macs[i]!, arch: 7, xid: p.xid, type: MessageType.Request, requestedIp: p.yiaddr, serverId: cfg.server });
    tx.send(requestBytes(req), 67, "255.255.255.255");
  } else if (type === MessageType.Ack && ackAt[i] === undefined) {
    if (p.yiaddr !== cfg.ips[i]) wrongAddress++;
    ackAt[i] = performance.now() - t0;
  }
});

function finish(): void {
  const served = ackAt.filter((a) => a !== undefined).length;
  const latencies = ackAt.map((a, i) => (a === undefined ? undefined : a - sentAt[i]!)).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const p = (q: number): number | undefined => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  process.stdout.write(`${JSON.stringify({
    clients: cfg.macs.length, sendWindowMs: Math.round(sentAt[sentAt.length - 1] ?? 0), offers, served, wrongAddress,
    lastAckMs: Math.round(Math.max(0, ...ackAt.map((a) => a ?? 0))),
    p50Ms: round(p(0.5)), p99Ms: round(p(0.99)), maxMs: round(latencies[latencies.length - 1]),
  })}\n`);
  process.exit(0);
}

function round(v: number | undefined): number | undefined {
  return v === undefined ? undefined : Math.round(v * 10) / 10;
}

rx.bind(68, "0.0.0.0", () => {
  tx.bind(68, cfg.sendFrom, () => {
    tx.setBroadcast(true);
    let i = 0;
    const step = cfg.spreadMs / cfg.macs.length;
    const tick = (): void => {
      const due = Math.min(cfg.macs.length, Math.floor((performance.now() - t0) / step) + 1);
      for (; i < due; i++) {
        const xid = 0x10000000 + i;
        byXid.set(xid, i);
        sentAt[i] = performance.now() - t0;
        tx.send(requestBytes(pxeRequest({ mac: cfg.macs[i]!, arch: 7, xid })), 67, "255.255.255.255");
      }
      if (i < cfg.macs.length) setTimeout(tick, 1);
    };
    tick();
    const check = setInterval(() => {
      if (ackAt.every((a) => a !== undefined)) {
        clearInterval(check);
        finish();
      }
    }, 20);
    setTimeout(finish, cfg.deadlineMs);
  });
});
