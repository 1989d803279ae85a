/** The web layer's public surface: the HTTP status server and the metrics app.ts feeds. */
export { createHttpServer, DEFAULT_HTTP_OPTIONS, ENDPOINTS, type HttpListen, type HttpServer, type HttpServerOptions, type HttpStats } from "./server.js";
export { LaggbootMetrics, METRIC, updateFromCounters, type CounterSources } from "./metric-names.js";
export { Metrics, Counter, Gauge, Histogram, PROMETHEUS_CONTENT_TYPE, type Labels } from "./metrics.js";
