#!/usr/bin/env bash
# Installs what Corral needs from Debian 12 packages. Idempotent: packages already
# present are left alone and apt-get is only called when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqt6svg6 libgl-dev
  libtorch-dev libopenblas0-pthread libopenblas-dev
  libopencv-dev libeigen3-dev catch2 libsqlite3-dev sqlite3 nlohmann-json3-dev
  zlib1g-dev ccache libicu-dev
  libgif-dev libwebp-dev libpng-dev libjpeg-dev
  libhnswlib-dev
  dataset-fashion-mnist
  python3-sklearn python3-torch python3-numpy
  python3-hnswlib python3-faiss
  xvfb xauth
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
