#!/usr/bin/env bash
# Installs every build and test dependency of Borel from Debian 12 packages.
# Idempotent: packages already present are skipped by apt-get. Needs root or sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  llvm-19-dev libzstd-dev zlib1g-dev libedit-dev libxml2-dev libffi-dev libcurl4-openssl-dev
  libboost1.81-all-dev libboost-json1.81-dev libeigen3-dev doctest-dev libbenchmark-dev
  libgc-dev libcli11-dev libfmt-dev
  clang-19 libfuzzer-19-dev libclang-rt-19-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: installing packages needs root: run this as root, or install sudo" >&2
      exit 1
    fi
    SUDO="sudo"
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all dependencies present"
fi
