export * from "./constants.js";
export * from "./decode-error.js";
export * from "./packet.js";
