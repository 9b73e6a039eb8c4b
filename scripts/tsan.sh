#!/usr/bin/env bash
# The ui tests under ThreadSanitizer: configures build-tsan/ (CORRAL_SANITIZE=thread, -O1 -g),
# builds corral_ui_tests there and runs it offscreen with tests/tsan.supp. Not part of ctest or
# .ci/run: the instrumented build takes long and the tests run several times slower.
# Extra arguments go to the test binary (a test name or tags; default: every [ui] test that is
# not [slow], and the ui suite's [unit] tests). Exit status: the tests' (ThreadSanitizer makes it 66 when it reported a race).
#
#   scripts/tsan.sh                 # all fast ui tests
#   scripts/tsan.sh "[corrections]" # some of them
#   JOBS=2 NICE=10 scripts/tsan.sh  # on a shared machine
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-$(nproc)}"
niceness="${NICE:-0}"
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [[ ! -f build-tsan/CMakeCache.txt ]]; then
  nice -n "$niceness" cmake -S . -B build-tsan "${generator[@]}" -DCORRAL_SANITIZE=thread \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
    -DCORRAL_BUILD_BENCHMARKS=OFF
fi
nice -n "$niceness" cmake --build build-tsan --parallel "$jobs" --target corral_ui_tests

export QT_QPA_PLATFORM=offscreen
# Intra-op parallelism is LibTorch's OpenMP pool, whose barriers ThreadSanitizer cannot see
# (libgomp is not instrumented): one torch thread keeps its false reports out. Every thread of
# our own (the job runner's workers, the thumbnail decoders, Qt's pools) still runs.
export CORRAL_TORCH_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp second_deadlock_stack=1 history_size=4 die_after_fork=0 ${TSAN_OPTIONS:-}"
if (($# > 0)); then exec build-tsan/tests/corral_ui_tests "$@"; fi
# The tests that start the programs (command_line_test.cpp, QProcess) run in a process of their
# own: after a fork in a threaded process ThreadSanitizer loses track of the parent's locks and
# reports races on the hand-overs of later tests (the worker pool tests showed it).
status=0
build-tsan/tests/corral_ui_tests -# "[ui]~[slow]~[#command_line_test],[unit]~[slow]~[#command_line_test]" || status=$?
build-tsan/tests/corral_ui_tests -# "[#command_line_test]~[slow]" || status=$?
exit "$status"
