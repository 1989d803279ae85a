/**
 * The generated configurations do what they promise when the real servers
 * run them: ISC dhcpd, Kea and dnsmasq, each in a namespace (prefix lbd) with
 * the example inventory's files, answer emulated clients
 * (test/support/dhcp-builders.ts) sent from a real socket on the link:
 * - the FreeBSD loader with no parameter request list (2011 form) and with
 *   its list, and a PXE ROM whose list lacks 17 and 12: every OFFER for a
 *   FreeBSD client carries root-path and host-name;
 * - boot file and next-server by option 93, no option 93 = BIOS, iPXE gets
 *   the script; a second MAC gets the same address;
 * - a relayed request (giaddr) for the PXE client with its own iPXE script;
 * - proxy mode: the site's server still sends root-path and host-name to
 *   the loader, and no boot file;
 * - the shared-root site: PXE clients' own boot programs and iPXE scripts,
 *   Linux clients' own boot programs by architecture (the site's where they
 *   name none), IA32/arm64/byArch boot files, next-server when TFTP listens
 *   everywhere;
 * - the HTTP boot site: iPXE's script as a URL (but over TFTP where the
 *   architecture says so), UEFI HTTP Boot firmware answered with option 60
 *   HTTPClient and a URL by architecture (a relayed PXE client's own boot
 *   program too), and not answered where its architecture says tftp.
 * Every server only ever sees the namespace's veth; nothing touches the host.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type Namespace } from "../support/netns.js";
import { httpBootRequest, loaderDiscover, pxeRequest, requestBytes, LOADER_PACKET_BYTES } from "../support/dhcp-builders.js";
import { decode } from "../../src/wire/dhcp4/packet.js";
import { getOption, optionBytes } from "../../src/wire/dhcp4/option-values.js";
import { BROADCAST_FLAG, DhcpOption, MessageType } from "../../src/wire/dhcp4/codes.js";
import type { DhcpPacket } from "../../src/wire/dhcp4/types.js";
import type { Inventory } from "../../src/config/types.js";
import { renderIscDhcpd } from "../../src/render/isc-dhcpd.js";
import { renderKea } from "../../src/render/kea.js";
import { renderDnsmasq } from "../../src/render/dnsmasq.js";
import { SITE_VARIANTS } from "../support/site-variants.js";
import { probe, startForeground, tempDir } from "./dhcp-harness.js";

const SERVER = "198.18.0.1"; // the example's lan serverAddress and TFTP server
const CLIENT_LINK = "198.18.0.250"; // only so the probe can send; requests carry ciaddr 0.0.0.0
const RELAY = "198.19.5.1"; // the example's lab2 gateway, acting as the relay agent
const BCAST = "255.255.255.255";
const CLIENT = { mac: "00:1e:68:aa:bb:cc", ip: "198.18.0.10", rootPath: "198.18.0.1:/srv/diskless/client", fqdn: "client.lab.example" };
const DESK2_SECOND_MAC = "00:1e:68:00:01:22";
const KIOSK = { mac: "52:54:00:00:05:30", ip: "198.19.5.30" };

interface ServerUnderTest {
  readonly name: string;
  /** Writes the config into dir and returns the command that runs the server in the foreground on s0. */
  readonly start: (inv: Inventory, dir: string) => { argv: string[]; env?: Record<string, string>; ready: RegExp };
}

const SERVERS: readonly ServerUnderTest[] = [
  {
    name: "ISC dhcpd",
    start: (inv, dir) => {
      writeFileSync(join(dir, "dhcpd.conf"), renderIscDhcpd(inv));
      writeFileSync(join(dir, "dhcpd.leases"), "");
      return {
        argv: ["dhcpd", "-f", "-d", "-4", "-cf", join(dir, "dhcpd.conf"), "-lf", join(dir, "dhcpd.leases"), "-pf", join(dir, "dhcpd.pid"), "s0"],
        ready: /Server starting service/,
      };
    },
  },
  {
    name: "Kea",
    start: (inv, dir) => {
      // The generated file leaves interfaces-config empty for the site to fill in; here it is the test link.
      const cfg = JSON.parse(renderKea(inv)) as { Dhcp4: { "interfaces-config": { interfaces: string[] }; "lease-database": { name?: string } } };
      cfg.Dhcp4["interfaces-config"].interfaces = ["s0"];
      // A site with a pool keeps leases in /var/lib/kea; the test keeps them in its temp dir.
      if (cfg.Dhcp4["lease-database"].name !== undefined) cfg.Dhcp4["lease-database"].name = join(dir, "kea-leases4.csv");
      writeFileSync(join(dir, "kea-dhcp4.json"), JSON.stringify(cfg));
      return {
        argv: ["kea-dhcp4", "-c", join(dir, "kea-dhcp4.json")],
        env: { KEA_LOCKFILE_DIR: dir, KEA_PIDFILE_DIR: dir },
        ready: /DHCP4_STARTED/,
      };
    },
  },
  {
    name: "dnsmasq",
    start: (inv, dir) => {
      writeFileSync(join(dir, "dnsmasq.conf"), renderDnsmasq(inv));
      return {
        argv: ["dnsmasq", "--keep-in-foreground", "--log-facility=-", `--conf-file=${join(dir, "dnsmasq.conf")}`, "--port=0",
          "--interface=s0", "--bind-interfaces", "--no-ping", "--user=root",
          `--dhcp-leasefile=${join(dir, "dnsmasq.leases")}`, `--pid-file=${join(dir, "dnsmasq.pid")}`],
        ready: /started, version/,
      };
    },
  },
];

const withBroadcast = (p: DhcpPacket): DhcpPacket => ({ ...p, flags: BROADCAST_FLAG });
/** The boot file from the file field or option 67; dnsmasq NUL-terminates option 67 when the client asked for it. */
const fileOf = (p: DhcpPacket): string => (p.file !== "" ? p.file : (getOption(p.options, DhcpOption.BootFileName) ?? "")).replace(/\0+$/, "");

/** A PXE ROM whose parameter request list names neither root-path (17) nor host-name (12). */
function romWithoutRootPath(mac: string, arch: number): DhcpPacket {
  const p = pxeRequest({ mac, arch });
  const o = new Map(p.options);
  o.set(DhcpOption.ParameterRequestList, optionBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 60, 66, 67]));
  return withBroadcast({ ...p, options: o });
}

for (const server of SERVERS) {
  for (const mode of ["full", "proxy"] as const) {
    describe(`${server.name} runs the generated ${mode}-mode configuration`, { timeout: 90_000 }, () => {
      let lab: Lab;
      let srv: Namespace;
      let cli: Namespace;
      let dir: string;

      before(async () => {
        dir = tempDir("render-srv");
        lab = new Lab("rsrv");
        srv = await lab.namespace("srv");
        cli = await lab.namespace("cli");
        await lab.veth(srv, "s0", cli, "c0");
        await srv.addr("s0", `${SERVER}/24`);
        await cli.addr("c0", `${CLIENT_LINK}/24`);
        await cli.addr("c0", `${RELAY}/24`);
        // The relayed network is reached over the same link (the relay agent is the client namespace).
        await srv.exec(["ip", "route", "add", "198.19.5.0/24", "dev", "s0"]);
        await startForeground(srv, server.start(SITE_VARIANTS[mode === "full" ? "example" : "proxy"]!(), dir));
      });

      after(async () => {
        await lab.cleanup();
        rmSync(dir, { recursive: true, force: true });
      });

      /** Broadcast one request from the client link; return the OFFERs. */
      async function offers(p: DhcpPacket, minBytes = 300): Promise<DhcpPacket[]> {
        const got = await probe(cli, {
          bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 700,
          sends: [{ to: BCAST, port: 67, bytes: requestBytes(p, minBytes) }],
        });
        return got.map((r) => decode(r.bytes)).filter((x) => getOption(x.options, DhcpOption.DhcpMessageType) === MessageType.Offer);
      }

      async function oneOffer(p: DhcpPacket, minBytes?: number): Promise<DhcpPacket> {
        const os = await offers(p, minBytes);
        assert.equal(os.length, 1, `one OFFER (got ${os.length})`);
        return os[0]!;
      }

      const loaderForms = [
        { form: "2011", why: "no parameter request list" },
        { form: "current", why: "its own parameter request list" },
      ] as const;
      for (const { form, why } of loaderForms) {
        test(`the ${form} FreeBSD loader (${why}) gets its address, root-path and host-name`, async () => {
          const offer = await oneOffer(withBroadcast(loaderDiscover({ mac: CLIENT.mac, form })), LOADER_PACKET_BYTES);
          assert.equal(offer.yiaddr, CLIENT.ip);
          assert.equal(getOption(offer.options, DhcpOption.RootPath), CLIENT.rootPath);
          assert.equal(getOption(offer.options, DhcpOption.HostName), CLIENT.fqdn);
        });
      }

      test("a PXE ROM that asks for neither 17 nor 12 still gets both", async () => {
        const offer = await oneOffer(romWithoutRootPath(CLIENT.mac, 7));
        assert.equal(offer.yiaddr, CLIENT.ip);
        assert.equal(getOption(offer.options, DhcpOption.RootPath), CLIENT.rootPath);
        assert.equal(getOption(offer.options, DhcpOption.HostName), CLIENT.fqdn);
      });

      test("a client's second MAC gets the same address", async () => {
        const offer = await oneOffer(withBroadcast(loaderDiscover({ mac: DESK2_SECOND_MAC, form: "2011" })), LOADER_PACKET_BYTES);
        assert.equal(offer.yiaddr, "198.18.0.22");
        assert.equal(getOption(offer.options, DhcpOption.RootPath), "198.18.0.1:/srv/diskless/shared");
      });

      if (mode === "full") {
        const bootCases = [
          { what: "x64 UEFI (option 93 = 7)", p: () => withBroadcast(pxeRequest({ mac: CLIENT.mac, arch: 7 })), file: "loader.efi" },
          { what: "BIOS (option 93 = 0)", p: () => withBroadcast(pxeRequest({ mac: CLIENT.mac, arch: 0 })), file: "pxeboot" },
          { what: "no option 93 (the 2011 loader)", p: () => withBroadcast(loaderDiscover({ mac: CLIENT.mac, form: "2011" })), file: "pxeboot" },
          { what: "iPXE (user class and option 175)", p: () => withBroadcast(pxeRequest({ mac: CLIENT.mac, arch: 0, ipxe: true })), file: "boot.ipxe" },
        ];
        for (const c of bootCases) {
          test(`boot file and next-server for ${c.what}`, async () => {
            const offer = await oneOffer(c.p());
            assert.equal(fileOf(offer), c.file);
            assert.equal(offer.siaddr, SERVER);
          });
        }

        test("a relayed PXE client with its own iPXE script gets it through the relay", async () => {
          const ask = async (ipxe: boolean): Promise<DhcpPacket> => {
            const req = { ...pxeRequest({ mac: KIOSK.mac, arch: 7, ipxe, giaddr: RELAY }), hops: 1 };
            const got = await probe(cli, {
              bind: { address: RELAY, port: 67 }, listenMs: 700,
              sends: [{ to: SERVER, port: 67, bytes: requestBytes(req) }],
            });
            const os = got.map((r) => decode(r.bytes)).filter((x) => getOption(x.options, DhcpOption.DhcpMessageType) === MessageType.Offer);
            assert.equal(os.length, 1, `one relayed OFFER (got ${os.length})`);
            return os[0]!;
          };
          const viaIpxe = await ask(true);
          assert.equal(viaIpxe.yiaddr, KIOSK.ip);
          assert.equal(fileOf(viaIpxe), "kiosk.ipxe");
          const viaRom = await ask(false);
          assert.equal(fileOf(viaRom), "loader.efi", "without iPXE the kiosk boots by architecture");
        });
      } else {
        test("proxy mode: no boot file from the site's server", async () => {
          const offer = await oneOffer(withBroadcast(pxeRequest({ mac: CLIENT.mac, arch: 7 })));
          assert.equal(fileOf(offer), "");
          assert.equal(getOption(offer.options, DhcpOption.RootPath), CLIENT.rootPath);
        });
      }
    });
  }
}

/**
 * The shared-root site (test/support/site-variants.ts) on its office network:
 * PXE clients with their own boot program and iPXE script, more
 * architectures, and a TFTP server listening on every address.
 */
for (const server of SERVERS) {
  describe(`${server.name} runs the generated shared-root site configuration`, { timeout: 90_000 }, () => {
    const OFFICE = "198.18.10.1";
    const LINK = "198.18.10.250";
    let lab: Lab;
    let srv: Namespace;
    let cli: Namespace;
    let dir: string;

    before(async () => {
      dir = tempDir("render-srv-shared");
      lab = new Lab("rsrvsh");
      srv = await lab.namespace("srv");
      cli = await lab.namespace("cli");
      await lab.veth(srv, "s0", cli, "c0");
      await srv.addr("s0", `${OFFICE}/24`);
      await cli.addr("c0", `${LINK}/24`);
      await startForeground(srv, server.start(SITE_VARIANTS["shared-root"]!(), dir));
    });

    after(async () => {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const cases = [
      { what: "a PXE client's own iPXE script", p: () => pxeRequest({ mac: "52:54:00:10:00:41", arch: 7, ipxe: true }), ip: "198.18.10.41", file: "thin.ipxe" },
      { what: "a PXE client's own boot program", p: () => pxeRequest({ mac: "52:54:00:10:00:41", arch: 7 }), ip: "198.18.10.41", file: "undionly.kpxe" },
      { what: "arm64 UEFI (option 93 = 11)", p: () => pxeRequest({ mac: "52:54:00:10:00:44", arch: 11 }), ip: "198.18.10.44", file: "boot/loader-arm64.efi" },
      { what: "IA32 UEFI (option 93 = 6)", p: () => pxeRequest({ mac: "00:1e:68:10:00:11", arch: 6 }), ip: "198.18.10.11", file: "boot/loader-ia32.efi" },
      { what: "an extra architecture from byArch (16)", p: () => pxeRequest({ mac: "00:1e:68:10:00:11", arch: 16 }), ip: "198.18.10.11", file: "boot/ipxe-http.efi" },
      { what: "the site iPXE script for a client without its own", p: () => pxeRequest({ mac: "00:1e:68:10:00:11", arch: 0, ipxe: true }), ip: "198.18.10.11", file: "boot/menu.ipxe" },
      { what: "a Linux client's BIOS program (boot.bootFiles.bios)", p: () => pxeRequest({ mac: "52:54:00:10:00:53", arch: 0 }), ip: "198.18.10.53", file: "undionly.kpxe" },
      { what: "a Linux client's BIOS program for firmware that sends no option 93", p: () => loaderDiscover({ mac: "52:54:00:10:00:53", form: "2011" }), ip: "198.18.10.53", file: "undionly.kpxe" },
      { what: "a Linux client's x64 UEFI program (boot.bootFiles.x64Uefi)", p: () => pxeRequest({ mac: "52:54:00:10:00:53", arch: 7 }), ip: "198.18.10.53", file: "snponly.efi" },
      { what: "a Linux client's architecture without a program of its own: the site's", p: () => pxeRequest({ mac: "52:54:00:10:00:53", arch: 11 }), ip: "198.18.10.53", file: "boot/loader-arm64.efi" },
      { what: "a Linux client running iPXE: its own script", p: () => pxeRequest({ mac: "52:54:00:10:00:53", arch: 7, ipxe: true }), ip: "198.18.10.53", file: "laggboot/tux3.ipxe" },
      { what: "a Linux client's program for one architecture over its program for all", p: () => pxeRequest({ mac: "52:54:00:10:00:54", arch: 0 }), ip: "198.18.10.54", file: "undionly.kpxe" },
      { what: "a Linux client's program for all other architectures (boot.bootFile)", p: () => pxeRequest({ mac: "52:54:00:10:00:54", arch: 11 }), ip: "198.18.10.54", file: "ipxe.efi" },
    ];
    for (const c of cases) {
      test(`${c.what}: ${c.file}`, async () => {
        const got = await probe(cli, {
          bind: { address: "0.0.0.0", port: 68 }, sendFrom: LINK, listenMs: 700,
          sends: [{ to: BCAST, port: 67, bytes: requestBytes(withBroadcast(c.p())) }],
        });
        const os = got.map((r) => decode(r.bytes)).filter((x) => getOption(x.options, DhcpOption.DhcpMessageType) === MessageType.Offer);
        assert.equal(os.length, 1, `one OFFER (got ${os.length})`);
        assert.equal(os[0]!.yiaddr, c.ip);
        assert.equal(fileOf(os[0]!), c.file);
        assert.equal(os[0]!.siaddr, OFFICE, "TFTP listens on every address: the server's address on this network");
      });
    }
  });
}

/**
 * The HTTP boot site (test/support/site-variants.ts): the example with
 * server.httpBoot on 198.18.0.1:8080 and protocolByArch 7: tftp.
 */
for (const server of SERVERS) {
  describe(`${server.name} runs the generated HTTP boot configuration`, { timeout: 90_000 }, () => {
    let lab: Lab;
    let srv: Namespace;
    let cli: Namespace;
    let dir: string;

    before(async () => {
      dir = tempDir("render-srv-http");
      lab = new Lab("rsrvht");
      srv = await lab.namespace("srv");
      cli = await lab.namespace("cli");
      await lab.veth(srv, "s0", cli, "c0");
      await srv.addr("s0", `${SERVER}/24`);
      await cli.addr("c0", `${CLIENT_LINK}/24`);
      await cli.addr("c0", `${RELAY}/24`);
      await srv.exec(["ip", "route", "add", "198.19.5.0/24", "dev", "s0"]);
      await startForeground(srv, server.start(SITE_VARIANTS["http-boot"]!(), dir));
    });

    after(async () => {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    async function offerFor(p: DhcpPacket, relayed = false): Promise<DhcpPacket> {
      const got = relayed
        ? await probe(cli, { bind: { address: RELAY, port: 67 }, listenMs: 700, sends: [{ to: SERVER, port: 67, bytes: requestBytes({ ...p, giaddr: RELAY, hops: 1 }) }] })
        : await probe(cli, { bind: { address: "0.0.0.0", port: 68 }, sendFrom: CLIENT_LINK, listenMs: 700, sends: [{ to: BCAST, port: 67, bytes: requestBytes(withBroadcast(p)) }] });
      const os = got.map((r) => decode(r.bytes)).filter((x) => getOption(x.options, DhcpOption.DhcpMessageType) === MessageType.Offer);
      assert.equal(os.length, 1, `one OFFER (got ${os.length})`);
      return os[0]!;
    }

    const URL = `http://${SERVER}:8080`;
    const cases = [
      { what: "iPXE BIOS: the script as a URL", p: () => pxeRequest({ mac: CLIENT.mac, arch: 0, ipxe: true }), file: `${URL}/boot.ipxe`, http: false },
      { what: "iPXE on x64 UEFI (protocolByArch 7: tftp): the script's TFTP name", p: () => pxeRequest({ mac: CLIENT.mac, arch: 7, ipxe: true }), file: "boot.ipxe", http: false },
      { what: "PXE firmware: TFTP as ever", p: () => pxeRequest({ mac: CLIENT.mac, arch: 7 }), file: "loader.efi", http: false },
      { what: "arm64 UEFI HTTP Boot: HTTPClient and the arm64 boot file's URL", p: () => httpBootRequest({ mac: CLIENT.mac, arch: 19 }), file: `${URL}/loader-arm64.efi`, http: true },
      { what: "x64 UEFI HTTP Boot under tftp: the address, no URL, no HTTPClient", p: () => httpBootRequest({ mac: CLIENT.mac, arch: 16 }), file: "", http: false },
    ];
    for (const c of cases) {
      test(c.what, async () => {
        const offer = await offerFor(c.p());
        assert.equal(offer.yiaddr, CLIENT.ip);
        assert.equal(fileOf(offer), c.file);
        assert.equal(getOption(offer.options, DhcpOption.VendorClassIdentifier) === "HTTPClient", c.http);
      });
    }

    test("a Linux client's own programs by architecture: its arm64 one as a URL to its HTTP Boot firmware, its BIOS one to PXE, the site's for the rest", async () => {
      const mac = "52:54:00:00:00:41";
      const http = await offerFor(httpBootRequest({ mac, arch: 19 }));
      assert.equal(http.yiaddr, "198.18.0.41");
      assert.equal(fileOf(http), `${URL}/ipxe-arm64.efi`);
      assert.equal(getOption(http.options, DhcpOption.VendorClassIdentifier), "HTTPClient");
      assert.equal(fileOf(await offerFor(pxeRequest({ mac, arch: 0 }))), "undionly.kpxe");
      assert.equal(fileOf(await offerFor(pxeRequest({ mac, arch: 7 }))), "loader.efi", "no x64 program of its own: the site's");
    });

    test("a relayed PXE client's own boot program: TFTP name to its PXE firmware, URL to its HTTP Boot firmware", async () => {
      const http = await offerFor(httpBootRequest({ mac: KIOSK.mac, arch: 19 }), true);
      assert.equal(http.yiaddr, KIOSK.ip);
      assert.equal(fileOf(http), `${URL}/kiosk.efi`);
      assert.equal(getOption(http.options, DhcpOption.VendorClassIdentifier), "HTTPClient");
      const pxe = await offerFor(pxeRequest({ mac: KIOSK.mac, arch: 7 }), true);
      assert.equal(fileOf(pxe), "kiosk.efi");
    });
  });
}
