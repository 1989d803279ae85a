/**
 * Every error laggboot reports has a stable code. The table below is the single
 * source: docs/errors.md must list exactly these codes (test/unit/errors.test.ts
 * keeps the two in step). Codes named LB_WARN_* are findings that do not fail a
 * check; everything else is an error.
 */
export const ERROR_CODES = {
  // usage and I/O
  LB_ERR_USAGE: "The command line is wrong: unknown option, missing argument, bad value.",
  LB_ERR_IO: "A file could not be read or written (missing, permissions, disk full).",
  LB_ERR_INTERNAL: "A bug in laggboot: an invariant did not hold. Please report it.",
  // inventory: syntax and types
  LB_ERR_YAML_SYNTAX: "The inventory is not valid YAML.",
  LB_ERR_SCHEMA: "A key is unknown, missing, or has the wrong type or value.",
  LB_ERR_BAD_MAC: "A MAC address is malformed (want six hex pairs, e.g. 00:1e:68:aa:bb:cc).",
  LB_ERR_BAD_IPV4: "An IPv4 address or prefix is malformed.",
  // inventory: meaning
  LB_ERR_ADDRESS_OUTSIDE_NETWORK: "An address lies outside every network the inventory defines.",
  LB_ERR_ADDRESS_RESERVED: "A client address equals a server, gateway, network or broadcast address.",
  LB_ERR_DUPLICATE: "Two entries share a name, FQDN, address or MAC that must be unique.",
  LB_ERR_WPA_PASSPHRASE: "A WPA passphrase is not 8-63 printable ASCII characters or 64 hex digits.",
  LB_ERR_UNSAFE_VALUE: "A value cannot be written safely into a generated file (newline, NUL, quote the format cannot escape).",
  LB_ERR_NETWORK: "A network definition is inconsistent (gateway outside it, overlapping networks, bad pool).",
  LB_ERR_REFERENCE: "A value refers to something that does not exist (unknown client, missing passphrase file).",
  LB_ERR_ROOT_PATH: "A client root is / (or the roots directory is), or lies inside another client's root.",
  LB_WARN_SHARED_ROOT_RW: "A shared root is exported read-write to several clients.",
  LB_WARN_BOOT_FILE_MISSING: "A boot file named in the inventory is not in the TFTP root.",
  LB_WARN_OLD_FREEBSD: "A client runs FreeBSD older than 11: the parent 'ether' form is emitted and the flip script is untested there.",
  LB_WARN_SHARED_ROOT_NO_CONF_BASE: "A shared root lacks conf/base/etc, so /etc would become a RAM disk holding only the per-client files.",
  LB_WARN_WIFI_FIRMWARE: "A Wi-Fi card's firmware modules are unknown or depend on the chip: set wifi.firmware so the loader preloads them.",
  LB_WARN_CLIENT_RC_DHCP: "A client's rc.conf asks for DHCP on its boot NIC, lagg or Wi-Fi port, or in ifconfig_DEFAULT: dhclient would undo the flip, so /etc/rc.d/lagg refuses it.",
  // apply
  LB_ERR_FOREIGN_FILE: "apply would overwrite a file laggboot did not write (use --force to take it over).",
  LB_ERR_UNSAFE_PATH: "A path inside a client root is a symbolic link or not a directory (or changed while apply walked it); apply writes nothing into that root.",
  LB_ERR_RENDER: "A generator could not produce its file for this inventory.",
  // DHCP wire
  LB_ERR_DHCP_DECODE: "A DHCP packet is malformed (the error names the byte offset and field); it is dropped and counted.",
  LB_ERR_DHCP_ENCODE: "A DHCP reply does not fit the BOOTP fields or the client's maximum message size (option 57).",
  // storage and servers
  LB_ERR_STORE: "The lease and event database could not be opened, migrated or written.",
  LB_ERR_STORE_VERSION: "The lease database was written by a newer laggboot (its schema version is unknown to this one).",
  LB_ERR_STORE_OFFLINE: "The shared lease database (PostgreSQL) is unreachable: pool requests are not answered until it is back.",
  LB_ERR_LEASE_CONFLICT: "A lease write lost to another holder of the address (another server committed it first); nothing is sent.",
  LB_ERR_DHCP_SOCKET: "The native DHCP socket layer was required (LAGGBOOT_DHCP_DATAPATH=native, tests and benchmarks) and could not be loaded.",
  LB_ERR_BIND: "A listener (DHCP, ProxyDHCP, TFTP, HTTP) could not bind its address and port: in use (the sentence names the holder on Linux), no permission, or the address is not on this machine. Exit 2.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, s);
}

/** An error with a stable code. `cause` keeps the underlying error. */
export class LaggbootError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LaggbootError";
    this.code = code;
  }
}
