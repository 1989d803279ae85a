/** Builds the HTTP endpoint and the metrics for a running App. */
import { createHttpServer } from "../web/server.js";
import { LaggbootMetrics } from "../web/metric-names.js";
import type { App } from "./app.js";

export interface WebHandle {
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startWeb(app: App, listen: { address: string; port: number; allowedHosts?: readonly string[] }, clock: () => number = Date.now): Promise<WebHandle> {
  const metrics = new LaggbootMetrics(app.health().startedAtMs);
  app.dhcpListeners.add((e) => metrics.onDhcpEvent(e, clock()));
  app.transferListeners.add((e) => metrics.onTransfer(e));
  app.httpTransferListeners.add((e) => metrics.onHttpBootTransfer(e));
  app.metricsRenderer = () => {
    metrics.updateFromCounters(app.counters);
    return metrics.render();
  };
  const http = createHttpServer({ address: listen.address, port: listen.port }, app, { metrics, allowedHosts: listen.allowedHosts ?? [] });
  const bound = await http.start();
  return { address: bound.address, port: bound.port, stop: () => http.stop() };
}
