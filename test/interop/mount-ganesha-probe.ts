/**
 * Runs checkNfsExport inside a network namespace for mount-ganesha.test.ts
 * (`ip netns exec NS node dist/test/interop/mount-ganesha-probe.js JSON`):
 * the test process itself cannot enter a namespace. Reads a JSON array of
 * check inputs, prints a JSON array of results.
 */
import { checkNfsExport, type NfsExportCheckInput } from "../../src/servers/nfs-mount/check.js";

const inputs = JSON.parse(process.argv[2] ?? "[]") as NfsExportCheckInput[];
const out = [];
for (const input of inputs) {
  const r = await checkNfsExport(input);
  out.push({ ok: r.ok, status: r.status, proves: r.proves, advice: r.advice ?? null, exports: r.exports ?? null, mountPort: r.mountPort ?? null });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
