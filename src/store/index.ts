/** Lease and boot-event storage: one interface, two implementations. */
export type { BadAddress, BootEvent, BootEventInput, EventQuery, Lease, LeaseState, Store } from "./types.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory.js";
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export { SCHEMA_VERSION } from "./migrations.js";
