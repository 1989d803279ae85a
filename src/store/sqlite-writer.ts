/**
 * The writer thread: owns the write connection, so the fsync that makes a
 * batch durable never blocks the thread that answers DHCP. Messages in:
 * { id, json } (write a batch: a PackedBatch as one JSON string) and { close: true };
 * out: { id, error? } once the batch is committed (or failed, nothing written).
 */
import { parentPort, workerData } from "node:worker_threads";
import { createApplier, openConnection, type PackedBatch } from "./sqlite-ops.js";

interface WriterData { readonly path: string; readonly maxEvents: number }
type Request = { readonly id: number; readonly json: string } | { readonly close: true };

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
    apply(JSON.parse(msg.json) as PackedBatch);
    parentPort!.postMessage({ id: msg.id });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
