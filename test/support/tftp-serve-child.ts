/**
 * Runs the laggboot TFTP server in its own process (started inside a network
 * namespace by the interop tests and the benchmark). argv[2] is the JSON of
 * TftpServerOptions. Prints `{"port":N}` once listening, then one JSON line
 * per transfer event; SIGTERM stops it gracefully.
 */
import { createTftpServer, type TftpServerOptions } from "../../src/servers/tftp/index.js";

const options = JSON.parse(process.argv[2] ?? "{}") as TftpServerOptions;
const server = createTftpServer(options);
server.onTransfer((e) => process.stdout.write(`${JSON.stringify({ event: e })}\n`));
const a = await server.start();
process.stdout.write(`${JSON.stringify({ port: a.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(500).then(() => process.exit(0));
});
