/**
 * A minimal UDP client run inside a test namespace: binds, sends the given
 * packets, and prints every datagram it receives within the listen time as a
 * JSON line { from, port, hex }. argv[2]: JSON
 * { bind: {address, port}, sendFrom?: address, sends: [{ to, port, hex }], listenMs }.
 * With `sendFrom` the packets leave from a second socket bound to that
 * address and the same port: a broadcast from a wildcard-bound socket would
 * follow the (absent) default route instead of the test link; unicast
 * answers to that address arrive on the second socket and are printed too.
 */
import { createSocket } from "node:dgram";

interface ProbeConfig {
  bind: { address: string; port: number };
  sendFrom?: string;
  sends: { to: string; port: number; hex: string }[];
  listenMs: number;
}

const config = JSON.parse(process.argv[2]!) as ProbeConfig;
const socket = createSocket({ type: "udp4", reuseAddr: true });
const print = (msg: Buffer, rinfo: { address: string; port: number }): void => {
  process.stdout.write(`${JSON.stringify({ from: rinfo.address, port: rinfo.port, hex: msg.toString("hex") })}\n`);
};
socket.on("message", print);
socket.on("error", (e) => fail(e));
function fail(e: Error): void {
  process.stderr.write(`probe: ${e.message}\n`);
  process.exit(2);
}

socket.bind(config.bind.port, config.bind.address, () => {
  socket.setBroadcast(true);
  const sendSocket = config.sendFrom === undefined ? socket : createSocket({ type: "udp4", reuseAddr: true });
  const sendAll = (): void => {
    for (const s of config.sends) {
      sendSocket.send(Buffer.from(s.hex, "hex"), s.port, s.to, (err) => { if (err) fail(err); });
    }
    setTimeout(() => process.exit(0), config.listenMs);
  };
  if (sendSocket === socket) sendAll();
  else {
    sendSocket.on("error", fail);
    // A unicast answer to sendFrom:port is delivered to this, the more specific socket.
    sendSocket.on("message", print);
    sendSocket.bind(socket.address().port, config.sendFrom, () => {
      sendSocket.setBroadcast(true);
      sendAll();
    });
  }
});
