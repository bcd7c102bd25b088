#!/usr/bin/env bash
# npm test: the lint (first: it fails fastest), the set-up (tools, Node 24, build, type check), then the three passes of vitest (main;
# test/e2e/pid1 alone, for its timings; test/e2e/adversarial one file at a time). Every pass runs even when
# something before it failed, each writes a JSON report to .cache/test-reports/, and the summary
# (test/setup/test-summary.mjs) counts them all and names any pass that did not run to its end.
set -uo pipefail
cd "$(dirname "$0")/../.."
reports=.cache/test-reports
rm -f "$reports"/main.json "$reports"/pid1.json "$reports"/adversarial.json "$reports"/setup-failed
mkdir -p "$reports"
status=0

step() {
  "$@" || { status=1; echo "$*" >>"$reports/setup-failed"; }
}
step npm run lint
step bash test/setup/ensure-tools.sh
step bash test/setup/ensure-node24.sh
step npm run build
step npm run typecheck

pass() {
  local name=$1
  shift
  node_modules/.bin/vitest run "$@" --reporter=default --reporter=json --outputFile.json="$reports/$name.json" || status=1
}
pass main --exclude "test/e2e/pid1/**" --exclude "test/e2e/adversarial/**"
pass pid1 test/e2e/pid1
pass adversarial test/e2e/adversarial --maxWorkers=1

node test/setup/test-summary.mjs "$reports" main pid1 adversarial || status=1
exit "$status"
