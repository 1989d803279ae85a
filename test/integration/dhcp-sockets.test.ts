/**
 * The socket set on loopback (no DHCP traffic is sent), on both data paths:
 * receive buffer size, bind failures as LB_ERR_BIND with the same sentence
 * on both paths and the others closed again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { SocketSet, type SocketBackend } from "../../src/servers/dhcp/sockets.js";
import { loadNativeDhcp } from "../../src/servers/dhcp/native.js";
import { LaggbootError } from "../../src/errors.js";
import { requireNativeDhcp } from "../support/native-guard.js";

const backends: SocketBackend[] = [{ path: "node" }];
if (requireNativeDhcp()) {
  const l = loadNativeDhcp();
  if (l.ok) backends.push({ path: "native", addon: l.addon });
}

for (const backend of backends) {
  test(`[${backend.path}] sockets get the requested receive buffer (within net.core.rmem_max)`, async () => {
    const set = await SocketSet.open({ wildcardAddress: "127.0.0.1", serverPort: 0, proxyPort: undefined, serverAddresses: [], recvBufferBytes: 1 << 20 }, () => undefined, backend);
    try {
      assert.equal(set.dataPath, backend.path);
      // Linux reports twice the value set (bookkeeping overhead), capped by rmem_max.
      const got = set.all[0]!.recvBufferSize();
      assert.ok(got >= 2 * Math.min(1 << 20, 212_992), `receive buffer ${got}`);
      assert.ok(set.serverPort > 0);
      assert.deepEqual(set.all[0]!.local(), { address: "127.0.0.1", port: set.serverPort });
    } finally {
      await set.close();
    }
  });

  test(`[${backend.path}] an address this host does not have fails with LB_ERR_BIND and leaves nothing bound`, async () => {
    await assert.rejects(
      SocketSet.open({ wildcardAddress: "127.0.0.1", serverPort: 0, proxyPort: 0, serverAddresses: ["198.18.255.254"] }, () => undefined, backend),
      (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_BIND"
        && e.message === "DHCP cannot bind UDP 198.18.255.254:0: the address is not on this machine",
    );
  });

  test(`[${backend.path}] a port in use fails with LB_ERR_BIND naming the holder`, async () => {
    // A socket without SO_REUSEADDR holds the port, so SO_REUSEADDR on ours does not share it.
    const holder = createSocket({ type: "udp4" });
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", resolve));
    const port = holder.address().port;
    try {
      await assert.rejects(
        SocketSet.open({ wildcardAddress: "127.0.0.1", serverPort: port, proxyPort: undefined, serverAddresses: [] }, () => undefined, backend),
        (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_BIND"
          && e.message.startsWith(`DHCP cannot bind UDP 127.0.0.1:${port}: the port is in use by pid ${process.pid} (`),
      );
    } finally {
      holder.close();
    }
  });
}
