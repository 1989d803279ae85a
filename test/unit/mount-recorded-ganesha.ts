/**
 * Bytes recorded from a real server, for tests that run without one.
 * nfs-ganesha 4.3 (Debian 12 packages nfs-ganesha, nfs-ganesha-vfs) with
 * rpcbind 1.2.6, in a network namespace, asked over UDP by our own client
 * from 198.18.250.10 on 2026-11-26. Its ganesha.conf had two exports:
 *   /tmp/lbqg/export/root1  Clients = 198.18.250.10, 198.18.251.0/24, client2.lab.example
 *                           (that name did not resolve: ganesha reports "<unknown>")
 *   /tmp/lbqg/export/root2  no CLIENT block, Access_Type = RO (everyone)
 */

/** Our MOUNTPROC3_EXPORT call, xid 0x6c627131 ("lbq1"), AUTH_NONE. */
export const GANESHA_EXPORT_CALL_HEX =
  "6c6271310000000000000002000186a5000000030000000500000000000000000000000000000000";

/** nfs-ganesha's reply to it, byte for byte. */
export const GANESHA_EXPORT_REPLY_HEX =
  "6c627131000000010000000000000000000000000000000000000001000000162f746d702f6c6271672f6578706f72742f726f6f7431" +
  "000000000001000000103139382e31382e3235302e31302f3332000000010000000f3139382e31382e3235312e302f3234000000000" +
  "1000000093c756e6b6e6f776e3e0000000000000000000001000000162f746d702f6c6271672f6578706f72742f726f6f743200000000000000000000";

export const GANESHA_EXPORTS = [
  { dir: "/tmp/lbqg/export/root1", groups: ["198.18.250.10/32", "198.18.251.0/24", "<unknown>"] },
  { dir: "/tmp/lbqg/export/root2", groups: [] },
] as const;
