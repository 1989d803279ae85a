/**
 * Connections to the shared PostgreSQL database: where the connection
 * string comes from (the inventory or a file, so no password sits in the
 * inventory) and the session settings every connection gets.
 */
import { readFileSync } from "node:fs";
import pg from "pg";
import { LaggbootError } from "../../errors.js";

export type PgSource = { readonly connection: string } | { readonly connectionFile: string };

/** Every query gives up after this long, so a database that hangs (not only one that is down) sends the server offline. */
export const QUERY_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** The connection string: as given, or the first non-empty, non-comment line of the file. */
export function connectionString(source: PgSource): string {
  if ("connection" in source) return source.connection;
  let text: string;
  try {
    text = readFileSync(source.connectionFile, "utf8");
  } catch (cause) {
    throw new LaggbootError("LB_ERR_IO", `cannot read the PostgreSQL connection file ${source.connectionFile}: ${String(cause)}`, { cause });
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  if (line === undefined) throw new LaggbootError("LB_ERR_IO", `the PostgreSQL connection file ${source.connectionFile} holds no connection string`);
  return line;
}

/** Where a connection goes, for messages: the string without its password. */
export function describeConnection(connection: string): string {
  return connection.replace(/(\/\/[^:/@]*):[^@]*@/, "$1:***@").replace(/(password=)[^&\s]*/gi, "$1***");
}

/**
 * A connected client with synchronous_commit on (a COMMIT returns once its
 * WAL is flushed, whatever the database's default), so a lease the store
 * reports committed survives a crash of the database server.
 */
export async function connectPg(connection: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: connection, application_name: applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS, keepAlive: true,
  });
  // An error on an idle client (the database went away) must not become an uncaught exception; the owner watches 'end'.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SET synchronous_commit = on");
    return client;
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

/** What the store's queries need of a connection. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * One query at a time on a client (node-postgres deprecates queueing on a
 * busy client): batches, heartbeats and the event tail share the writer
 * connection, each after the one before.
 */
export function serialized(client: pg.Client): Queryable {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
      const next = tail.then(() => client.query<R>(text, values));
      tail = next.catch(() => undefined);
      return next;
    },
  };
}
