/**
 * What the site-level quoting helpers share: one conservative character set
 * that exports(5), dhcpd.conf, Kea option data and dnsmasq.conf all carry
 * without interpretation, and one way to refuse a value.
 */
import { LaggbootError } from "../errors.js";
import { hasControlChar } from "../config/values.js";

/** Letters, digits and . _ / + @ % = : ~ - (the set src/config/values.ts accepts for paths). */
export const SAFE_TOKEN = /^[A-Za-z0-9._/+@%=:~-]+$/;

/** Throws LB_ERR_UNSAFE_VALUE naming the target format, what the value is, and the value itself. */
export function refuse(format: string, what: string, value: string, why: string): never {
  throw new LaggbootError("LB_ERR_UNSAFE_VALUE", `${format}: cannot write ${what} ${JSON.stringify(value)}: ${why}`);
}

/** The value, if it is a non-empty run of SAFE_TOKEN characters; otherwise refuse. */
export function safeToken(format: string, what: string, value: string): string {
  if (value.length === 0) refuse(format, what, value, "it is empty");
  if (hasControlChar(value)) refuse(format, what, value, "it contains a control character (newline, NUL, ...)");
  if (!SAFE_TOKEN.test(value)) {
    const bad = [...new Set(value.replace(/[A-Za-z0-9._/+@%=:~-]/g, ""))].map((c) => JSON.stringify(c)).join(" ");
    refuse(format, what, value, `it contains ${bad} (allowed: letters, digits and . _ / + @ % = : ~ -)`);
  }
  return value;
}

/** A short identifier made by laggboot (tags, class and host names): letters, digits, '.', '_' and '-'. */
export function safeIdent(format: string, what: string, value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) refuse(format, what, value, "want letters, digits, '.', '_' and '-'");
  return value;
}
