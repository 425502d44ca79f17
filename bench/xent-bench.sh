#!/usr/bin/env bash
# LM head + cross-entropy, forward + backward on the CPU: liquid4j's fused F.linearCrossEntropy
# vs its unfused F.linear + F.crossEntropy vs PyTorch's F.cross_entropy(x @ W.T), in one run.
#   usage: bench/xent-bench.sh [N] [V] [H] [RUNS]      (defaults: 4096 264192 2048 2)
# Needs a packaged bench module (mvn -B -ntp -q package -DskipTests -pl bench -am) and Debian's
# python3-torch. Each contender runs in its own process, so its peak RSS (VmHWM / ru_maxrss, and
# GNU time's maximum resident set size) is its own: inputs, gradients, temporaries, runtime.
# Prints each run, then a summary (best run per contender, ratios against the fused op).
# At the default size the unfused paths need ~15-17 GB of memory and minutes per step on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4096}
V=${2:-264192}
H=${3:-2048}
RUNS=${4:-2}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
isa=$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || (grep -q avx2 /proc/cpuinfo && echo AVX2 || echo "no AVX2"))
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $isa, $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
     "$(date -u '+%F %H:%M UTC'); N=$N V=$V H=$H, $RUNS runs each"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() {   # name, command...: prints its output, appends "name best_s peak_MiB" to $out
    local name=$1; shift
    local log
    log=$( { /usr/bin/time -f "maxrss_kb %M" "$@" 2>&1; } | grep -v '^WARNING' )
    echo "$log"
    local best peak
    best=$(echo "$log" | sed -n 's/.* run [0-9]*: \([0-9.]*\) s.*/\1/p' | sort -g | head -1)
    peak=$(echo "$log" | awk '/^maxrss_kb/ {printf "%d", $2 / 1024}')
    echo "$name $best $peak" >> "$out"
}
run torch /usr/bin/python3 bench/xent_torch_bench.py "$N" "$V" "$H" "$RUNS"
for path in fused unfused; do
    run "liquid4j-$path" "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g -XX:+UseParallelGC \
        -cp bench/target/benchmarks.jar io.liquid4j.bench.XentRun "$path" "$N" "$V" "$H" "$RUNS"
done
echo
echo "summary (best run; peak = GNU time's maximum RSS of the process):"
awk 'NR == FNR && $1 == "liquid4j-fused" { ft = $2; fm = $3 } NR == FNR { next }
     { printf "  %-17s %8.2f s  %7d MiB   time / fused %.2fx   peak / fused %.2fx\n", $1, $2, $3, $2 / ft, $3 / fm }' "$out" "$out"
