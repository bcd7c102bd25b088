#!/usr/bin/env bash
# npm run test:image: the image and compose tests in real containers, on a Docker engine of their
# own (root only). SKIP_IMAGE_TESTS=1 skips them, saying so; without it a machine where they cannot
# run fails, so that CI never passes without them.
set -uo pipefail
cd "$(dirname "$0")/../../.."

# The JSON report the summary of .ci/run reads (test/setup/test-summary.mjs).
reports=.cache/test-reports
mkdir -p "$reports"
rm -f "$reports/image.json" "$reports/image.skipped"
if [ "${SKIP_IMAGE_TESTS:-}" = 1 ]; then
  echo "image tests SKIPPED (SKIP_IMAGE_TESTS=1): the Dockerfile fragment and the compose files were not tried in a real engine" >&2
  echo "SKIP_IMAGE_TESTS=1: the Dockerfile fragment and the compose files were not tried in a real engine" >"$reports/image.skipped"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "image tests: they start their own dockerd and need root (CI runs as root). Run them as root, or skip them explicitly: SKIP_IMAGE_TESTS=1 npm run test:image" >&2
  exit 1
fi
bash test/setup/ensure-docker.sh || exit 1
# Whatever happens to the run (a crash, a kill), nothing of its engine outlives it: vitest is this
# script's own child, so once it has ended, its engine counts as left behind and is removed.
trap 'node test/e2e/image-docker/engine.mjs sweep' EXIT
node_modules/.bin/vitest run --config test/e2e/image-docker/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$reports/image.json" "$@"
