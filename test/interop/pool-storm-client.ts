/**
 * A storm of pool clients against every server on the link: N distinct
 * MACs broadcast DISCOVER within `spreadMs`; each takes the first OFFER
 * (from whichever server), REQUESTs it from that server (option 54),
 * and is bound by its ACK. No answer within `retryMs` or a NAK: DISCOVER
 * again with a new xid. Stops by itself at `deadlineMs`. Runs inside the
 * client namespace. argv[2]: JSON { macs, sendFrom, spreadMs, retryMs,
 * deadlineMs }; prints one JSON line: every bound client's MAC, address and
 * the server that ACKed it, and counts.
 */
import { createSocket } from "node:dgram";
import { pxeRequest, requestBytes } from "../support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption } from "../../src/wire/dhcp4/option-values.js";
import { DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";

interface Config { macs: string[]; sendFrom: string; spreadMs: number; retryMs: number; deadlineMs: number }

const cfg = JSON.parse(process.argv[2]!) as Config;
const rx = createSocket({ type: "udp4", reuseAddr: true });
const tx = createSocket({ type: "udp4", reuseAddr: true });
/** Current xid -> client index; a retried client gets a new xid, so late answers to the old one are ignored. */
const byXid = new Map<number, number>();
const state: ("idle" | "discovering" | "requesting" | "bound")[] = cfg.macs.map(() => "idle");
const lastSend: number[] = cfg.macs.map(() => 0);
const bound: (readonly [string, string, string])[] = [];
let nextXid = 0x20000000;
let offers = 0, naks = 0, retries = 0, acksAfterBound = 0;
const t0 = performance.now();

function discover(i: number): void {
  const xid = nextXid++;
  byXid.set(xid, i);
  state[i] = "discovering";
  lastSend[i] = performance.now();
  tx.send(requestBytes(pxeRequest({ mac: cfg.macs[i]!, arch: 7, xid })), 67, "255.255.255.255");
}

/** A server's reply, or undefined for anything that does not decode. */
function reply(msg: Buffer): { xid: number; yiaddr: string; type: number | undefined; server: string | undefined } | undefined {
  try {
    const p = decode(msg);
    const server = getOption(p.options, DhcpOption.ServerIdentifier);
    return { xid: p.xid, yiaddr: p.yiaddr, type: getOption(p.options, DhcpOption.DhcpMessageType), server: typeof server === "string" ? server : undefined };
  } catch {
    return undefined;
  }
}

rx.on("message", (msg) => {
  const p = reply(msg);
  const i = p === undefined ? undefined : byXid.get(p.xid);
  if (p === undefined || i === undefined) return;
  const { type, server } = p;
  if (type === MessageType.Offer && state[i] === "discovering" && server !== undefined) {
    offers++;
    state[i] = "requesting";
    lastSend[i] = performance.now();
    const req = pxeRequest({ mac: cfg.macs[i]!, arch: 7, xid: p.xid, type: MessageType.Request, requestedIp: p.yiaddr, serverId: server });
    tx.send(requestBytes(req), 67, "255.255.255.255");
  } else if (type === MessageType.Ack) {
    if (state[i] === "bound") {
      acksAfterBound++;
      return;
    }
    if (state[i] !== "requesting") return;
    state[i] = "bound";
    bound.push([cfg.macs[i]!, p.yiaddr, server ?? "?"]);
  } else if (type === MessageType.Nak && state[i] === "requesting") {
    naks++;
    discover(i);
  }
});

function finish(): void {
  process.stdout.write(`${JSON.stringify({
    clients: cfg.macs.length, bound, offers, naks, retries, acksAfterBound, lastMs: Math.round(performance.now() - t0),
  })}\n`);
  process.exit(0);
}

rx.bind(68, "0.0.0.0", () => {
  tx.bind(68, cfg.sendFrom, () => {
    tx.setBroadcast(true);
    let started = 0;
    const step = cfg.spreadMs / Math.max(1, cfg.macs.length);
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.min(cfg.macs.length, Math.floor((now - t0) / step) + 1);
      for (; started < due; started++) discover(started);
      for (let i = 0; i < started; i++) {
        if (state[i] !== "bound" && now - lastSend[i]! > cfg.retryMs) {
          retries++;
          discover(i);
        }
      }
      if (started === cfg.macs.length && bound.length === cfg.macs.length) {
        clearInterval(tick);
        finish();
      }
    }, 5);
    setTimeout(finish, cfg.deadlineMs);
  });
});
