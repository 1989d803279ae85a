export * from "./negotiate.js";
export * from "./netascii.js";
export * from "./receiver.js";
export * from "./rto.js";
export * from "./sender.js";
export * from "./request.js";
