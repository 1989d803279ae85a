/**
 * The writer thread: owns the write connection, so the fsync that makes a
 * batch durable never blocks the thread that answers DHCP. Messages in:
 * { id, json, details } (write a batch: a PackedBatch's records as one JSON
 * string, its event details joined with U+0000) and { close: true };
 * out: { id, error?, pruned? } once the batch is committed (or failed, nothing
 * written); pruned: the batch deleted every event with id <= it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createApplier, openConnection, type PackedBatch } from "./sqlite-ops.js";

interface WriterData { readonly path: string; readonly maxEvents: number }
type Request = { readonly id: number; readonly json: string; readonly details: string } | { readonly close: true };

const data = workerData as WriterData;
const db = openConnection(data.path);
const apply = createApplier(db, data.maxEvents);

parentPort!.on("message", (msg: Request) => {
  if ("close" in msg) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    const records = JSON.parse(msg.json) as PackedBatch["records"];
    // Each detail is JSON.stringify output, which escapes U+0000 and never holds it raw: the join splits back exactly.
    const pruned = apply({ records, details: msg.details.split("\u0000") });
    parentPort!.postMessage(pruned === undefined ? { id: msg.id } : { id: msg.id, pruned });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
