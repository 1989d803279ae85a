/**
 * The PostgreSQL schema as an ordered list of migrations (never edit a
 * published entry: append). `laggboot_schema.version` holds how many have
 * run; every server that opens the database runs the missing ones, one
 * transaction each, serialised by a transaction-scoped advisory lock so two
 * servers starting together do not both create the tables.
 *
 * Allocation safety lives in the database, not in a lock of ours: `leases`
 * has one row per address (primary key), and `laggboot_apply` writes a
 * lease with one INSERT ... ON CONFLICT whose WHERE clause is the rule of
 * src/store/lease-rules.ts. Two servers racing for one address: the row lock
 * makes the second wait for the first's commit, then its WHERE fails and the
 * function reports the winner's row instead.
 */
import type { ClientBase } from "pg";
import { LaggbootError } from "../../errors.js";

/** Advisory lock key for migrations: "lagg" in ASCII. */
const MIGRATION_LOCK = 0x6c616767;

export const PG_MIGRATIONS: readonly string[] = [
  // 1: leases, declined addresses, events, servers, and the batch function.
  `
  CREATE SEQUENCE laggboot_lease_version;
  CREATE SEQUENCE laggboot_event_id;
  CREATE TABLE leases (
    ip         text PRIMARY KEY,
    mac        text NOT NULL,
    network    text NOT NULL,
    state      text NOT NULL CHECK (state IN ('offered', 'bound')),
    start_ms   bigint NOT NULL,
    expires_ms bigint NOT NULL,
    client_id  text,
    host_name  text,
    server     text NOT NULL,
    -- Increases with every write of the row (and of its removal, in the change feed):
    -- a server's mirror applies a change only if it is newer than what it holds.
    version    bigint NOT NULL DEFAULT nextval('laggboot_lease_version')
  );
  CREATE TABLE bad_addresses (
    ip       text PRIMARY KEY,
    mac      text NOT NULL,
    network  text NOT NULL,
    since_ms bigint NOT NULL,
    until_ms bigint NOT NULL
  );
  CREATE TABLE events (
    id          bigint PRIMARY KEY,
    at_ms       bigint NOT NULL,
    kind        text NOT NULL,
    mac         text NOT NULL,
    ip          text,
    details     text NOT NULL,
    server      text NOT NULL,
    inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()
  );
  CREATE INDEX events_by_mac ON events (mac, id);
  CREATE INDEX events_by_insert ON events (inserted_at);
  CREATE TABLE servers (
    name             text PRIMARY KEY,
    inventory_hash   text NOT NULL,
    laggboot_version text NOT NULL,
    started_ms       bigint NOT NULL,
    last_seen        timestamptz NOT NULL
  );

  -- Adds one change to the pending NOTIFY payload; sends the payload first when the change would
  -- take it past 7000 bytes (NOTIFY's limit is 8000).
  CREATE FUNCTION laggboot_push(p_server text, p_changes text, p_change text) RETURNS text
  LANGUAGE plpgsql AS $fn$
  BEGIN
    IF p_change IS NULL THEN RETURN p_changes; END IF;
    IF length(p_changes) + length(p_change) > 7000 THEN
      PERFORM pg_notify('laggboot_changes', '{"s":' || to_json(p_server)::text || ',"c":[' || p_changes || ']}');
      RETURN p_change;
    END IF;
    RETURN CASE WHEN p_changes = '' THEN p_change ELSE p_changes || ',' || p_change END;
  END
  $fn$;

  -- One batch of one server's writes, in order, as one transaction (one fsync).
  -- Ops: {"t":"lease",...} {"t":"remove","ip","mac"?,"startMs"?,"state"?} {"t":"bad",...}
  -- {"t":"unbad","ip"} {"t":"prune","nowMs"}. Returns one result per op:
  -- {"ok":true,"v":version} or {"ok":false,"row":current row or null}; for prune {"ok":true,"n":count}.
  -- Every change goes to the other servers through NOTIFY laggboot_changes (payloads under 8000 bytes).
  CREATE FUNCTION laggboot_apply(p_server text, p_ops jsonb, p_events jsonb) RETURNS jsonb
  LANGUAGE plpgsql AS $fn$
  DECLARE
    op jsonb;
    results jsonb[] := '{}';
    changes text := '';
    change text;
    v bigint;
    n integer;
    cur leases%ROWTYPE;
    gone record;
  BEGIN
    FOR op IN SELECT value FROM jsonb_array_elements(p_ops) LOOP
      change := NULL;
      CASE op->>'t'
      WHEN 'lease' THEN
        v := NULL;
        INSERT INTO leases AS l (ip, mac, network, state, start_ms, expires_ms, client_id, host_name, server)
        VALUES (op->>'ip', op->>'mac', op->>'network', op->>'state', (op->>'startMs')::bigint, (op->>'expiresMs')::bigint,
                op->>'clientId', op->>'hostName', p_server)
        ON CONFLICT (ip) DO UPDATE SET mac = EXCLUDED.mac, network = EXCLUDED.network, state = EXCLUDED.state,
          start_ms = EXCLUDED.start_ms, expires_ms = EXCLUDED.expires_ms, client_id = EXCLUDED.client_id,
          host_name = EXCLUDED.host_name, server = EXCLUDED.server, version = nextval('laggboot_lease_version')
        -- src/store/lease-rules.ts: not over a live lease of another MAC, nor an OFFER hold over the MAC's live bound lease.
        WHERE NOT (l.expires_ms > EXCLUDED.start_ms AND (l.mac <> EXCLUDED.mac OR (l.state = 'bound' AND EXCLUDED.state = 'offered')))
        RETURNING l.version INTO v;
        IF v IS NULL THEN
          SELECT * INTO cur FROM leases WHERE ip = op->>'ip';
          results := results || jsonb_build_object('ok', false, 'row', CASE WHEN cur.ip IS NULL THEN NULL ELSE to_jsonb(cur) END);
        ELSE
          results := results || jsonb_build_object('ok', true, 'v', v);
          change := json_build_array('L', op->>'ip', op->>'mac', op->>'network', op->>'state', (op->>'startMs')::bigint,
            (op->>'expiresMs')::bigint, op->>'clientId', op->>'hostName', v)::text;
        END IF;
      WHEN 'remove' THEN
        DELETE FROM leases WHERE ip = op->>'ip' AND (op->>'mac' IS NULL
          OR (mac = op->>'mac' AND start_ms = (op->>'startMs')::bigint AND state = op->>'state'));
        IF FOUND THEN
          v := nextval('laggboot_lease_version');
          results := results || jsonb_build_object('ok', true, 'v', v);
          change := json_build_array('-', op->>'ip', v)::text;
        ELSE
          SELECT * INTO cur FROM leases WHERE ip = op->>'ip';
          results := results || jsonb_build_object('ok', false, 'row', CASE WHEN cur.ip IS NULL THEN NULL ELSE to_jsonb(cur) END);
        END IF;
      WHEN 'bad' THEN
        INSERT INTO bad_addresses (ip, mac, network, since_ms, until_ms)
        VALUES (op->>'ip', op->>'mac', op->>'network', (op->>'sinceMs')::bigint, (op->>'untilMs')::bigint)
        ON CONFLICT (ip) DO UPDATE SET mac = EXCLUDED.mac, network = EXCLUDED.network, since_ms = EXCLUDED.since_ms, until_ms = EXCLUDED.until_ms;
        results := results || jsonb_build_object('ok', true);
        change := json_build_array('B', op->>'ip', op->>'mac', op->>'network', (op->>'sinceMs')::bigint, (op->>'untilMs')::bigint)::text;
      WHEN 'unbad' THEN
        DELETE FROM bad_addresses WHERE ip = op->>'ip';
        results := results || jsonb_build_object('ok', true);
        change := json_build_array('b', op->>'ip')::text;
      WHEN 'prune' THEN
        n := 0;
        FOR gone IN DELETE FROM leases WHERE expires_ms <= (op->>'nowMs')::bigint RETURNING ip LOOP
          n := n + 1;
          change := json_build_array('-', gone.ip, nextval('laggboot_lease_version'))::text;
          changes := laggboot_push(p_server, changes, change);
        END LOOP;
        FOR gone IN DELETE FROM bad_addresses WHERE until_ms <= (op->>'nowMs')::bigint RETURNING ip LOOP
          change := json_build_array('b', gone.ip)::text;
          changes := laggboot_push(p_server, changes, change);
        END LOOP;
        change := NULL;
        results := results || jsonb_build_object('ok', true, 'n', n);
      ELSE
        RAISE EXCEPTION 'laggboot_apply: unknown op %', op->>'t';
      END CASE;
      changes := laggboot_push(p_server, changes, change);
    END LOOP;
    IF changes <> '' THEN
      PERFORM pg_notify('laggboot_changes', '{"s":' || to_json(p_server)::text || ',"c":[' || changes || ']}');
    END IF;
    -- A batch whose reply was lost may come again after a reconnect: its events are already in.
    INSERT INTO events (id, at_ms, kind, mac, ip, details, server)
    SELECT e.id, e.at, e.kind, e.mac, e.ip, e.details, p_server
    FROM jsonb_to_recordset(p_events) AS e(id bigint, at bigint, kind text, mac text, ip text, details text)
    ON CONFLICT (id) DO NOTHING;
    RETURN to_jsonb(results);
  END
  $fn$;
  `,
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** The schema version the database holds (0: none yet). */
export async function schemaVersion(db: ClientBase): Promise<number> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('laggboot_schema')::text AS t");
  if (exists.rows[0]?.t == null) return 0;
  const r = await db.query<{ version: number }>("SELECT version FROM laggboot_schema");
  return r.rows[0]?.version ?? 0;
}

/** Run the missing migrations; refuse a database from a newer laggboot. */
export async function migratePg(db: ClientBase, where: string): Promise<void> {
  for (;;) {
    await db.query("BEGIN");
    try {
      await db.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      const version = await schemaVersion(db);
      if (version > PG_MIGRATIONS.length) {
        throw new LaggbootError("LB_ERR_STORE_VERSION", `${where} has schema version ${version}; this laggboot knows up to ${PG_MIGRATIONS.length}`);
      }
      if (version === PG_MIGRATIONS.length) {
        await db.query("COMMIT");
        return;
      }
      if (version === 0) await db.query("CREATE TABLE laggboot_schema (version integer NOT NULL)");
      await db.query(PG_MIGRATIONS[version]!);
      if (version === 0) await db.query("INSERT INTO laggboot_schema (version) VALUES (1)");
      else await db.query("UPDATE laggboot_schema SET version = $1", [version + 1]);
      await db.query("COMMIT");
    } catch (e) {
      await db.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  }
}
