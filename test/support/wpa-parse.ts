/**
 * A reader for wpa_supplicant.conf network blocks that follows hostap 2.10's
 * own rules (src/utils/config.c wpa_config_get_line; src/utils/common.c
 * wpa_config_parse_string; wpa_supplicant/config.c wpa_config_parse_psk):
 * leading white space skipped; a '#' starts a comment unless it lies inside a
 * pair of double quotes, quotes paired from the left; trailing white space
 * dropped; a quoted value is what lies between its first and its last double
 * quote; an unquoted ssid or psk is hex. The quick oracle for our quoting;
 * test/interop/wpa-supplicant.test.ts asks wpa_supplicant itself.
 */

/** The line as wpa_config_get_line leaves it: comment cut, white space trimmed. */
export function wpaLine(raw: string): string {
  let pos = raw.replace(/^[ \t\r]+/, "");
  if (pos === "" || pos.startsWith("#")) return "";
  let end = pos.indexOf("#");
  let from = 0;
  while (end >= 0) {
    const open = pos.indexOf('"', from);
    if (open < 0 || open > end) break;
    const close = pos.indexOf('"', open + 1);
    if (close < 0) break;
    from = close + 1;
    if (from > end) end = pos.indexOf("#", from);
  }
  if (end >= 0) pos = pos.slice(0, end);
  return pos.replace(/[\n \t\r]+$/, "");
}

export function parseWpaNetwork(text: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let inBlock = false;
  for (const raw of text.split("\n")) {
    const pos = wpaLine(raw);
    if (pos === "") continue;
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
      if (end <= 0 || (name !== "psk" && end !== value.length - 1)) throw new Error(`bad quoted value for ${name}: ${value}`);
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
