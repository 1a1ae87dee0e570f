#!/usr/bin/env bash
# `npm run demo`: set up everything (tools, Node >= 22, dependencies, build), then run scripts/demo.ts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
exec node "$ROOT/dist/scripts/demo.js"
