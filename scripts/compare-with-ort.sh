#!/usr/bin/env bash
# Checks SparseLoom against ONNX Runtime on the exported edge models; see compare-with-ort.py.
#   scripts/compare-with-ort.sh [--models a,b] [--threads N] [--models-dir DIR] [--tolerance T]
set -euo pipefail
exec /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/compare-with-ort.py" "$@"
