/**
 * A raw HTTP/1.1 client for tests that must send what real clients would
 * never normalise (traversal targets, huge heads, half requests): bytes out,
 * bytes back, parsed just enough to assert on.
 */
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Everything received, for messages. */
  readonly raw: string;
}

export interface RawOptions {
  readonly localAddress?: string;
  readonly timeoutMs?: number;
}

/** Sends `request` as is and reads until the server closes or `timeoutMs` passes. */
export function rawExchange(port: number, request: string | Buffer, o: RawOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, localAddress: o.localAddress });
    const chunks: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(chunks));
    }, o.timeoutMs ?? 3000);
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      if (e.code === "ECONNRESET" || e.code === "EPIPE") resolve(Buffer.concat(chunks));
      else reject(e);
    });
    s.on("close", () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks));
    });
    s.write(request);
  });
}

/** The first response in `bytes` (status, headers, body by Content-Length). */
export function parseAnswer(bytes: Buffer): RawAnswer {
  const raw = bytes.toString("latin1");
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw };
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const len = headers["content-length"] === undefined ? bytes.length - end - 4 : Number(headers["content-length"]);
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0), headers, body: bytes.subarray(end + 4, end + 4 + len), raw };
}

/** GET `target` exactly as given (no normalisation), one request, Connection: close. */
export async function rawGet(port: number, target: string, extraHeaders = "", o: RawOptions = {}): Promise<RawAnswer> {
  return parseAnswer(await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${extraHeaders}\r\n`, o));
}

/** An open socket that has connected (for holding connections). */
export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, localAddress }, () => resolve(s));
    s.once("error", reject);
  });
}
