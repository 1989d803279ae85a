/** Where the PostgreSQL connection string comes from, and how it is shown (never with its password). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionString, describeConnection } from "../../src/store/pg/connect.js";
import { isConnectionError } from "../../src/store/pg/peers.js";
import { LaggbootError } from "../../src/errors.js";

test("the connection string: inline, or the first line of its file that is not blank or a comment", () => {
  const dir = mkdtempSync(join(tmpdir(), "lb-pgconn-"));
  try {
    assert.equal(connectionString({ connection: "postgresql://u@db/x" }), "postgresql://u@db/x");
    const file = join(dir, "conn");
    writeFileSync(file, "# the shared lease database\n\n  postgresql://u:secret@db/x  \nignored\n");
    assert.equal(connectionString({ connectionFile: file }), "postgresql://u:secret@db/x");
    writeFileSync(file, "# nothing\n");
    assert.throws(() => connectionString({ connectionFile: file }), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_IO");
    assert.throws(() => connectionString({ connectionFile: join(dir, "missing") }), (e: unknown) => e instanceof LaggbootError && e.code === "LB_ERR_IO");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a connection string is shown without its password", () => {
  assert.equal(describeConnection("postgresql://laggboot:s3cr:et@db1:5432/laggboot"), "postgresql://laggboot:***@db1:5432/laggboot");
  assert.equal(describeConnection("host=db1 user=laggboot password=hunter2 dbname=x"), "host=db1 user=laggboot password=*** dbname=x");
  assert.equal(describeConnection("postgresql://laggboot@/laggboot?host=%2Ftmp"), "postgresql://laggboot@/laggboot?host=%2Ftmp");
});

test("connection failures send the store offline; a refused statement does not", () => {
  assert.equal(isConnectionError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), true);
  assert.equal(isConnectionError(new Error("Connection terminated unexpectedly")), true);
  assert.equal(isConnectionError(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })), true);
  assert.equal(isConnectionError(Object.assign(new Error("could not connect"), { code: "08006" })), true);
  assert.equal(isConnectionError(Object.assign(new Error("duplicate key"), { code: "23505" })), false);
  assert.equal(isConnectionError(Object.assign(new Error("syntax error"), { code: "42601" })), false);
});
