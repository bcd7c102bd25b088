// ESLint for the TypeScript of src/, test/, grafana/src and bin/: the recommended rules, and
// typescript-eslint's strict type-checked set where the types are known (every .ts file, through
// tsconfig.eslint.json), with the few changes this project's code calls for.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "coverage/**",
      ".cache/**",
      ".bench/**",
      "node_modules/**",
      "grafana/dashboards/**",
      "grafana/provisioning/**",
      "compose/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        project: "./tsconfig.eslint.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // With noUncheckedIndexedAccess, `m[1]!` after a regex that matched is the honest idiom;
      // the alternative (a runtime check per capture group) adds branches that cannot be taken.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Numbers and booleans print as expected in messages and test names.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `return send(res, 404, ...)` ends a handler early and reads plainly; TypeScript already refuses
      // a void value where a value is needed.
      "@typescript-eslint/no-confusing-void-expression": "off",
      // Environment objects (process.env and copies of it) lose variables by delete: that is their API.
      "@typescript-eslint/no-dynamic-delete": "off",
      // Unused arguments keep a callback's signature readable when named with a leading _.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Plain JavaScript (the launcher, the bench, fixtures run as they are): no types to check.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
