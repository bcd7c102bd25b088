// Writes the dashboards' JSON files from their typed definitions: `npm run dashboards`.
// Edit grafana/src/*.ts, never the JSON: a test regenerates them and compares byte for byte.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARDS } from "./dashboards.js";
import { toJson } from "./panels.js";

const root = process.argv[2] ?? process.cwd();
for (const { file, build } of DASHBOARDS) {
  writeFileSync(join(root, file), toJson(build()));
  console.log(`wrote ${file}`);
}
