/**
 * A reader for wpa_supplicant.conf network blocks that follows hostap's own
 * rules (src/utils/config.c wpa_config_get_line; wpa_supplicant/config.c
 * wpa_config_parse_string): leading white space skipped, '#' starts a comment
 * only after the last double quote, trailing white space dropped, a quoted
 * value is what lies between the first and the last double quote, an
 * unquoted ssid is hex. Used as the oracle for our quoting.
 */
export function parseWpaNetwork(text: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let inBlock = false;
  for (const raw of text.split("\n")) {
    let pos = raw.replace(/^[ \t\r]+/, "");
    if (pos === "" || pos.startsWith("#")) continue;
    const firstQ = pos.indexOf('"');
    const lastQ = firstQ >= 0 ? pos.lastIndexOf('"') : -1;
    const from = lastQ > firstQ ? lastQ : firstQ >= 0 ? firstQ : 0;
    const hash = pos.indexOf("#", from);
    if (hash >= 0) pos = pos.slice(0, hash);
    pos = pos.replace(/[\n \t\r]+$/, "");
    if (pos === "network={") {
      inBlock = true;
      continue;
    }
    if (pos === "}") {
      inBlock = false;
      continue;
    }
    if (!inBlock) continue;
    const eq = pos.indexOf("=");
    if (eq < 0) throw new Error(`line without '=': ${pos}`);
    const name = pos.slice(0, eq);
    const value = pos.slice(eq + 1);
    if (value.startsWith('"')) {
      const end = value.lastIndexOf('"');
      if (end <= 0 || end !== value.length - 1) throw new Error(`bad quoted value for ${name}: ${value}`);
      out[name] = Buffer.from(value.slice(1, end), "utf8");
    } else if (name === "ssid" || name === "psk") {
      if (!/^([0-9a-f]{2})+$/i.test(value)) throw new Error(`bad hex for ${name}: ${value}`);
      out[name] = Buffer.from(value, "hex");
    } else {
      out[name] = Buffer.from(value, "utf8");
    }
  }
  return out;
}
