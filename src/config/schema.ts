/**
 * The inventory schema: the one source for the validator and for the JSON
 * Schema in docs/laggboot.schema.json (scripts/gen-schema.ts). Values here are
 * the YAML as written; src/config/resolve.ts turns them into typed, derived
 * values. Descriptions double as the editor tooltips and the README reference.
 */
import { z } from "zod";
import { parseIpv4, parseMac, parsePrefix } from "./addr.js";

const lb = (code: string) => ({ params: { lbCode: code } });

export const ipv4 = z
  .string()
  .refine((s) => parseIpv4(s) !== undefined, { error: "not a dotted-quad IPv4 address", ...lb("LB_ERR_BAD_IPV4") })
  .meta({ format: "ipv4" });
export const prefix = z
  .string()
  .refine((s) => parsePrefix(s) !== undefined, {
    error: "not an IPv4 prefix like 198.18.0.0/24 (host bits must be zero)",
    ...lb("LB_ERR_BAD_IPV4"),
  })
  .meta({ description: "IPv4 network in CIDR form, e.g. 198.18.0.0/24" });
export const mac = z
  .string()
  .refine((s) => parseMac(s) !== undefined, {
    error: "not a MAC address like 00:1e:68:aa:bb:cc",
    ...lb("LB_ERR_BAD_MAC"),
  })
  .meta({ description: "Ethernet MAC address, e.g. 00:1e:68:aa:bb:cc" });

// No regex flags: the JSON Schema carries the pattern alone, so both must read it the same way.
const hostLabel = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const clientName = z
  .string()
  .regex(hostLabel, "a client name is one DNS label: letters, digits and '-', at most 63 characters")
  .meta({ description: "Short host name; also the name of the client's files and reservation." });
export const fqdn = z
  .string()
  .max(253)
  .refine((s) => s.split(".").every((l) => hostLabel.test(l)), { error: "not a valid DNS name" })
  .meta({ description: "Fully qualified domain name (sent as host-name, option 12)." });
const ifName = (what: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9_]*[0-9]+$/, `${what} must be a FreeBSD interface name like re0`)
    .max(15);
const absPath = z
  .string()
  .min(1)
  .refine((s) => s.startsWith("/"), { error: "must be an absolute path" })
  .refine((s) => !s.split("/").includes(".."), { error: "must not contain '..'" });
const relFile = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.split("/").includes(".."), { error: "must not contain '..'" })
  .meta({ description: "A file name relative to the TFTP root." });
const seconds = z.number().int().min(60).max(100_000_000);
const bootProtocol = z.enum(["http", "tftp"]);
const archNumber = z.string().regex(/^\d{1,5}$/, "an option 93 architecture number");
const port = z.number().int().min(1).max(65535);

export const poolSchema = z
  .strictObject({
    first: ipv4.meta({ description: "First address of the dynamic pool." }),
    last: ipv4.meta({ description: "Last address of the dynamic pool." }),
  })
  .meta({ description: "Dynamic address pool for clients without a reservation. Off unless given." });

export const networkSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "letters, digits, '-' and '_', at most 32").optional()
      .meta({ description: "A short name for logs and generated configs (default: net0, net1, ...)." }),
    prefix,
    relayed: z.boolean().default(false)
      .meta({ description: "true when this network reaches the server through a DHCP relay (giaddr)." }),
    serverAddress: ipv4.optional().meta({
      description:
        "laggboot's address on this network (directly attached networks). For relayed networks: the address the relay forwards to (default: server.address).",
    }),
    gateway: ipv4.optional().meta({ description: "Default router for clients (option 3)." }),
    dns: z.array(ipv4).max(8).default([]).meta({ description: "DNS servers (option 6)." }),
    domain: fqdn.optional().meta({ description: "DNS domain (option 15); also completes client FQDNs." }),
    pool: poolSchema.optional(),
    leaseSeconds: seconds.optional().meta({ description: "Lease time for pool addresses on this network." }),
  })
  .meta({ description: "A client network served directly or through a relay." });

export const bootFilesSchema = z
  .strictObject({
    bios: relFile.default("pxeboot").meta({ description: "Option 93 = 0 (x86 BIOS)." }),
    ia32Uefi: relFile.optional().meta({ description: "Option 93 = 6 (IA32 UEFI)." }),
    x64Uefi: relFile.default("loader.efi").meta({ description: "Option 93 = 7 and 9 (x64 UEFI)." }),
    arm64Uefi: relFile.optional().meta({ description: "Option 93 = 11 (arm64 UEFI)." }),
    byArch: z.record(archNumber, relFile).default({})
      .meta({ description: "Boot files for other architecture numbers (RFC 4578 / IANA), keyed by number." }),
  })
  .meta({ description: "Boot program per client architecture (DHCP option 93)." });

export const serverSchema = z.strictObject({
  address: ipv4.meta({ description: "The server's primary address: next-server for TFTP and the default NFS server." }),
  networks: z.array(networkSchema).min(1).meta({ description: "Client networks." }),
  dhcp: z
    .strictObject({
      mode: z.enum(["full", "proxy"]).default("full").meta({
        description: "full: laggboot assigns addresses; proxy: another DHCP server does, laggboot sends boot files only (ProxyDHCP).",
      }),
      reservationLeaseSeconds: seconds.default(86400).meta({ description: "Lease time for fixed reservations." }),
      poolLeaseSeconds: seconds.default(3600).meta({ description: "Default lease time for pool addresses." }),
      unknownClientLogSeconds: z.number().int().min(1).max(86400).default(600)
        .meta({ description: "Log an unknown MAC at most once per this many seconds." }),
    })
    .prefault({}),
  tftp: z
    .strictObject({
      root: absPath.default("/srv/tftp").meta({ description: "Directory served over TFTP." }),
      address: ipv4.optional().meta({ description: "Address the TFTP server binds (default: server.address)." }),
      port: port.default(69),
      bootFiles: bootFilesSchema.prefault({}),
      ipxeScript: relFile.default("boot.ipxe")
        .meta({ description: "Script handed to clients already running iPXE (user class iPXE or option 175)." }),
      writableDir: relFile.optional()
        .meta({ description: "Sub-directory of the root that accepts uploads (WRQ). Absent: read-only." }),
      singlePort: z.boolean().default(false)
        .meta({ description: "Answer every transfer from port 69 (for NAT and firewalls) instead of a port per transfer." }),
      maxTransfers: z.number().int().min(1).max(100000).default(1000),
      maxTransfersPerClient: z.number().int().min(1).max(1000).default(8),
    })
    .prefault({}),
  nfs: z
    .strictObject({
      server: ipv4.optional().meta({ description: "NFS server address, if not server.address." }),
      rootsDir: absPath.default("/srv/diskless").meta({ description: "Directory holding client roots (own roots default to rootsDir/NAME)." }),
    })
    .prefault({}),
  http: z
    .strictObject({
      address: ipv4.default("127.0.0.1").meta({ description: "Status API, metrics and dashboard address." }),
      port: port.default(8067),
      allowedHosts: z.array(z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, "a host name")).max(32).default([]).meta({
        description: "Host names accepted in the Host header besides IP literals and localhost (a reverse proxy's name). Guards a loopback-bound API against DNS rebinding.",
      }),
    })
    .prefault({}),
  httpBoot: z
    .strictObject({
      address: ipv4.optional().meta({ description: "Address the boot-file HTTP server binds (default: server.tftp.address); 0.0.0.0 listens on every address, and each network's clients are sent to its serverAddress." }),
      port: port.default(80),
      maxConnections: z.number().int().min(1).max(100000).default(1000).meta({ description: "Open connections in total; more get 503." }),
      maxConnectionsPerClient: z.number().int().min(1).max(1000).default(8).meta({ description: "Open connections per client address; more get 503." }),
      listDirectories: z.boolean().default(true)
        .meta({ description: "Answer a directory asked for with a trailing / with a page of links to its entries (FreeBSD's loader reads directories this way over UEFI HTTP Boot)." }),
      protocol: bootProtocol.default("http").meta({
        description: "How clients that can choose fetch their files: http sends iPXE its script as an http:// URL (so its kernel and initrd come over HTTP too) and answers UEFI HTTP Boot firmware (vendor class HTTPClient); tftp does neither.",
      }),
      protocolByArch: z.record(archNumber, bootProtocol).default({})
        .meta({ description: "protocol per client architecture (option 93 of the PXE firmware or iPXE: 0 BIOS, 7 x64 UEFI, ...; UEFI HTTP Boot's 16 counts as 7)." }),
    })
    .optional()
    .meta({ description: "Boot files over HTTP, from the TFTP root, on the clients' network (separate from server.http). Absent: no HTTP boot." }),
  storage: z
    .strictObject({
      kind: z.enum(["sqlite", "postgres"]).default("sqlite").meta({
        description: "sqlite: one server, its leases and events in a local file (path). postgres: several servers share them in one PostgreSQL database (postgres).",
      }),
      path: absPath.default("/var/db/laggboot/laggboot.sqlite").meta({ description: "SQLite database of leases and events (kind sqlite)." }),
      postgres: z
        .strictObject({
          connection: z.string().min(1).max(1000).optional()
            .meta({ description: "libpq-style connection string without a password, e.g. postgresql://laggboot@db1/laggboot." }),
          connectionFile: absPath.optional()
            .meta({ description: "File whose first line is the connection string (keeps a password out of the inventory)." }),
          eventQueue: z.number().int().min(100).max(1_000_000).default(10_000)
            .meta({ description: "Boot events kept in memory while the database is unreachable; beyond this the oldest are dropped (and counted)." }),
        })
        .optional()
        .meta({ description: "The shared database (kind postgres): give connection or connectionFile." }),
    })
    .prefault({}),
  instances: z
    .array(z.strictObject({
      name: z.string().regex(hostLabel, "an instance name is one DNS label").meta({ description: "The server's name in status, events and the database." }),
      addresses: z.array(ipv4).min(1).max(32)
        .meta({ description: "This server's addresses: one on each directly attached network; the first is its primary address (next-server, relays)." }),
    }))
    .max(16)
    .optional()
    .meta({ description: "Servers that run this same inventory and share storage.kind postgres. Each `laggboot serve` picks its own (--instance, or the one whose address is on the host)." }),
  runAs: z
    .strictObject({ user: z.string().min(1), group: z.string().min(1).optional() })
    .optional()
    .meta({ description: "Drop root privileges to this user after binding the ports." }),
});

const wifiSchema = z.strictObject({
  parent: ifName("the Wi-Fi parent").meta({ description: "Wi-Fi device (ath0, iwn0, iwm0, ...)." }),
  wlan: ifName("the wlan name").default("wlan0").meta({ description: "wlan(4) interface to create." }),
  ssid: z.string().min(1).max(32).meta({ description: "Network name (1-32 bytes)." }),
  passphrase: z.string().optional().meta({ description: "WPA passphrase, 8-63 printable characters, or 64 hex digits." }),
  passphraseFile: absPath.optional().meta({ description: "File whose first line is the WPA passphrase (keeps secrets out of the inventory)." }),
  country: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166 country code like DE").optional()
    .meta({ description: "Regulatory domain country for the wlan (optional)." }),
  firmware: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a firmware module name like iwn6000g2afw")).max(16).optional()
    .meta({ description: "Firmware modules the loader preloads for this Wi-Fi card (default: from laggboot's driver table; [] for none). Needed where the firmware depends on the chip (iwn, iwm, rtwn, ral)." }),
});

const rootSchema = z.strictObject({
  layout: z.enum(["own", "shared"]).default("own").meta({
    description: "own: one read-write root per client, files written into its etc/. shared: one root for many clients, per-client files under conf/<ip>/ (rc.initdiskless).",
  }),
  path: absPath.optional().meta({ description: "Root directory on the NFS server (default for own roots: nfs.rootsDir/NAME; required for shared roots). The real directory, not /, not inside another client's root." }),
  readOnly: z.boolean().optional().meta({ description: "Export read-only (default: false for own roots, true for shared roots)." }),
  etcMdSize: z.number().int().min(10240).max(4194304).default(65536)
    .meta({ description: "Shared roots: size of the RAM /etc in 512-byte sectors (conf/base/etc/md_size; rc.initdiskless default 10240 = 5 MB)." }),
});

const laggSchema = z.strictObject({
  interface: ifName("the lagg interface").default("lagg0").meta({ description: "rc.conf lagg_interface." }),
  bootif: z.union([z.literal(""), ifName("lagg.bootif")]).default("")
    .meta({ description: "rc.conf lagg_bootif: the boot NIC, which is the wired NIC; empty means detect it at boot." }),
  wiredPrimary: z.boolean().default(true)
    .meta({ description: "rc.conf lagg_wired_primary: make the wired NIC the failover master." }),
});

const commonClient = {
  name: clientName,
  fqdn: fqdn.optional().meta({ description: "FQDN (default: name.domain of the client's network)." }),
  ip: ipv4.meta({ description: "Fixed IPv4 address (reservation)." }),
  macs: z.array(mac).min(1).meta({ description: "MACs that get this reservation: the wired NIC's first; more allowed." }),
  bootProtocol: bootProtocol.optional().meta({ description: "http or tftp for this client, over server.httpBoot.protocol (http needs server.httpBoot)." }),
  uefiPxe: z.boolean().default(true).meta({
    description: "false: this client's UEFI PXE firmware gets an address but no boot program, so the firmware goes on to UEFI HTTP Boot (needs HTTP for the client). BIOS PXE is not affected.",
  }),
};

/** The FreeBSD failover client's own keys (lagg(4), rc.conf, rc.initdiskless). */
const freebsdLaggKeys = {
  ...commonClient,
  wired: ifName("the wired NIC").meta({ description: "Wired NIC driver name, e.g. re0, em0, igb0." }),
  wifi: wifiSchema.optional().meta({ description: "Wi-Fi port of the failover lagg. Absent: the lagg has the cable only." }),
  root: rootSchema.prefault({}),
  freebsdRelease: z.number().int().min(8).max(99).default(14).meta({ description: "FreeBSD major release on the client." }),
  lagg: laggSchema.prefault({}),
};

/** `kind: freebsd-lagg`: the same client as `kind: lagg` with `os: freebsd`. */
export const freebsdLaggClientSchema = z.strictObject({
  kind: z.literal("freebsd-lagg"),
  os: z.literal("freebsd").optional().meta({ description: "A freebsd-lagg client runs FreeBSD." }),
  ...freebsdLaggKeys,
});

const osDescription = "The client's operating system: freebsd (lagg(4) failover, the default) or linux (bonding in active-backup mode).";

export const laggFreebsdSchema = z.strictObject({
  kind: z.literal("lagg"),
  os: z.literal("freebsd").default("freebsd").meta({ description: osDescription }),
  ...freebsdLaggKeys,
});

const linuxRootSchema = z.strictObject({
  path: absPath.optional().meta({ description: "Root directory on the NFS server (default: nfs.rootsDir/NAME). Mounted over NFS/TCP by the initramfs." }),
  readOnly: z.boolean().default(false).meta({ description: "Export and mount the root read-only." }),
  nfsVersion: z.union([z.literal(3), z.literal(4)]).default(3).meta({
    description: "3: initramfs-tools mounts the root with klibc's nfsmount (NFSv3). 4: laggboot's boot script laggboot-nfs mounts it with the kernel's NFSv4 client (boot=laggboot-nfs; the initrd is rebuilt with its hook). The exports then need NFSv4 on the server (FreeBSD: a V4: line).",
  }),
});

/** Kernel paths and arguments go into an iPXE script line: no white space, quotes, `$` (iPXE settings) or `#`. */
const ipxeWord = /^[A-Za-z0-9._/+@%=:,~-]+$/;
const bootRelFile = relFile.refine((s) => ipxeWord.test(s), { error: "allowed: letters, digits and . _ / + @ % = : , ~ -", ...lb("LB_ERR_UNSAFE_VALUE") });

const linuxBootSchema = z.strictObject({
  kernel: bootRelFile.meta({ description: "The kernel (vmlinuz), relative to the TFTP root." }),
  initrd: bootRelFile.meta({ description: "The initramfs, relative to the TFTP root: built with laggboot's initramfs-tools hook and nfs-top script (docs/linux-clients.md)." }),
  kernelArgs: z.string().max(1024).default("")
    .refine((s) => s === "" || s.split(" ").every((w) => ipxeWord.test(w)), {
      error: "kernel arguments are words of letters, digits and . _ / + @ % = : , ~ - separated by single spaces",
      ...lb("LB_ERR_UNSAFE_VALUE"),
    })
    .meta({ description: "More kernel arguments, appended to the ones laggboot writes (e.g. \"console=ttyS0,115200n8 quiet\")." }),
  bootFile: relFile.optional().meta({ description: "Boot program for firmware without iPXE, for every architecture bootFiles does not name (e.g. undionly.kpxe or ipxe.efi; default: the site's, by architecture). Clients running iPXE get their script, laggboot/NAME.ipxe." }),
  bootFiles: z
    .strictObject({
      bios: relFile.optional().meta({ description: "Option 93 = 0 (x86 BIOS), and firmware that sends no option 93 (e.g. undionly.kpxe)." }),
      ia32Uefi: relFile.optional().meta({ description: "Option 93 = 6 (IA32 UEFI)." }),
      x64Uefi: relFile.optional().meta({ description: "Option 93 = 7 and 9 (x64 UEFI; e.g. snponly.efi or ipxe.efi)." }),
      arm64Uefi: relFile.optional().meta({ description: "Option 93 = 11 (arm64 UEFI)." }),
      byArch: z.record(archNumber, relFile).optional()
        .meta({ description: "Boot programs for other architecture numbers (RFC 4578 / IANA), keyed by number." }),
    })
    .optional()
    .meta({ description: "Boot programs for firmware without iPXE, by client architecture (option 93), as server.tftp.bootFiles names them; an architecture not named here gets bootFile, else the site's. UEFI HTTP Boot firmware gets the one for its PXE architecture as a URL." }),
});

const bondSchema = z.strictObject({
  name: z.string().regex(/^bond\d{1,2}$/, "a bond name like bond0").default("bond0").meta({ description: "The bonding interface." }),
  at: z.enum(["initramfs", "runtime"]).default("initramfs").meta({
    description: "initramfs: the initramfs builds the bond before the root is mounted (no window; the default). runtime: the address moves from the wired NIC onto the bond after boot, from a memory copy (laggboot-flip).",
  }),
  miimonMs: z.number().int().min(10).max(10000).default(100).meta({ description: "Link check interval (bonding miimon): a pulled cable is noticed within it." }),
  upDelayMs: z.number().int().min(0).max(600000).default(0).meta({ description: "Wait this long after a port's link comes back before using it (bonding updelay; a multiple of miimonMs). Raise it where switch ports forward only after spanning tree settles." }),
  downDelayMs: z.number().int().min(0).max(600000).default(0).meta({ description: "Wait this long after a port's link goes before failing over (bonding downdelay; a multiple of miimonMs)." }),
  gratuitousArps: z.number().int().min(1).max(255).default(3).meta({ description: "Gratuitous ARPs sent on each failover (bonding num_grat_arp), so the switches learn the port at once." }),
});

export const laggLinuxSchema = z.strictObject({
  kind: z.literal("lagg"),
  os: z.literal("linux").meta({ description: osDescription }),
  ...commonClient,
  backup: z
    .strictObject({
      mac: mac.meta({ description: "MAC of the backup NIC (a second cable, a USB NIC, a Wi-Fi NIC): how the client finds it." }),
      wifi: z
        .strictObject({
          ssid: z.string().min(1).max(32).meta({ description: "Network name (1-32 bytes)." }),
          passphrase: z.string().optional().meta({ description: "WPA passphrase, 8-63 printable characters, or 64 hex digits." }),
          passphraseFile: absPath.optional().meta({ description: "File whose first line is the WPA passphrase (keeps secrets out of the inventory)." }),
          country: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166 country code like DE").optional()
            .meta({ description: "Regulatory domain (wpa_supplicant country=)." }),
        })
        .optional()
        .meta({ description: "The backup NIC is Wi-Fi (WPA-PSK): after boot laggboot-wifi runs wpa_supplicant on it and adds it to the bond once it has associated; the initramfs builds the bond with the cable only." }),
    })
    .optional()
    .meta({ description: "The bond's second port. Absent: the bond has the cable only." }),
  root: linuxRootSchema.prefault({}),
  boot: linuxBootSchema,
  bond: bondSchema.prefault({}),
});

/** The keys a `kind: lagg` client may have, by os (for merging `defaults.lagg`). */
export const LAGG_KEYS_BY_OS: Readonly<Record<"freebsd" | "linux", ReadonlySet<string>>> = {
  freebsd: new Set(Object.keys(laggFreebsdSchema.shape)),
  linux: new Set(Object.keys(laggLinuxSchema.shape)),
};

/** `kind: lagg`: a diskless client whose root's network path fails over, by `os`. */
export const laggClientSchema = z.discriminatedUnion("os", [laggFreebsdSchema, laggLinuxSchema]);

export const pxeClientSchema = z.strictObject({
  kind: z.literal("pxe"),
  ...commonClient,
  bootFile: relFile.optional().meta({ description: "Boot file for this client (default: by architecture)." }),
  ipxeScript: relFile.optional().meta({ description: "iPXE script for this client once it runs iPXE." }),
  rootPath: z.string().min(1).max(255).optional().meta({ description: "Option 17 value, if the client needs one." }),
});

export const clientSchema = z.discriminatedUnion("kind", [freebsdLaggClientSchema, laggClientSchema, pxeClientSchema]);

export const inventorySchema = z
  .strictObject({
    version: z.literal(1).default(1).meta({ description: "Inventory format version." }),
    server: serverSchema,
    defaults: z
      .strictObject({
        "freebsd-lagg": z.record(z.string(), z.unknown()).optional()
          .meta({ description: "Keys merged into every freebsd-lagg client that does not set them." }),
        lagg: z.record(z.string(), z.unknown()).optional()
          .meta({ description: "Keys merged into every lagg client that does not set them; keys that do not exist for a client's os are not applied to it." }),
        pxe: z.record(z.string(), z.unknown()).optional()
          .meta({ description: "Keys merged into every pxe client that does not set them." }),
      })
      .optional()
      .meta({ description: "Shared client settings, by kind. Nested objects (wifi, root, lagg, backup, boot, bond) merge key by key." }),
    clients: z.array(clientSchema).default([]),
  })
  .meta({ title: "laggboot inventory", description: "Boot server and diskless clients for laggboot." });

export type InventoryInput = z.input<typeof inventorySchema>;
export type InventoryParsed = z.output<typeof inventorySchema>;
export type ClientParsed = z.output<typeof clientSchema>;
export type FreebsdLaggParsed = z.output<typeof freebsdLaggClientSchema> | z.output<typeof laggFreebsdSchema>;
export type LinuxLaggParsed = z.output<typeof laggLinuxSchema>;
export type PxeParsed = z.output<typeof pxeClientSchema>;
export type NetworkParsed = z.output<typeof networkSchema>;
