// The one summary over the test passes: node test/setup/test-summary.mjs REPORTS_DIR PASS...
// Reads each pass's vitest JSON report (REPORTS_DIR/PASS.json) and prints, per pass, what ran; a
// pass without a report did not run to its end and is named, and so is every test file that failed
// before its tests could run (each counted as one failure, its tests never run). It ends with one
// plain line, "N passed, N failed, N skipped", and exits 1 when anything failed or did not run.
// Every failed test is named again here, with the first line of its error, so that the tail of a
// long CI log is enough to tell what failed.
// A pass told to be skipped (REPORTS_DIR/PASS.skipped holds why) is named as skipped.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const firstLine = (text) =>
  String(text ?? "")
    .split("\n")[0]
    .slice(0, 300);

const [dir, ...passes] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
const lines = [];

for (const name of passes) {
  const file = join(dir, `${name}.json`);
  const skippedFile = join(dir, `${name}.skipped`);
  if (existsSync(skippedFile)) {
    lines.push(`${name}: SKIPPED (${readFileSync(skippedFile, "utf8").trim()})`);
    continue;
  }
  if (!existsSync(file)) {
    problems.push(`${name}: DID NOT RUN to its end (no report): its tests are not counted`);
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    problems.push(`${name}: its report ${file} cannot be read (${error.message}): its tests are not counted`);
    continue;
  }
  const p = report.numPassedTests ?? 0;
  const f = report.numFailedTests ?? 0;
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that failed before running any test (an import error, a failing beforeAll).
  const broken = (report.testResults ?? []).filter(
    (r) => r.status === "failed" && (r.assertionResults ?? []).every((a) => a.status !== "failed"),
  );
  for (const r of broken)
    problems.push(`${name}: ${r.name.replace(`${process.cwd()}/`, "")} failed before its tests ran: ${firstLine(r.message)}`);
  for (const r of report.testResults ?? [])
    for (const a of r.assertionResults ?? [])
      if (a.status === "failed")
        problems.push(`${name}: FAILED ${r.name.replace(`${process.cwd()}/`, "")} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
  passed += p;
  failed += f + broken.length;
  skipped += s;
  lines.push(`${name}: ${p} passed, ${f + broken.length} failed, ${s} skipped`);
}
const setupFailed = join(dir, "setup-failed");
if (existsSync(setupFailed))
  for (const step of readFileSync(setupFailed, "utf8").trim().split("\n")) problems.push(`set-up step failed: ${step}`);

console.log("\nTest summary");
for (const line of [...lines, ...problems]) console.log(`  ${line}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
