/**
 * The dashboard: one self-contained page (no external assets), a table of
 * clients and their boot stages, kept current from the event stream by a few
 * lines of inline script. The server renders the first table itself (works
 * without script); the script only ever sets textContent, and the CSP allows
 * exactly this script and this style by hash, nothing else.
 */
import { createHash } from "node:crypto";
import type { ClientStatus, ClusterStatus } from "../app/status-types.js";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f3f3}
td.stages{font-size:12px;color:#555}
#state{font-size:12px;color:#777}
ol{font:12px ui-monospace,monospace;padding-left:1.5em}
`;

const SCRIPT = `
"use strict";
const rows = document.getElementById("clients");
const state = document.getElementById("state");
const log = document.getElementById("events");
function ago(ms) {
  if (ms === null || ms === undefined) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? s + " s ago" : s < 7200 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
}
function row(c) {
  const tr = document.createElement("tr");
  const f = c.files && c.files.length ? c.files[c.files.length - 1] : null;
  const last = f ? f.path + " (" + (f.protocol || "tftp") + ")" : "";
  const cells = [c.name, c.ip, c.stage || "-", (c.stages || []).map((s) => s.stage).join(" > "),
    c.lastDhcp ? c.lastDhcp.messageType + (c.lastDhcp.server ? " by " + c.lastDhcp.server : "") : "", last, ago(c.lastSeenMs)];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = String(text);
    if (i === 3) td.className = "stages";
    tr.appendChild(td);
  });
  return tr;
}
async function refresh() {
  try {
    const r = await fetch("/api/v1/clients", { headers: { Accept: "application/json" } });
    if (r.ok) rows.replaceChildren(...(await r.json()).map(row));
  } catch (e) { state.textContent = "cannot reach the server"; }
}
let timer = null;
function soon() { if (timer === null) timer = setTimeout(() => { timer = null; refresh(); }, 200); }
const es = new EventSource("/api/v1/events/stream");
es.onopen = () => { state.textContent = "live"; soon(); };
es.onerror = () => { state.textContent = "reconnecting..."; };
es.onmessage = (m) => {
  const ev = JSON.parse(m.data);
  const li = document.createElement("li");
  li.textContent = new Date(ev.atMs).toISOString() + " " + ev.kind + " " + ev.mac + (ev.ip ? " " + ev.ip : "") + (ev.server ? " (" + ev.server + ")" : "");
  log.prepend(li);
  while (log.childElementCount > 50) log.lastElementChild.remove();
  soon();
};
setInterval(refresh, 15000);
`;

const hash = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** Only the inline script and style above may run; the page may talk only to its own origin. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function ago(nowMs: number, ms: number | undefined): string {
  if (ms === undefined) return "never";
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

function clientRow(c: ClientStatus, nowMs: number): string {
  const f = c.files.length > 0 ? c.files[c.files.length - 1]! : undefined;
  const last = f === undefined ? "" : `${f.path} (${f.protocol})`;
  const d = c.lastDhcp;
  const dhcp = d === undefined ? "" : d.messageType + (d.server === undefined ? "" : ` by ${d.server}`);
  const cells = [c.name, c.ip, c.stage ?? "-", c.stages.map((s) => s.stage).join(" > "), dhcp, last, ago(nowMs, c.lastSeenMs)];
  return `<tr>${cells.map((t, i) => `<td${i === 3 ? ' class="stages"' : ""}>${escapeHtml(t)}</td>`).join("")}</tr>`;
}

/** The servers sharing the store (shared PostgreSQL store only). */
function clusterSection(c: ClusterStatus | undefined): string {
  if (c === undefined) return "";
  const rows = c.servers.map((s) => {
    const seen = s.lastSeenAgoMs === undefined ? "never" : `${Math.round(s.lastSeenAgoMs / 1000)} s ago`;
    const cells = [s.name + (s.name === c.server ? " (this server)" : ""), seen, s.sameInventory ? "same" : `DIFFERENT (${s.inventoryHash.slice(0, 12)})`];
    return `<tr>${cells.map((t) => `<td>${escapeHtml(t)}</td>`).join("")}</tr>`;
  });
  const db = c.online ? "reachable" : "UNREACHABLE: pool requests are not answered";
  return `<h2>Servers</h2>
<p>Shared PostgreSQL store: ${escapeHtml(db)}; events queued ${c.queuedEvents}, dropped ${c.droppedEvents}.</p>
<table>
<thead><tr><th>Server</th><th>Last heartbeat</th><th>Inventory</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
`;
}

export function dashboardHtml(clients: readonly ClientStatus[], inventory: string, nowMs: number, cluster?: ClusterStatus): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>laggboot</title>
<style>${STYLE}</style>
</head>
<body>
<h1>laggboot</h1>
<p>Inventory: <code>${escapeHtml(inventory)}</code> <span id="state">(static view)</span></p>
<table>
<thead><tr><th>Client</th><th>IP</th><th>Stage</th><th>Stages this boot</th><th>Last DHCP</th><th>Last file</th><th>Last seen</th></tr></thead>
<tbody id="clients">
${clients.map((c) => clientRow(c, nowMs)).join("\n")}
</tbody>
</table>
${clusterSection(cluster)}<h2>Events</h2>
<ol id="events" reversed></ol>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
