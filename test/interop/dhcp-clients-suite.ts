/**
 * Real DHCP clients against laggboot in full mode, in namespaces (prefix
 * lbd): ISC dhclient and busybox udhcpc get the reserved address, mask,
 * gateway, DNS, host name, root-path and boot file (read from the env their
 * scripts receive); the client's second MAC gets the same address; an
 * unknown MAC gets nothing. Run once per data path (dhcp-clients.test.ts:
 * Node's dgram; dhcp-clients-native.test.ts: the native socket layer).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import type { JsonPolicy } from "../support/dhcp-server-main.js";
import { parseEnv, setMac, startLaggboot, tempDir, udhcpc, type RunningServer } from "./dhcp-harness.js";
import type { DhcpDataPath } from "../../src/servers/dhcp/native.js";

const SERVER = "198.18.20.1";
const MAC1 = "02:00:00:00:20:01";
const MAC2 = "02:00:00:00:20:02";
const UNKNOWN = "02:00:00:00:20:99";
const EXPECT = {
  ip: "198.18.20.10", mask: "255.255.255.0", gateway: "198.18.20.254", dns: "198.18.20.53",
  host: "alpha.lab.example", rootPath: "198.18.20.1:/srv/roots/alpha", bootFile: "pxeboot",
};

export const fullPolicy: JsonPolicy = {
  mode: "full",
  networks: [{
    name: "lab", prefix: { network: "198.18.20.0", length: 24 }, relayed: false, serverAddress: SERVER,
    gateway: EXPECT.gateway, dns: [EXPECT.dns], domain: "lab.example", pool: undefined, poolLeaseSeconds: 600,
  }],
  reservations: [{ clientName: "alpha", hostName: EXPECT.host, ip: EXPECT.ip, macs: [MAC1, MAC2], rootPath: EXPECT.rootPath }],
  reservationLeaseSeconds: 3600,
  nextServer: SERVER,
  bootFiles: { byArch: [[0, "pxeboot"], [7, "loader.efi"], [9, "loader.efi"]] },
  ipxeScript: "boot.ipxe",
};

export function dhcpClientsSuite(dataPath: DhcpDataPath): void {
  describe(`real DHCP clients against laggboot (full mode) (${dataPath})`, { timeout: 120_000 }, () => {
    let lab: Lab;
    let srv: Namespace;
    let cli: Namespace;
    let dir: string;
    let server: RunningServer;

    before(async () => {
      dir = tempDir("clients");
      lab = new Lab("clients");
      ({ srv, cli } = await lab.serverAndClient(`${SERVER}/24`));
      server = await startLaggboot(srv, dir, { policy: fullPolicy, dbPath: join(dir, "leases.db"), dataPath });
      assert.equal((await server.counters())["dataPath"], dataPath);
    });

    after(async () => {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    async function dhclient(mac: string, tag: string): Promise<Map<string, string>> {
      await setMac(cli, "c0", mac);
      const script = join(dir, `dhclient-${tag}.sh`);
      writeFileSync(script, `#!/bin/sh\nenv > "${dir}/dhclient-${tag}-$reason.env"\n`);
      chmodSync(script, 0o755);
      const conf = join(dir, `dhclient-${tag}.conf`);
      writeFileSync(conf, "timeout 10;\nretry 1;\nrequest subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name, root-path;\n");
      const pf = join(dir, `dhclient-${tag}.pid`);
      const lf = join(dir, `dhclient-${tag}.leases`);
      // -1: one try; dhclient forks into the background after BOUND, so stop it with -x.
      await cli.exec(["dhclient", "-4", "-1", "-v", "-cf", conf, "-sf", script, "-lf", lf, "-pf", pf, "c0"], 30_000);
      await cli.exec(["dhclient", "-x", "-cf", conf, "-sf", script, "-lf", lf, "-pf", pf, "c0"], 15_000).catch(() => undefined);
      const file = join(dir, `dhclient-${tag}-BOUND.env`);
      assert.ok(existsSync(file), "dhclient never reached BOUND");
      return parseEnv(readFileSync(file, "utf8"));
    }

    const runUdhcpc = (mac: string, tag: string): ReturnType<typeof udhcpc> => udhcpc(cli, dir, mac, tag);

    test("ISC dhclient gets the reserved address and every option", async () => {
      const env = await dhclient(MAC1, "mac1");
      assert.equal(env.get("new_ip_address"), EXPECT.ip);
      assert.equal(env.get("new_subnet_mask"), EXPECT.mask);
      assert.equal(env.get("new_routers"), EXPECT.gateway);
      assert.equal(env.get("new_domain_name_servers"), EXPECT.dns);
      assert.equal(env.get("new_host_name"), EXPECT.host);
      assert.equal(env.get("new_root_path"), EXPECT.rootPath);
      assert.equal(env.get("new_filename"), EXPECT.bootFile);
      assert.equal(env.get("new_next_server"), SERVER);
      assert.equal(env.get("new_dhcp_server_identifier"), SERVER);
    });

    test("busybox udhcpc gets the reserved address and every option", async () => {
      const { code, env } = await runUdhcpc(MAC1, "mac1");
      assert.equal(code, 0);
      assert.ok(env !== undefined, "udhcpc never ran its bound script");
      assert.equal(env.get("ip"), EXPECT.ip);
      assert.equal(env.get("subnet"), EXPECT.mask);
      assert.equal(env.get("router"), EXPECT.gateway);
      assert.equal(env.get("dns"), EXPECT.dns);
      assert.equal(env.get("hostname"), EXPECT.host);
      assert.equal(env.get("rootpath"), EXPECT.rootPath);
      assert.equal(env.get("boot_file"), EXPECT.bootFile);
      assert.equal(env.get("siaddr"), SERVER);
    });

    test("the same client through its second MAC gets the same address", async () => {
      const u = await runUdhcpc(MAC2, "mac2");
      assert.equal(u.code, 0);
      assert.equal(u.env?.get("ip"), EXPECT.ip);
      assert.equal(u.env?.get("rootpath"), EXPECT.rootPath);
      const d = await dhclient(MAC2, "mac2");
      assert.equal(d.get("new_ip_address"), EXPECT.ip);
    });

    test("an unknown MAC gets nothing and is logged once", async () => {
      const { code, env } = await runUdhcpc(UNKNOWN, "unknown");
      assert.notEqual(code, 0, "udhcpc must fail without a lease");
      assert.equal(env, undefined);
      const c = await server.counters();
      assert.ok(((c["ignored"] as Record<string, number>)["unknown-client"] ?? 0) >= 3, "every DISCOVER was ignored");
      assert.equal(server.events.filter((e) => e["type"] === "unknown-client" && e["mac"] === UNKNOWN).length, 1);
      assert.equal(server.events.filter((e) => e["type"] === "reply" && e["mac"] === UNKNOWN).length, 0);
    });

    test("the server stops gracefully and recorded the exchanges", async () => {
      const final = await server.stop();
      const sent = final["sent"] as Record<string, number>;
      assert.ok((sent["OFFER"] ?? 0) >= 4 && (sent["ACK"] ?? 0) >= 4, JSON.stringify(sent));
      assert.equal(final["malformed"], 0);
    });
  });
}
