export { createHttpBootServer, listenError } from "./server.js";
export type * from "./types.js";
