#!/usr/bin/env bash
# Compiles and runs the host golden program (needs only a C++17 compiler, no CUDA).
# -ffp-contract=off: no fused multiply-add on the host either, as on the device (-fmad=false).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$(mktemp "${TMPDIR:-/tmp}/sluice-golden.XXXXXX")"
trap 'rm -f "$bin"' EXIT
"${CXX:-g++}" -std=c++17 -O2 -ffp-contract=off -Wall -Wextra -I"$here/../../main/cuda" \
    -o "$bin" "$here/transform_golden.cpp"
"$bin"
