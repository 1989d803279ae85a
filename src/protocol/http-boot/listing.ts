/**
 * A directory as an HTML page of links, the form FreeBSD's loader reads when
 * it loads over UEFI HTTP Boot (stand/efi/libefi/efihttp.c): it takes a
 * `Content-Type: text/html` answer for a directory and its `<a href="...">`
 * entries for the names in it. Directories end in `/`, as in the common
 * servers' indexes.
 */
import { urlPath } from "./target.js";

export interface ListingEntry {
  readonly name: string;
  readonly directory: boolean;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** `dirPath` relative to the root ("" for the root); entries are listed sorted by name. */
export function directoryListing(dirPath: string, entries: readonly ListingEntry[]): string {
  const title = escapeHtml(urlPath(dirPath) + (dirPath === "" ? "" : "/"));
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const links = sorted.map((e) => {
    const href = encodeURIComponent(e.name) + (e.directory ? "/" : "");
    return `<a href="${escapeHtml(href)}">${escapeHtml(e.name)}${e.directory ? "/" : ""}</a>`;
  });
  return [`<!DOCTYPE html>`, `<html><head><title>Index of ${title}</title></head><body>`, `<h1>Index of ${title}</h1>`, "<pre>", ...links, "</pre>", "</body></html>", ""].join("\n");
}
