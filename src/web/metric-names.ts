/**
 * Every metric laggboot exports, named once, and the glue that fills them:
 * live observations (DHCP reply latency, TFTP transfer outcomes and
 * durations) arrive through `onDhcpEvent` / `onTransfer`; the servers' own
 * monotonic counters are copied in at scrape time by `updateFromCounters`;
 * the HTTP server counts its own requests and streams when given this object.
 * app.ts builds one `LaggbootMetrics` and feeds it; nothing here is global.
 */
import type { DhcpCounters, DhcpServerEvent } from "../servers/dhcp/types.js";
import type { TftpStats, TransferEvent } from "../servers/tftp/types.js";
import type { HttpBootStats, HttpTransferEvent } from "../servers/http-boot/types.js";
import { Metrics, type Counter, type Gauge, type Histogram } from "./metrics.js";

/** Metric names (Prometheus conventions: base units, `_total` on counters). */
export const METRIC = {
  packetsReceived: "laggboot_packets_received_total",
  packetsMalformed: "laggboot_packets_malformed_total",
  packetsRateLimited: "laggboot_packets_rate_limited_total",
  dhcpReplies: "laggboot_dhcp_replies_total",
  dhcpIgnored: "laggboot_dhcp_ignored_total",
  dhcpHandled: "laggboot_dhcp_handled_total",
  dhcpUnknownClients: "laggboot_dhcp_unknown_clients_logged_total",
  dhcpReplyLatency: "laggboot_dhcp_reply_latency_seconds",
  tftpTransfers: "laggboot_tftp_transfers_total",
  tftpTransfersStarted: "laggboot_tftp_transfers_started_total",
  tftpTransfersActive: "laggboot_tftp_transfers_active",
  tftpBytesSent: "laggboot_tftp_bytes_sent_total",
  tftpBytesReceived: "laggboot_tftp_bytes_received_total",
  tftpBlocksResent: "laggboot_tftp_blocks_resent_total",
  tftpTransferDuration: "laggboot_tftp_transfer_duration_seconds",
  httpBootTransfers: "laggboot_http_boot_transfers_total",
  httpBootBytesSent: "laggboot_http_boot_bytes_sent_total",
  httpBootTransfersActive: "laggboot_http_boot_transfers_active",
  httpBootConnectionsOpen: "laggboot_http_boot_connections_open",
  httpBootConnectionsRefused: "laggboot_http_boot_connections_refused_total",
  httpBootTransferDuration: "laggboot_http_boot_transfer_duration_seconds",
  errors: "laggboot_errors_total",
  httpRequests: "laggboot_http_requests_total",
  httpEventStreams: "laggboot_http_event_streams",
  startTime: "laggboot_start_time_seconds",
  storeOnline: "laggboot_store_online",
  storeEventsQueued: "laggboot_store_events_queued",
  storeEventsDropped: "laggboot_store_events_dropped_total",
} as const;

/**
 * DHCP reply latency: receive to send, including the durable lease commit
 * (an fsync on the SQLite store), so the upper buckets matter. PXE firmware
 * retransmits DISCOVER after 4, 8, 16 and 32 s (PXE 2.1 specification), so
 * 5 s is "too late" in practice.
 */
export const DHCP_LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** TFTP transfer durations: an iPXE script takes milliseconds, a kernel over a slow link tens of seconds. */
export const TFTP_DURATION_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

export interface CounterSources {
  readonly dhcp?: DhcpCounters | undefined;
  readonly tftp?: TftpStats | undefined;
  readonly httpBoot?: HttpBootStats | undefined;
  /** A shared store (PostgreSQL): reachable now, events waiting for it, events dropped. */
  readonly store?: { readonly online: boolean; readonly queuedEvents: number; readonly droppedEvents: number } | undefined;
}

/** DHCP message type as a label: "OFFER" / "DHCPOFFER" -> "offer". */
export function messageTypeLabel(messageType: string): string {
  return messageType.toLowerCase().replace(/^dhcp/, "");
}

export class LaggbootMetrics {
  readonly registry = new Metrics();
  readonly packetsReceived: Counter;
  readonly packetsMalformed: Counter;
  readonly packetsRateLimited: Counter;
  readonly dhcpReplies: Counter;
  readonly dhcpIgnored: Counter;
  readonly dhcpHandled: Counter;
  readonly dhcpUnknownClients: Counter;
  readonly dhcpReplyLatency: Histogram;
  readonly tftpTransfers: Counter;
  readonly tftpTransfersStarted: Counter;
  readonly tftpTransfersActive: Gauge;
  readonly tftpBytesSent: Counter;
  readonly tftpBytesReceived: Counter;
  readonly tftpBlocksResent: Counter;
  readonly tftpTransferDuration: Histogram;
  readonly httpBootTransfers: Counter;
  readonly httpBootBytesSent: Counter;
  readonly httpBootTransfersActive: Gauge;
  readonly httpBootConnectionsOpen: Gauge;
  readonly httpBootConnectionsRefused: Counter;
  readonly httpBootTransferDuration: Histogram;
  readonly errors: Counter;
  readonly httpRequests: Counter;
  readonly httpEventStreams: Gauge;
  readonly startTime: Gauge;
  readonly storeOnline: Gauge;
  readonly storeEventsQueued: Gauge;
  readonly storeEventsDropped: Counter;

  constructor(startedAtMs: number) {
    const r = this.registry;
    this.packetsReceived = r.counter(METRIC.packetsReceived, "Packets received, by server.", ["server"]);
    this.packetsMalformed = r.counter(METRIC.packetsMalformed, "Packets dropped because they did not decode, by server.", ["server"]);
    this.packetsRateLimited = r.counter(METRIC.packetsRateLimited, "Packets dropped by the per-client rate limit, by server.", ["server"]);
    this.dhcpReplies = r.counter(METRIC.dhcpReplies, "DHCP replies sent, by message type (offer, ack, nak).", ["type"]);
    this.dhcpIgnored = r.counter(METRIC.dhcpIgnored, "DHCP requests answered with silence, by reason.", ["reason"]);
    this.dhcpHandled = r.counter(METRIC.dhcpHandled, "DHCP messages handled without a reply (release, decline), by event kind.", ["kind"]);
    this.dhcpUnknownClients = r.counter(METRIC.dhcpUnknownClients, "Unknown client MACs logged (at most once per MAC per interval).");
    this.dhcpReplyLatency = r.histogram(METRIC.dhcpReplyLatency,
      "Time from receiving a DHCP request to sending the reply, including the durable lease write.", DHCP_LATENCY_BUCKETS_SECONDS);
    this.tftpTransfers = r.counter(METRIC.tftpTransfers, "TFTP requests that ended, by direction and outcome (ok, probe, cancelled, timeout, failed, refused).",
      ["direction", "outcome"]);
    this.tftpTransfersStarted = r.counter(METRIC.tftpTransfersStarted, "TFTP transfers started.");
    this.tftpTransfersActive = r.gauge(METRIC.tftpTransfersActive, "TFTP transfers running now.");
    this.tftpBytesSent = r.counter(METRIC.tftpBytesSent, "File bytes sent over TFTP and acknowledged.");
    this.tftpBytesReceived = r.counter(METRIC.tftpBytesReceived, "File bytes received over TFTP (uploads).");
    this.tftpBlocksResent = r.counter(METRIC.tftpBlocksResent, "TFTP data blocks sent again after a timeout or duplicate ACK.");
    this.tftpTransferDuration = r.histogram(METRIC.tftpTransferDuration,
      "Duration of TFTP transfers that finished, from request to last ACK.", TFTP_DURATION_BUCKETS_SECONDS, ["direction"]);
    this.httpBootTransfers = r.counter(METRIC.httpBootTransfers,
      "Boot-file HTTP requests that ended, by outcome (ok, partial, probe, not-modified, redirect, cancelled, refused, failed).", ["outcome"]);
    this.httpBootBytesSent = r.counter(METRIC.httpBootBytesSent, "File bytes sent by the boot-file HTTP server.");
    this.httpBootTransfersActive = r.gauge(METRIC.httpBootTransfersActive, "Boot-file HTTP requests being answered now.");
    this.httpBootConnectionsOpen = r.gauge(METRIC.httpBootConnectionsOpen, "Connections open to the boot-file HTTP server.");
    this.httpBootConnectionsRefused = r.counter(METRIC.httpBootConnectionsRefused, "Connections refused (503) by the boot-file HTTP server's connection limits.");
    this.httpBootTransferDuration = r.histogram(METRIC.httpBootTransferDuration,
      "Duration of boot-file HTTP transfers that went out whole, from request to last byte handed to the kernel.", TFTP_DURATION_BUCKETS_SECONDS);
    this.errors = r.counter(METRIC.errors, "Errors by server and kind (send, store, engine).", ["server", "kind"]);
    this.httpRequests = r.counter(METRIC.httpRequests, "HTTP requests answered, by status code.", ["code"]);
    this.httpEventStreams = r.gauge(METRIC.httpEventStreams, "Server-sent event streams open now.");
    this.startTime = r.gauge(METRIC.startTime, "When this laggboot process started, seconds since the Unix epoch.");
    this.startTime.set(undefined, startedAtMs / 1000);
    this.storeOnline = r.gauge(METRIC.storeOnline, "1 while the shared store (PostgreSQL) is reachable, 0 while not (pool requests are not answered then).");
    this.storeEventsQueued = r.gauge(METRIC.storeEventsQueued, "Boot events waiting for the shared store.");
    this.storeEventsDropped = r.counter(METRIC.storeEventsDropped, "Boot events dropped because the queue for the shared store was full.");
  }

  /**
   * Call from the DHCP server's onEvent with the same clock the server uses:
   * a reply event carries the receive time, so now - atMs is the latency.
   */
  onDhcpEvent(event: DhcpServerEvent, nowMs: number): void {
    if (event.type === "reply") this.dhcpReplyLatency.observe(Math.max(0, nowMs - event.atMs) / 1000);
  }

  /** Call from the TFTP server's onTransfer. */
  onTransfer(event: TransferEvent): void {
    this.tftpTransfers.inc({ direction: event.direction, outcome: event.outcome });
    if (event.blocksResent > 0) this.tftpBlocksResent.inc(undefined, event.blocksResent);
    if (event.outcome === "ok") this.tftpTransferDuration.observe(event.durationMs / 1000, { direction: event.direction });
  }

  /** Call from the boot-file HTTP server's onTransfer. */
  onHttpBootTransfer(event: HttpTransferEvent): void {
    this.httpBootTransfers.inc({ outcome: event.outcome });
    if (event.outcome === "ok") this.httpBootTransferDuration.observe(event.durationMs / 1000);
  }

  /** Copy the servers' counters in; call right before `render()`. */
  updateFromCounters(sources: CounterSources): void {
    updateFromCounters(this, sources);
  }

  render(): string {
    return this.registry.render();
  }
}

/**
 * Maps the servers' monotonic counters onto the metrics, at scrape time. A
 * source left out (a server not running) keeps its last values.
 */
export function updateFromCounters(m: LaggbootMetrics, sources: CounterSources): void {
  const { dhcp, tftp, httpBoot } = sources;
  if (httpBoot !== undefined) {
    m.httpBootBytesSent.set(undefined, httpBoot.bytesSent);
    m.httpBootTransfersActive.set(undefined, httpBoot.active);
    m.httpBootConnectionsOpen.set(undefined, httpBoot.connectionsOpen);
    m.httpBootConnectionsRefused.set(undefined, httpBoot.connectionsRefused);
  }
  if (dhcp !== undefined) {
    m.packetsReceived.set({ server: "dhcp" }, dhcp.received);
    m.packetsMalformed.set({ server: "dhcp" }, dhcp.malformed);
    m.packetsRateLimited.set({ server: "dhcp" }, dhcp.rateLimited);
    // Several spellings may map to one label: add them up before setting.
    const replies = new Map<string, number>();
    for (const [type, n] of dhcp.sent) replies.set(messageTypeLabel(type), (replies.get(messageTypeLabel(type)) ?? 0) + n);
    for (const [type, n] of replies) m.dhcpReplies.set({ type }, n);
    for (const [reason, n] of dhcp.ignored) m.dhcpIgnored.set({ reason }, n);
    for (const [kind, n] of dhcp.handled) m.dhcpHandled.set({ kind }, n);
    m.dhcpUnknownClients.set(undefined, dhcp.unknownClientsLogged);
    m.errors.set({ server: "dhcp", kind: "send" }, dhcp.sendErrors);
    m.errors.set({ server: "dhcp", kind: "store" }, dhcp.storeErrors);
    m.errors.set({ server: "dhcp", kind: "engine" }, dhcp.engineErrors);
    // Lease writes lost to another server on a shared store (decided again, not an error the client sees).
    m.errors.set({ server: "dhcp", kind: "lease-conflict" }, dhcp.leaseConflicts);
  }
  if (sources.store !== undefined) {
    m.storeOnline.set(undefined, sources.store.online ? 1 : 0);
    m.storeEventsQueued.set(undefined, sources.store.queuedEvents);
    m.storeEventsDropped.set(undefined, sources.store.droppedEvents);
  }
  if (tftp !== undefined) {
    m.packetsMalformed.set({ server: "tftp" }, tftp.malformedPackets);
    m.tftpTransfersStarted.set(undefined, tftp.started);
    m.tftpTransfersActive.set(undefined, tftp.active);
    m.tftpBytesSent.set(undefined, tftp.bytesSent);
    m.tftpBytesReceived.set(undefined, tftp.bytesReceived);
  }
}
