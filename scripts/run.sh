#!/usr/bin/env bash
# The main job on the bundled default: install what is missing, build, then cluster
# Fashion-MNIST (Debian's dataset-fashion-mnist) and print NMI/ACC/ARI/RI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/app/corral-cli cluster --data fashion-mnist --encoder pixels --clusters 10 "$@"
