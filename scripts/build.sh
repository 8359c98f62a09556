#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds SparseLoom (Release) into build/.
# The CLI is build/bin/sparseloom. Extra arguments are passed to CMake's configure step.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
BUILD_DIR="${SPARSELOOM_BUILD_DIR:-$ROOT/build}"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C "$BUILD_DIR" -j"$(nproc)" | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
test -x "$BUILD_DIR/bin/sparseloom"
echo "build: $BUILD_DIR/bin/sparseloom ready"
