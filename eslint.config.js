// Lint rules for laggboot. The layer rules keep the pure folders pure:
// src/wire (codecs) and src/protocol (decisions) may not touch sockets, files,
// processes, timers or the outer layers, so that every decision is testable
// with plain values (see docs/architecture.md).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const ioModules = [
  "fs", "fs/promises", "dgram", "net", "http", "https", "http2", "child_process",
  "cluster", "worker_threads", "os", "process", "readline", "tls", "dns", "timers",
  "timers/promises", "better-sqlite3",
].flatMap((m) => (m.includes("-") ? [m] : [m, `node:${m}`]));

const outerLayers = ["servers", "store", "web", "cli", "render", "config", "app"].flatMap((d) => [
  `../${d}`, `../${d}/*`, `../../${d}`, `../../${d}/*`, `../${d}.js`, `../../${d}.js`,
]);

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly",
        clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly",
        setImmediate: "readonly", queueMicrotask: "readonly", AbortController: "readonly", TextEncoder: "readonly",
        TextDecoder: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["src/wire/**/*.ts", "src/protocol/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ioModules.map((name) => ({ name, message: "src/wire and src/protocol are pure: no I/O imports." })),
        patterns: [{ group: outerLayers, message: "src/wire and src/protocol may not import outer layers." }],
      }],
      "no-restricted-globals": ["error",
        { name: "process", message: "pure layer: pass values in" },
        { name: "setTimeout", message: "pure layer: time comes in as an argument" },
        { name: "setInterval", message: "pure layer: time comes in as an argument" },
        { name: "console", message: "pure layer: return events, do not log" },
      ],
      "no-restricted-properties": ["error",
        { object: "Date", property: "now", message: "pure layer: the clock is injected" },
        { object: "Math", property: "random", message: "pure layer: randomness is injected" },
      ],
    },
  },
  {
    files: ["src/wire/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ioModules.map((name) => ({ name, message: "src/wire is pure: no I/O imports." })),
        patterns: [{ group: [...outerLayers, "../protocol", "../protocol/*", "../../protocol/*"], message: "src/wire imports nothing but itself." }],
      }],
    },
  },
);
