#!/usr/bin/env bash
# fluxiac development setup: tools (scripts/tools.sh), Node >= 22 first on PATH, dependencies, build.
# Source it (`. scripts/setup.sh`) to get the environment, or run it once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${FLUXIAC_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fluxiac/tools}"

bash "$ROOT/scripts/tools.sh"
export PATH="$TOOLS_DIR/bin:$PATH"
export FLUXIAC_TOOLS_DIR="$TOOLS_DIR"

cd "$ROOT"
stamp="node_modules/.fluxiac-install-stamp"
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
echo "[setup] tsc" >&2
npx tsc -p . >&2
# Programs inside this repository (examples/, tests) load fluxiac by its package name, as users'
# programs do: link the package into its own node_modules.
ln -sfn .. node_modules/fluxiac
