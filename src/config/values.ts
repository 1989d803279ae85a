/**
 * Rules for values that end up inside generated files. Generators quote what
 * they can; the checker refuses early what no target format can carry.
 */

/** WPA-PSK: 8..63 printable ASCII (IEEE 802.11i passphrase) or exactly 64 hex digits (raw PSK). */
export function checkPassphrase(p: string): string | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(p)) return undefined;
  if (!/^[\x20-\x7e]*$/.test(p)) return "a WPA passphrase may hold only printable ASCII characters";
  if (p.length < 8 || p.length > 63) return `a WPA passphrase has 8 to 63 characters (this one has ${p.length}), or is 64 hex digits`;
  return undefined;
}

/**
 * Paths and file names go into exports(5), dhcpd.conf, Kea JSON and dnsmasq
 * lines. exports(5) splits on white space, dnsmasq on commas, and dhcpd strings
 * end at a quote, so only a conservative character set is accepted.
 */
export function unsafeForConfigs(v: string): string | undefined {
  if (hasControlChar(v)) return "contains a control character (newline, NUL, ...) that no generated file can carry";
  if (!/^[A-Za-z0-9._/+@%=:~-]+$/.test(v)) {
    const bad = [...new Set(v.replace(/[A-Za-z0-9._/+@%=:~-]/g, ""))].map((ch) => JSON.stringify(ch)).join(" ");
    return `contains ${bad}, which exports(5), dhcpd.conf or dnsmasq.conf cannot carry safely (allowed: letters, digits and . _ / + @ % = : ~ -)`;
  }
  return undefined;
}

/** C0 controls (NUL, newline, tab...) and DEL. */
export function hasControlChar(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
