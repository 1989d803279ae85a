/** Lease and boot-event storage: one interface; in memory, SQLite (one server) and PostgreSQL (shared by several). */
export type { BadAddress, BootEvent, BootEventInput, ClusterView, EventQuery, Lease, LeaseState, ServerRecord, Store } from "./types.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory.js";
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from "./sqlite.js";
export { SCHEMA_VERSION } from "./migrations.js";
export { openPostgresStore, PostgresStore, type PostgresStoreOptions, type PgLog } from "./pg/store.js";
export { PG_SCHEMA_VERSION } from "./pg/migrations.js";
