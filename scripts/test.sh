#!/usr/bin/env bash
# `npm test`: set up everything (tools, Node >= 22, dependencies, build), then run the whole suite:
# unit tests of pure logic, and end-to-end tests against a real control plane, real Git servers and the
# real Pulumi engine. No test skips itself for a missing tool: setup provides every tool or fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
rm -rf .work/pulumi
exec node --test --test-timeout=900000 "${@:-dist/test/**/*.test.js}"
