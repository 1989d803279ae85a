export * from "./conditional.js";
export * from "./listing.js";
export * from "./plan.js";
export * from "./range.js";
export * from "./target.js";
