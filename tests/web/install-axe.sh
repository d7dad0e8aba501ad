#!/usr/bin/env bash
# Installs axe-core from the npm registry for the browser test in
# tests/desk.rs, into target/axe (never shipped, never embedded).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target/axe
if [ ! -f target/axe/node_modules/axe-core/axe.min.js ]; then
    npm install --prefix target/axe --no-audit --no-fund --silent axe-core@4
fi
echo "axe-core $(node -p "require('./target/axe/node_modules/axe-core/package.json').version")"
