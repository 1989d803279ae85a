/**
 * A large, valid inventory for tool checks and benchmarks: N clients of both
 * kinds, own and shared roots, three networks (two direct, one relayed) with
 * a dynamic pool on the first, some clients with a second MAC, PXE clients
 * with and without their own boot files. Deterministic: the same N gives the
 * same text. Addresses from 198.18.0.0/15 only.
 */

export interface BigInventoryOptions {
  readonly mode?: "full" | "proxy";
}

/** Up to 16,000 clients per network; three networks. */
export const BIG_INVENTORY_MAX_CLIENTS = 48_000;

const NETWORKS = [
  { name: "lan", base: [198, 18, 0, 0], relayed: false },
  { name: "lab", base: [198, 18, 64, 0], relayed: false },
  { name: "far", base: [198, 19, 0, 0], relayed: true },
] as const;

const SHARED_ROOTS = [
  { path: "/srv/diskless/shared-a", readOnly: true },
  { path: "/srv/diskless/shared-b", readOnly: true },
  { path: "/srv/diskless/shared-c", readOnly: false },
] as const;

/** base + offset as a dotted quad. */
function addr(base: readonly number[], offset: number): string {
  const n = ((base[0]! << 24) >>> 0) + (base[1]! << 16) + (base[2]! << 8) + base[3]! + offset;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function mac(prefix: number, i: number): string {
  return [2, prefix, (i >>> 24) & 255, (i >>> 16) & 255, (i >>> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function serverYaml(mode: "full" | "proxy"): string {
  return `version: 1
server:
  address: 198.18.0.1
  networks:
    - name: lan
      prefix: 198.18.0.0/18
      serverAddress: 198.18.0.1
      gateway: 198.18.63.254
      dns: [198.18.0.1, 198.18.0.2]
      domain: lan.bench.example
      pool: { first: 198.18.63.1, last: 198.18.63.200 }
      leaseSeconds: 1800
    - name: lab
      prefix: 198.18.64.0/18
      serverAddress: 198.18.64.1
      gateway: 198.18.127.254
      dns: [198.18.0.1]
      domain: lab.bench.example
    - name: far
      prefix: 198.19.0.0/17
      relayed: true
      gateway: 198.19.0.1
      dns: [198.18.0.1]
      domain: far.bench.example
  dhcp:
    mode: ${mode}
  tftp:
    root: /srv/tftp
    bootFiles:
      bios: pxeboot
      ia32Uefi: loader-ia32.efi
      x64Uefi: loader.efi
      arm64Uefi: loader-arm64.efi
      byArch: { "16": ipxe-http.efi }
    ipxeScript: boot.ipxe
  nfs:
    rootsDir: /srv/diskless
defaults:
  freebsd-lagg:
    freebsdRelease: 14
    wifi: { parent: ath0, wlan: wlan0, ssid: "Bench Net", passphrase: "bench passphrase 1234" }
  pxe: {}
clients:
`;
}

function clientYaml(i: number): string {
  const net = NETWORKS[i % NETWORKS.length]!;
  const k = Math.floor(i / NETWORKS.length);
  // Offsets from 10 keep clear of the network, server and gateway addresses.
  const ip = addr(net.base, 10 + k);
  const name = `c${String(i).padStart(5, "0")}`;
  const macs = i % 7 === 3 ? `[${mac(0, i)}, ${mac(1, i)}]` : `[${mac(0, i)}]`;
  const head = `  - name: ${name}\n    ip: ${ip}\n    macs: ${macs}\n`;
  switch (i % 5) {
    case 0:
    case 1:
      return `${head}    kind: freebsd-lagg\n    wired: re0\n    root: { layout: own }\n`;
    case 2:
    case 3: {
      const root = SHARED_ROOTS[i % SHARED_ROOTS.length]!;
      const release = i % 11 === 0 ? 13 : 14;
      return `${head}    kind: freebsd-lagg\n    wired: em0\n    freebsdRelease: ${release}\n    wifi: { parent: iwn0 }\n    root: { layout: shared, path: ${root.path}, readOnly: ${root.readOnly} }\n`;
    }
    default: {
      const variant = Math.floor(i / 5) % 4;
      const files = [
        "",
        "    ipxeScript: kiosk.ipxe\n",
        "    bootFile: linux/pxelinux.0\n",
        "    bootFile: undionly.kpxe\n    ipxeScript: thin.ipxe\n    rootPath: 198.18.0.1:/srv/linux/thin\n",
      ][variant]!;
      return `${head}    kind: pxe\n${files}`;
    }
  }
}

/** The YAML text of an inventory with `clients` clients. */
export function bigInventoryYaml(clients: number, opts: BigInventoryOptions = {}): string {
  if (!Number.isInteger(clients) || clients < 0 || clients > BIG_INVENTORY_MAX_CLIENTS) {
    throw new RangeError(`bigInventoryYaml: 0..${BIG_INVENTORY_MAX_CLIENTS} clients`);
  }
  const parts = [serverYaml(opts.mode ?? "full")];
  for (let i = 0; i < clients; i++) parts.push(clientYaml(i));
  return parts.join("");
}
