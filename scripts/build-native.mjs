#!/usr/bin/env node
// Builds the native addons with node-gyp against the running Node's own
// headers (never downloaded): the TFTP data path (native/tftp_data.c) and the
// DHCP socket layer (native/dhcp_sock.c). Linux only. On failure it says why
// and exits 0: the servers then run their pure-Node paths (and the test suite
// fails unless LAGGBOOT_TEST_NO_NATIVE=1).
// LAGGBOOT_NATIVE_BUILD=0 skips the build.
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const skip = (why) => {
  console.warn(`build-native: not built (${why}); the TFTP and DHCP servers will use their pure-Node data paths`);
  process.exit(0);
};
if (process.env.LAGGBOOT_NATIVE_BUILD === "0") skip("LAGGBOOT_NATIVE_BUILD=0");
if (process.platform !== "linux") skip(`platform ${process.platform}`);

// Up to date: N-API is ABI-stable across Node versions, so only the sources matter.
const outs = ["build/Release/laggboot_tftp.node", "build/Release/laggboot_dhcp.node"].map((f) => join(root, f));
const sources = ["native/tftp_data.c", "native/dhcp_sock.c", "native/napi_common.h", "binding.gyp"];
const mtime = (p) => statSync(p).mtimeMs;
const upToDate = (out) => existsSync(out) && sources.every((f) => mtime(join(root, f)) < mtime(out));
if (outs.every(upToDate)) process.exit(0);

// Node's headers: npm's nodedir if set, else next to the node binary (/usr/include/node for /usr/bin/node).
const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), "..")].filter(Boolean);
const nodedir = candidates.find((d) => existsSync(join(d, "include/node/node_api.h")));
if (!nodedir) skip(`no Node headers (include/node/node_api.h) under ${candidates.join(" or ")}`);

// node-gyp: the one npm puts on PATH in scripts, else npm's bundled copy.
const bundled = resolve(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js");
const argv = ["rebuild", `--nodedir=${nodedir}`, "--release", "--loglevel=warn"];
let r = spawnSync("node-gyp", argv, { cwd: root, stdio: "inherit" });
if (r.error && existsSync(bundled)) r = spawnSync(process.execPath, [bundled, ...argv], { cwd: root, stdio: "inherit" });
if (r.error) skip(`node-gyp not found: ${r.error.message}`);
if (r.status !== 0) skip(`node-gyp exited ${r.status}`);
const missing = outs.filter((o) => !existsSync(o));
if (missing.length > 0) skip(`node-gyp produced no ${missing.join(", ")}`);
