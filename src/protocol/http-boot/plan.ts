/**
 * What a GET or HEAD of one boot file answers, decided from the request's
 * headers and the file's facts: status, headers and the byte range of the
 * body. The server only opens the file, streams the range and counts.
 */
import { evaluatePreconditions, httpDate, rangeApplies, type ConditionalHeaders, type Validators } from "./conditional.js";
import { parseRange } from "./range.js";

export interface FileFacts {
  readonly sizeBytes: number;
  readonly contentType: string;
  /** Files from the root have them; per-client virtual files do not (they are never cached). */
  readonly validators: Validators | undefined;
}

export interface FileRequest extends ConditionalHeaders {
  readonly method: "GET" | "HEAD";
  readonly range?: string | undefined;
}

export interface FilePlan {
  readonly status: 200 | 206 | 304 | 412 | 416;
  readonly headers: Readonly<Record<string, string>>;
  /** Inclusive byte range to send; undefined: no body (HEAD, 304, 412, 416, an empty file). */
  readonly body: { readonly start: number; readonly end: number } | undefined;
}

/**
 * Content types by extension. `application/efi` and the two vnd.efi types are
 * what EDK2's HTTP Boot looks at before the extension (HttpBootCheckImageType);
 * nothing is ever text/html, which FreeBSD's loader takes for a directory.
 */
const TYPES: Readonly<Record<string, string>> = {
  efi: "application/efi",
  iso: "application/vnd.efi-iso",
  img: "application/vnd.efi-img",
  ipxe: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  cfg: "text/plain; charset=utf-8",
  conf: "text/plain; charset=utf-8",
  lua: "text/plain; charset=utf-8",
  json: "application/json",
};

export function contentTypeFor(path: string): string {
  const dot = path.lastIndexOf(".");
  const ext = dot > path.lastIndexOf("/") ? path.slice(dot + 1).toLowerCase() : "";
  return TYPES[ext] ?? "application/octet-stream";
}

export function planFile(req: FileRequest, f: FileFacts): FilePlan {
  const common: Record<string, string> = { "Accept-Ranges": "bytes" };
  const v = f.validators;
  if (v) {
    common["ETag"] = v.etag;
    common["Last-Modified"] = httpDate(v.lastModifiedMs);
    const pre = evaluatePreconditions(req, v);
    if (pre === "not-modified") return { status: 304, headers: common, body: undefined };
    if (pre === "precondition-failed") return { status: 412, headers: { ...common, "Content-Length": "0" }, body: undefined };
  } else {
    common["Cache-Control"] = "no-store";
  }
  const typed = { ...common, "Content-Type": f.contentType };
  const honour = v === undefined ? req.ifRange === undefined : rangeApplies(req.ifRange, v);
  const r = honour ? parseRange(req.range, f.sizeBytes) : { kind: "none" as const };
  if (r.kind === "unsatisfiable") {
    return { status: 416, headers: { ...common, "Content-Range": `bytes */${f.sizeBytes}`, "Content-Length": "0" }, body: undefined };
  }
  const head = req.method === "HEAD";
  if (r.kind === "range") {
    const headers = { ...typed, "Content-Range": `bytes ${r.start}-${r.end}/${f.sizeBytes}`, "Content-Length": String(r.end - r.start + 1) };
    return { status: 206, headers, body: head ? undefined : { start: r.start, end: r.end } };
  }
  const headers = { ...typed, "Content-Length": String(f.sizeBytes) };
  return { status: 200, headers, body: head || f.sizeBytes === 0 ? undefined : { start: 0, end: f.sizeBytes - 1 } };
}
