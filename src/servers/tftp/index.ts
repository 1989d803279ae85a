export { createTftpServer } from "./server.js";
export type * from "./types.js";
