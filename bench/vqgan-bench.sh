#!/usr/bin/env bash
# CPU benchmark of the Chameleon VQGAN (512×512, full config): PyTorch vs liquid4j in one run.
# Needs target/vqgan-full from `/usr/bin/python3 tools/golden/make_vqgan_fixtures.py --full` and a
# packaged bench module (mvn -o -pl bench package -DskipTests). Each Java mode runs in its own JVM
# so that VmHWM is the peak resident memory of that mode alone (weights + activations + JVM).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-target/vqgan-full}
RUNS=${2:-2}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(date -u +%F)"
/usr/bin/python3 bench/vqgan_torch_bench.py "$DIR" "$RUNS"
for mode in encode decode; do
  "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g -XX:+UseParallelGC \
    -cp bench/target/benchmarks.jar io.liquid4j.bench.VqganBench "$DIR" "$mode" $((RUNS + 1)) 2>&1 | grep -v '^WARNING'
done
