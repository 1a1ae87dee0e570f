#!/usr/bin/env bash
# `npm run bench:<name>`: set up, then run bench/<name>.ts, which prints fluxiac's figures beside a baseline.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" >/dev/null
exec node "$ROOT/dist/bench/$1.js"
