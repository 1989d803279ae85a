/**
 * The Prometheus registry: exact exposition text (format 0.0.4) for each
 * metric type, label escaping, stable ordering, misuse caught at once, and
 * the mapping of the servers' counters onto laggboot's metric names.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LaggbootError } from "../../src/errors.js";
import { Metrics, escapeHelp, escapeLabelValue, formatValue } from "../../src/web/metrics.js";
import { LaggbootMetrics, METRIC, messageTypeLabel } from "../../src/web/metric-names.js";
import { newCounters, bump } from "../../src/servers/dhcp/types.js";
import type { TftpStats, TransferEvent } from "../../src/servers/tftp/types.js";

const misuse = (fn: () => unknown): void => {
  assert.throws(fn, (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_INTERNAL");
};

describe("metrics registry", () => {
  test("counter without labels reads 0 before the first inc, with HELP and TYPE", () => {
    const m = new Metrics();
    const c = m.counter("demo_total", "Things done.");
    assert.equal(m.render(), "# HELP demo_total Things done.\n# TYPE demo_total counter\ndemo_total 0\n");
    c.inc();
    c.inc(undefined, 2.5);
    assert.equal(m.render(), "# HELP demo_total Things done.\n# TYPE demo_total counter\ndemo_total 3.5\n");
  });

  test("labelled series are sorted by label values and keep declared label order", () => {
    const m = new Metrics();
    const c = m.counter("req_total", "Requests.", ["method", "code"]);
    c.inc({ code: "404", method: "GET" });
    c.inc({ method: "GET", code: "200" }, 3);
    c.inc({ method: "DELETE", code: "405" });
    assert.equal(m.render(), [
      "# HELP req_total Requests.",
      "# TYPE req_total counter",
      'req_total{method="DELETE",code="405"} 1',
      'req_total{method="GET",code="200"} 3',
      'req_total{method="GET",code="404"} 1',
      "",
    ].join("\n"));
  });

  test("a labelled family with no series yet renders only HELP and TYPE", () => {
    const m = new Metrics();
    m.counter("x_total", "X.", ["kind"]);
    assert.equal(m.render(), "# HELP x_total X.\n# TYPE x_total counter\n");
  });

  test("label values escape backslash, double quote and line feed; HELP escapes backslash and line feed", () => {
    const m = new Metrics();
    m.gauge("g", 'Help with \\ and\nnewline and "quotes".', ["v"]).set({ v: 'a\\b"c\nd' }, -1.5);
    assert.equal(m.render(), [
      '# HELP g Help with \\\\ and\\nnewline and "quotes".',
      "# TYPE g gauge",
      'g{v="a\\\\b\\"c\\nd"} -1.5',
      "",
    ].join("\n"));
    assert.equal(escapeLabelValue('"\\\n'), '\\"\\\\\\n');
    assert.equal(escapeHelp('"\\\n'), '"\\\\\\n');
  });

  test("special values use Prometheus spellings", () => {
    assert.equal(formatValue(Infinity), "+Inf");
    assert.equal(formatValue(-Infinity), "-Inf");
    assert.equal(formatValue(NaN), "NaN");
    assert.equal(formatValue(0.25), "0.25");
    assert.equal(formatValue(1e21), "1e+21");
  });

  test("gauge set, inc, dec", () => {
    const m = new Metrics();
    const g = m.gauge("active", "Active.");
    g.inc();
    g.inc(undefined, 4);
    g.dec(undefined, 2);
    assert.equal(g.get(), 3);
    g.set(undefined, 7);
    assert.equal(m.render(), "# HELP active Active.\n# TYPE active gauge\nactive 7\n");
  });

  test("histogram: cumulative buckets, +Inf, sum and count; a value on a bound falls into that bucket", () => {
    const m = new Metrics();
    const h = m.histogram("lat_seconds", "Latency.", [0.1, 0.5, 1]);
    for (const v of [0.05, 0.1, 0.3, 0.7, 3]) h.observe(v);
    assert.equal(m.render(), [
      "# HELP lat_seconds Latency.",
      "# TYPE lat_seconds histogram",
      'lat_seconds_bucket{le="0.1"} 2',
      'lat_seconds_bucket{le="0.5"} 3',
      'lat_seconds_bucket{le="1"} 4',
      'lat_seconds_bucket{le="+Inf"} 5',
      "lat_seconds_sum 4.15",
      "lat_seconds_count 5",
      "",
    ].join("\n"));
  });

  test("labelled histogram puts le after the family's labels", () => {
    const m = new Metrics();
    const h = m.histogram("d_seconds", "D.", [1], ["dir"]);
    h.observe(2, { dir: "read" });
    assert.equal(m.render(), [
      "# HELP d_seconds D.",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{dir="read",le="1"} 0',
      'd_seconds_bucket{dir="read",le="+Inf"} 1',
      'd_seconds_sum{dir="read"} 2',
      'd_seconds_count{dir="read"} 1',
      "",
    ].join("\n"));
  });

  test("families render in registration order", () => {
    const m = new Metrics();
    m.gauge("b", "B.");
    m.gauge("a", "A.");
    assert.deepEqual(m.render().split("\n").filter((l) => l.startsWith("# TYPE")), ["# TYPE b gauge", "# TYPE a gauge"]);
  });

  test("misuse throws LB_ERR_INTERNAL at once", () => {
    const m = new Metrics();
    const c = m.counter("ok_total", "OK.", ["a"]);
    misuse(() => m.counter("ok_total", "again"));
    misuse(() => m.counter("bad-name", "dash"));
    misuse(() => m.counter("x_total", "bad label", ["__reserved"]));
    misuse(() => m.counter("y_total", "dup label", ["a", "a"]));
    misuse(() => m.histogram("h", "le label", [1], ["le"]));
    misuse(() => m.histogram("h2", "no buckets", []));
    misuse(() => m.histogram("h3", "not increasing", [1, 1]));
    misuse(() => m.histogram("h4", "inf", [1, Infinity]));
    m.histogram("h5", "H.", [1]);
    misuse(() => m.counter("h5_count", "clashes with the histogram's _count"));
    misuse(() => c.inc({}));
    misuse(() => c.inc({ a: "x", b: "y" }));
    misuse(() => c.inc({ b: "x" }));
    misuse(() => c.inc({ a: "x" }, -1));
    misuse(() => c.set({ a: "x" }, NaN));
  });

  test("counter.set mirrors a total, and accepts a reset", () => {
    const m = new Metrics();
    const c = m.counter("mirror_total", "M.");
    c.set(undefined, 10);
    c.set(undefined, 4);
    assert.equal(c.get(), 4);
  });
});

const transfer = (over: Partial<TransferEvent>): TransferEvent => ({
  clientAddress: "198.18.0.10", clientPort: 2070, direction: "read", requested: "pxeboot", path: "pxeboot",
  virtual: false, outcome: "ok", bytes: 1000, sizeBytes: 1000, durationMs: 300, blockSize: 1468, windowSize: 4,
  blocksResent: 0, clientErrorCode: undefined, reason: undefined, ...over,
});

describe("laggboot metrics", () => {
  test("message types become lower-case labels without the DHCP prefix", () => {
    assert.equal(messageTypeLabel("OFFER"), "offer");
    assert.equal(messageTypeLabel("DHCPACK"), "ack");
  });

  test("updateFromCounters maps DHCP counters and TFTP stats onto the named metrics", () => {
    const m = new LaggbootMetrics(1_700_000_000_000);
    const dhcp = newCounters();
    dhcp.received = 12;
    dhcp.malformed = 2;
    dhcp.rateLimited = 1;
    bump(dhcp.sent, "OFFER");
    bump(dhcp.sent, "ACK");
    bump(dhcp.sent, "ACK");
    bump(dhcp.ignored, "unknown-client");
    bump(dhcp.handled, "dhcp.release");
    dhcp.sendErrors = 3;
    dhcp.storeErrors = 4;
    dhcp.unknownClientsLogged = 1;
    const tftp: TftpStats = { active: 2, started: 9, completed: 6, failed: 1, refused: 0, bytesSent: 123456, bytesReceived: 7, malformedPackets: 5 };
    m.updateFromCounters({ dhcp, tftp });
    const text = m.render();
    const lines = new Set(text.split("\n"));
    for (const want of [
      `${METRIC.packetsReceived}{server="dhcp"} 12`,
      `${METRIC.packetsMalformed}{server="dhcp"} 2`,
      `${METRIC.packetsMalformed}{server="tftp"} 5`,
      `${METRIC.packetsRateLimited}{server="dhcp"} 1`,
      `${METRIC.dhcpReplies}{type="ack"} 2`,
      `${METRIC.dhcpReplies}{type="offer"} 1`,
      `${METRIC.dhcpIgnored}{reason="unknown-client"} 1`,
      `${METRIC.dhcpHandled}{kind="dhcp.release"} 1`,
      `${METRIC.dhcpUnknownClients} 1`,
      `${METRIC.errors}{server="dhcp",kind="send"} 3`,
      `${METRIC.errors}{server="dhcp",kind="store"} 4`,
      `${METRIC.errors}{server="dhcp",kind="engine"} 0`,
      `${METRIC.tftpTransfersStarted} 9`,
      `${METRIC.tftpTransfersActive} 2`,
      `${METRIC.tftpBytesSent} 123456`,
      `${METRIC.tftpBytesReceived} 7`,
      `${METRIC.startTime} 1700000000`,
    ]) assert.ok(lines.has(want), `missing line: ${want}\n${text}`);
    // Every name in the table is registered, with HELP and TYPE.
    for (const name of Object.values(METRIC)) assert.ok(text.includes(`# TYPE ${name} `), name);
  });

  test("DHCP reply latency comes from the event's receive time and the caller's clock", () => {
    const m = new LaggbootMetrics(0);
    m.onDhcpEvent({ type: "reply", atMs: 1000, mac: "02:00:00:00:00:01", messageType: "OFFER", to: "198.18.0.10:68", details: {} }, 1003);
    m.onDhcpEvent({ type: "malformed", atMs: 1000, from: "x", error: "short" }, 5000);
    assert.deepEqual(m.dhcpReplyLatency.get(), { count: 1, sum: 0.003 });
    assert.ok(m.render().includes(`${METRIC.dhcpReplyLatency}_bucket{le="0.005"} 1\n`));
    assert.ok(m.render().includes(`${METRIC.dhcpReplyLatency}_bucket{le="0.0025"} 0\n`));
  });

  test("TFTP transfer events count by direction and outcome; only finished ones feed the duration histogram", () => {
    const m = new LaggbootMetrics(0);
    m.onTransfer(transfer({ durationMs: 250, blocksResent: 3 }));
    m.onTransfer(transfer({ outcome: "probe", durationMs: 5 }));
    m.onTransfer(transfer({ outcome: "refused", durationMs: 0 }));
    const text = m.render();
    assert.ok(text.includes(`${METRIC.tftpTransfers}{direction="read",outcome="ok"} 1\n`));
    assert.ok(text.includes(`${METRIC.tftpTransfers}{direction="read",outcome="probe"} 1\n`));
    assert.ok(text.includes(`${METRIC.tftpTransfers}{direction="read",outcome="refused"} 1\n`));
    assert.ok(text.includes(`${METRIC.tftpBlocksResent} 3\n`));
    assert.deepEqual(m.tftpTransferDuration.get({ direction: "read" }), { count: 1, sum: 0.25 });
  });
});
