#!/usr/bin/env bash
# Installs everything SparseLoom's build, tests, zoo builder and reference runner need.
# Idempotent and quiet when everything is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang
  libdnnl-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-torchvision python3-onnx python3-numpy python3-pytest
  dataset-fashion-mnist libonnx-testdata espeak-ng sox
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v npm >/dev/null; then
  echo "setup: npm not found; installing Debian's nodejs and npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

# ONNX Runtime (reference and baseline), from npm into an ignored folder.
ORT_DIR="$ROOT/.deps/ort"
if [[ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ]]; then
  echo "setup: installing onnxruntime-node@1.30.0 into .deps/ort"
  mkdir -p "$ORT_DIR"
  (cd "$ORT_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm install --silent --no-audit --no-fund \
     onnxruntime-node@1.30.0 >/dev/null)
fi
