#!/usr/bin/env node
// The program as the package installs it: the compiled entry in dist/. From a source checkout that
// has not been built yet there is none: say so in one line, not with a stack trace.
import { existsSync } from "node:fs";

const entry = new URL("../dist/entry.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("runner-supervisor: not built yet (no dist/entry.js): run `npm ci && npm run build` in the checkout first\n");
  process.exit(70);
}
await import(entry.href);
