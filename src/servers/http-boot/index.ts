export { createHttpBootServer } from "./server.js";
export type * from "./types.js";
