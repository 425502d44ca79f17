#!/usr/bin/env bash
# Builds every kernels/cuda/*.cu into ONE fatbin (SASS sm_80, sm_89, sm_90a + PTX compute_90)
# that the tensor jar carries as /io/liquid4j/cuda/liquid4j.fatbin.
#   usage: build.sh OUTPUT_DIR      (Maven passes tensor/target/generated-resources/cuda)
# No nvcc → print why and exit 0 (the CUDA backend then reports "no fatbin in this build").
# A compile error exits non-zero and fails the build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUTPUT_DIR}"

nvcc=""
for c in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc "$(command -v nvcc 2>/dev/null || true)"; do
    if [[ -n "$c" && -x "$c" ]]; then nvcc="$c"; break; fi
done
if [[ -z "$nvcc" ]]; then
    echo "[liquid4j cuda] nvcc not found (looked in \$CUDA_HOME/bin, /usr/local/cuda/bin, PATH): building WITHOUT GPU kernels"
    exit 0
fi

dest="$out/io/liquid4j/cuda"
fatbin="$dest/liquid4j.fatbin"
mkdir -p "$dest"
# Skip the compile when no source changed since the last fatbin (keeps `mvn test` fast).
if [[ -f "$fatbin" && -z "$(find "$here" -newer "$fatbin" \( -name '*.cu' -o -name '*.cuh' -o -name build.sh \) | head -1)" ]]; then
    echo "[liquid4j cuda] $fatbin is up to date"
    exit 0
fi

# One translation unit including every kernel family: nvcc emits one fatbin per input file.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{
    for f in "$here"/*.cu; do echo "#include \"$f\""; done
} > "$work/liquid4j_all.cu"

start=$(date +%s)
"$nvcc" --fatbin -O3 -std=c++17 -I"$here" --threads 0 \
    -gencode arch=compute_80,code=sm_80 \
    -gencode arch=compute_89,code=sm_89 \
    -gencode arch=compute_90a,code=sm_90a \
    -gencode arch=compute_90,code=compute_90 \
    -o "$work/liquid4j.fatbin" "$work/liquid4j_all.cu"
mv "$work/liquid4j.fatbin" "$fatbin"
"$nvcc" --version | tail -1 > "$dest/liquid4j.fatbin.version"
echo "[liquid4j cuda] built $fatbin ($(stat -c %s "$fatbin") bytes) with $nvcc in $(( $(date +%s) - start ))s"
