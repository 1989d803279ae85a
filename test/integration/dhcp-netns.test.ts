/** The namespace helper the DHCP tests stand on: isolation, addresses, cleanup by name. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { Lab, NETNS_PREFIX, withLab } from "../support/netns.js";

function namespaces(): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n").map((l) => l.split(" ")[0]!).filter((n) => n !== "");
}

test("a lab links namespaces, refuses addresses outside 198.18.0.0/15, and removes everything it made", async () => {
  let names: string[] = [];
  let started = 0;
  await assert.rejects(withLab("nstest", async (lab: Lab) => {
    const a = await lab.namespace("a");
    const b = await lab.namespace("b");
    names = [a.name, b.name];
    assert.ok(names.every((n) => n.startsWith(`${NETNS_PREFIX}-`)));
    assert.ok(existsSync(`/etc/netns/${a.name}/resolv.conf`));
    await lab.veth(a, "x0", b, "x1");
    await a.addr("x0", "198.18.250.1/30");
    await b.addr("x1", "198.18.250.2/30");
    await assert.rejects(a.addr("x0", "10.0.0.1/24"), /outside 198\.18\.0\.0\/15/);
    const ping = await a.exec(["ping", "-c", "1", "-W", "2", "198.18.250.2"]).catch(() => undefined)
      ?? await a.exec(["busybox", "ping", "-c", "1", "-W", "2", "198.18.250.2"]);
    assert.match(ping.stdout, /1 (packets )?received/);
    b.spawn(["sleep", "60"]);
    // ip netns exec enters the namespace a moment after spawn returns: wait for it (bounded).
    for (let i = 0; i < 100 && started === 0; i++) {
      started = (await b.pids()).length;
      if (started === 0) await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("body failed");
  }), /body failed/);
  assert.equal(started, 1, "the sleeper ran inside the namespace");
  const left = namespaces();
  for (const n of names) {
    assert.ok(!left.includes(n), `${n} still exists`);
    assert.ok(!existsSync(`/etc/netns/${n}`), `/etc/netns/${n} still exists`);
  }
});
