/**
 * Boot events as server-sent events (the HTML living standard, section
 * 9.2 "Server-sent events"). Each event goes out with `id:` set to the
 * store's event id, so a browser's EventSource reconnects with
 * `Last-Event-ID` and we replay what it missed from the store. The number of
 * streams is bounded, a comment line every heartbeat keeps proxies and NAT
 * from dropping an idle stream, and a reader too slow to keep up is cut off
 * rather than buffered without limit.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BootEvent } from "../store/index.js";
import type { StatusSource } from "../app/status-types.js";

export interface EventStreamOptions {
  /** Comment line interval (ms). */
  readonly heartbeatMs: number;
  /** Streams open at once; more are answered 503. */
  readonly maxStreams: number;
  /** Most events replayed on connect or resume (the newest ones; a `gap` event says when older ones were left out). */
  readonly replayLimit: number;
  /** Unsent bytes allowed to pile up for one reader before it is disconnected. */
  readonly maxBufferedBytes: number;
  /** Reconnection delay suggested to EventSource (ms). */
  readonly retryMs: number;
}

export interface StreamFilter {
  readonly mac: string | undefined;
  /** Replay events with a greater id first; undefined: live events only. */
  readonly afterId: number | undefined;
}

interface OpenStream {
  readonly res: ServerResponse;
  close(): void;
}

export class EventStreams {
  private readonly open = new Set<OpenStream>();
  /** Every stream gets the same event object: serialize it once, not once per stream. */
  private readonly frames = new WeakMap<BootEvent, string>();

  constructor(
    private readonly source: StatusSource,
    private readonly options: EventStreamOptions,
    private readonly onCountChange: (count: number) => void = () => undefined,
  ) {}

  get count(): number {
    return this.open.size;
  }

  get full(): boolean {
    return this.open.size >= this.options.maxStreams;
  }

  /** Takes over the response; the caller checked `full` and the filter. */
  serve(req: IncomingMessage, res: ServerResponse, filter: StreamFilter): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      // A buffering proxy (nginx) would hold events back without this.
      "X-Accel-Buffering": "no",
      // The stream ends only when we end it (stop, slow reader): the connection goes with it.
      Connection: "close",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    let lastId = filter.afterId ?? 0;
    let replaying = true;
    const pending: BootEvent[] = [];
    let closed = false;

    const write = (text: string): void => {
      if (closed) return;
      res.write(text);
      if (res.writableLength > this.options.maxBufferedBytes) stream.close();
    };
    const send = (ev: BootEvent): void => {
      if (ev.id <= lastId) return; // already sent in the replay
      lastId = ev.id;
      write(this.frame(ev));
    };

    const unsubscribe = this.source.subscribe((ev) => {
      if (filter.mac !== undefined && ev.mac !== filter.mac) return;
      try {
        if (replaying) pending.push(ev);
        else send(ev);
      } catch {
        // Never let one reader's failure reach the code that recorded the event.
        stream.close();
      }
    });
    const heartbeat = setInterval(() => write(": heartbeat\n\n"), this.options.heartbeatMs);
    const stream: OpenStream = {
      res,
      close: () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        this.open.delete(stream);
        this.onCountChange(this.open.size);
        res.end();
      },
    };
    this.open.add(stream);
    this.onCountChange(this.open.size);
    res.on("close", () => stream.close());

    try {
      write(`retry: ${this.options.retryMs}\n: laggboot boot events\n\n`);
      if (filter.afterId !== undefined) this.replay(filter, write, send);
      replaying = false;
      for (const ev of pending.splice(0)) send(ev);
    } catch {
      // The store failed while replaying: end the stream, the client retries.
      stream.close();
    }
  }

  private replay(filter: StreamFilter, write: (t: string) => void, send: (ev: BootEvent) => void): void {
    const limit = this.options.replayLimit;
    // One more than we send, to tell "exactly limit" from "more than limit".
    const newestFirst = this.source.events({ mac: filter.mac, afterId: filter.afterId, limit: limit + 1 });
    const oldestFirst = newestFirst.slice(0, limit).reverse();
    if (newestFirst.length > limit && oldestFirst[0] !== undefined) {
      const gap = { message: `more than ${limit} events since ${filter.afterId}; the oldest were left out`, afterId: filter.afterId, resumesAt: oldestFirst[0].id };
      write(`event: gap\ndata: ${JSON.stringify(gap)}\n\n`);
    }
    for (const ev of oldestFirst) send(ev);
  }

  private frame(ev: BootEvent): string {
    let text = this.frames.get(ev);
    if (text === undefined) {
      // JSON.stringify escapes CR and LF, so the data is one line as SSE requires.
      text = `id: ${ev.id}\ndata: ${JSON.stringify(ev)}\n\n`;
      this.frames.set(ev, text);
    }
    return text;
  }

  /** Ends every stream (graceful stop). */
  closeAll(): void {
    for (const s of [...this.open]) s.close();
  }
}
