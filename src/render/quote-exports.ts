/**
 * Paths for exports(5), FreeBSD's and Linux's. Both split a line at white
 * space; FreeBSD reads a leading '-' as an option and '#' as a comment, Linux
 * reads '(' as the start of options. Neither offers a quoting that both
 * understand, so a path must be absolute and made of the safe token set.
 */
import { refuse, safeToken } from "./quote-common.js";

export function exportsPath(format: "exports" | "exports-linux", what: string, value: string): string {
  safeToken(format, what, value);
  if (!value.startsWith("/")) refuse(format, what, value, "an exported path must be absolute");
  if (value.split("/").includes("..")) refuse(format, what, value, "an exported path must not contain '..'");
  return value;
}
