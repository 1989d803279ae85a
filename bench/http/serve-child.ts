/**
 * The boot-file HTTP server alone in its own process, for the HTTP benchmark
 * (started inside a network namespace). argv[2] is the JSON of
 * HttpBootOptions. Prints `{"port":N}` once listening; SIGTERM stops it.
 */
import { createHttpBootServer, type HttpBootOptions } from "../../src/servers/http-boot/index.js";

const server = createHttpBootServer(JSON.parse(process.argv[2] ?? "{}") as HttpBootOptions);
const a = await server.start();
process.stdout.write(`${JSON.stringify({ port: a.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(500).then(() => process.exit(0));
});
