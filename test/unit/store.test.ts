import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, openSqliteStore } from "../../src/store/index.js";
import { freeAddressContract, storeContract } from "./store-contract.js";

storeContract("memory", async () => ({ store: new MemoryStore(), cleanup: async () => {} }));

storeContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-store-"));
  return { store: openSqliteStore({ path: join(dir, "leases.db") }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

storeContract("sqlite writing inline", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-store-"));
  return {
    store: openSqliteStore({ path: join(dir, "leases.db"), writerThread: false }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

storeContract("sqlite with a commit window", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-store-"));
  return {
    store: openSqliteStore({ path: join(dir, "leases.db"), commitWindowMs: 3 }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

freeAddressContract("memory", async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
freeAddressContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-store-"));
  return { store: openSqliteStore({ path: join(dir, "leases.db") }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});
