#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every CTest suite.
# Extra arguments go to ctest (for example: -L unit for the fast tests only).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
# The offscreen platform lets the Qt tests run without a display.
export QT_QPA_PLATFORM=offscreen
ctest --output-on-failure --timeout 1800 "$@"
