/**
 * Quoting for rc.conf(5) files, which /etc/rc sources with /bin/sh.
 * Values are written in double quotes, as FreeBSD's own rc.conf is, when they
 * hold nothing the shell would expand inside double quotes; otherwise in
 * single quotes, which keep every byte but the single quote itself ('\'').
 */
import { LaggbootError } from "../errors.js";
import { hasControlChar } from "../config/values.js";

const PLAIN = /^[A-Za-z0-9 ._:/,=@+%-]*$/;

export function shQuote(value: string): string {
  if (hasControlChar(value)) {
    throw new LaggbootError("LB_ERR_UNSAFE_VALUE", `cannot write a control character into rc.conf: ${JSON.stringify(value)}`);
  }
  if (PLAIN.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One `name=value` line; the name must be a shell variable name. */
export function shAssign(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new LaggbootError("LB_ERR_RENDER", `"${name}" is not a shell variable name`);
  }
  return `${name}=${shQuote(value)}`;
}
