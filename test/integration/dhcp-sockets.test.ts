/**
 * The socket set on loopback (no DHCP traffic is sent): receive buffer size,
 * bind failures as LB_ERR_DHCP_SOCKET with the others closed again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SocketSet } from "../../src/servers/dhcp/sockets.js";
import { LaggbootError } from "../../src/errors.js";

test("sockets get the requested receive buffer (within net.core.rmem_max)", async () => {
  const set = await SocketSet.open({ wildcardAddress: "127.0.0.1", serverPort: 0, proxyPort: undefined, serverAddresses: [], recvBufferBytes: 1 << 20 }, () => undefined);
  try {
    // Linux reports twice the value set (bookkeeping overhead), capped by rmem_max.
    const got = set.all[0]!.recvBufferSize();
    assert.ok(got >= 2 * Math.min(1 << 20, 212_992), `receive buffer ${got}`);
  } finally {
    await set.close();
  }
});

test("an address this host does not have fails with LB_ERR_DHCP_SOCKET and leaves nothing bound", async () => {
  await assert.rejects(
    SocketSet.open({ wildcardAddress: "127.0.0.1", serverPort: 0, proxyPort: 0, serverAddresses: ["198.18.255.254"] }, () => undefined),
    (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_DHCP_SOCKET" && /198\.18\.255\.254/.test(e.message),
  );
});
