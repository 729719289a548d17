// ESLint for the phone app's own code (npm, installed by `make assets`; run by `make lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", "static/vendor/", "static/bundle/"] },
  js.configs.recommended,
  {
    files: ["static/pwa/js/**/*.js", "vendor.mjs", "eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["serviceworker.js"],
    // workbox-sw.js, loaded by importScripts, defines the global `workbox`.
    languageOptions: {
      sourceType: "script",
      globals: { ...globals.serviceworker, workbox: "readonly" },
    },
  },
  {
    files: ["tests/**/*.js", "vendor.mjs"],
    languageOptions: { sourceType: "module", globals: { ...globals.node, ...globals.browser } },
  },
  {
    rules: {
      // Unused arguments document a callback's shape; unused variables are mistakes.
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
    },
  },
];
