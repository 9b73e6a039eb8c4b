#!/usr/bin/env bash
# The main job on the bundled default: install what is missing, build, then run the product's
# loop on Fashion-MNIST (Debian's dataset-fashion-mnist): a project is created (pixels encoder,
# k-means, 10 clusters), a simulated user answers the value-mined questions (from the ground
# truth), the model learns from the answers, and NMI/ACC/ARI are printed before and after.
# Extra arguments go to `corral-cli simulate` (e.g. --queries 500 --rounds 5 --threads 2).
# The project is kept, for the desktop app: a second run continues it with another round.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

projects="${XDG_DATA_HOME:-$HOME/.local/share}/Corral/projects"
project="$projects/fashion-mnist-demo.corral"
mkdir -p "$projects"
if [ -e "$project/project.sqlite" ]; then
    echo "Continuing the demo project $project (its answers so far are kept)."
else
    echo "Creating the demo project $project."
fi
build/app/corral-cli simulate --project "$project" --data fashion-mnist --encoder pixels --clusters 10 \
    --queries 100 "$@"

echo
echo "The project holds the clustering and every simulated answer, like one made in the app."
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "Open it in the desktop app:  build/app/corral \"$project\""
else
    echo "With a display, open it in the desktop app:  build/app/corral \"$project\""
fi
