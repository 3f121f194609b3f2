#!/usr/bin/env bash
# The project's test command (README.md, .ci/run): installs what is missing, builds with
# sanitizers and warnings as errors, runs every suite through CTest (unit, integration against
# real servers, CDK CLI and cfn-lint checks), then the fuzz targets for a short while.
# Usage: scripts/test.sh [ctest arguments, e.g. -R gateway]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)

cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs" --timeout 900 "$@"

if [ $# -eq 0 ]; then
  scripts/fuzz.sh "${OH_FUZZ_SECONDS:-20}"
fi
