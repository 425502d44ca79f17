#!/usr/bin/env bash
# Training throughput (tokens/s) of liquid4j vs PyTorch CPU on the same Llama-style model (tied
# embeddings, MHA, RoPE, RMSNorm, SwiGLU) and the same random batches (one 64-bit LCG in both),
# AdamW lr 1e-3 betas 0.9/0.999 eps 1e-8 wd 0, grad clip 1.0, seq SEQ, batch BATCH, two sizes:
#   small  vocab 4096, hidden 256, 4 layers x 4 heads, intermediate 688   (4,212,992 params)
#   large  vocab 4096, hidden 384, 6 layers x 6 heads, intermediate 1024  (12,194,688 params)
#   usage: bench/train-bench.sh [WARMUP] [STEPS] [SEQ] [BATCH]     (defaults: 3 10 256 8)
# Needs a packaged bench module (mvn -B -ntp -q package -DskipTests -pl tensor,nn,liquid-model,bench -am)
# and Debian's python3-torch (2 threads). Each contender runs in its own process, one after the
# other. Also prints liquid4j's 1024^3 F32 Tensor.matmul GFLOP/s from the same JVM as the training.
set -euo pipefail
cd "$(dirname "$0")/.."
WARMUP=${1:-3}
STEPS=${2:-10}
SEQ=${3:-256}
BATCH=${4:-8}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
isa=$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || (grep -q avx2 /proc/cpuinfo && echo AVX2 || echo "no AVX2"))
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $isa, $(free -g | awk '/^Mem:/ {print $2}') GiB;" \
     "$(date -u '+%F %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); seq $SEQ batch $BATCH, $WARMUP warm-up + $STEPS timed steps"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for size in "small 4096 256 4 4 688" "large 4096 384 6 6 1024"; do
    set -- $size
    name=$1; shift
    echo "== $name: vocab $1 hidden $2 layers $3 heads $4 intermediate $5"
    jlog=$("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g -XX:+UseParallelGC \
        -cp bench/target/benchmarks.jar io.liquid4j.bench.TrainBench "$@" "$SEQ" "$BATCH" "$WARMUP" "$STEPS" 2>&1 | grep -v '^WARNING')
    echo "$jlog"
    tlog=$(/usr/bin/python3 bench/train_torch_bench.py "$@" "$SEQ" "$BATCH" "$WARMUP" "$STEPS" 2>&1)
    echo "$tlog"
    jt=$(echo "$jlog" | sed -n 's/^java tokens\/s \([0-9.]*\) median-step tokens\/s \([0-9.]*\) .*/\1 \2/p')
    tt=$(echo "$tlog" | sed -n 's/^torch tokens\/s \([0-9.]*\) median-step tokens\/s \([0-9.]*\) .*/\1 \2/p')
    params=$(echo "$jlog" | sed -n 's/^java params \([0-9]*\) .*/\1/p')
    sg=$(echo "$jlog" | sed -n 's/^java sgemm1024 GFLOP\/s \([0-9.]*\) .*/\1/p')
    echo "$name $params $jt $tt $sg" >> "$out"
    echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo
echo "summary: tokens/s from the median timed step (in brackets: over all timed steps; the shared VM's load makes"
echo "  single steps vary); train GFLOP/s = 6 * params * median tokens/s; sgemm = 1024^3 F32 Tensor.matmul in the same JVM"
printf "  %-6s %9s %20s %20s %14s %9s %9s %7s %9s\n" size params liquid4j_tok/s torch_tok/s ratio l4j_GF/s torch_GF/s sgemm l4j/sgemm
awk '{ printf "  %-6s %9d %9.1f (%8.1f) %9.1f (%8.1f) %5.2fx (%5.2fx) %9.1f %9.1f %7.1f %8.0f%%\n", $1, $2, $4, $3, $6, $5, $4 / $6, $3 / $5, 6 * $2 * $4 / 1e9, 6 * $2 * $6 / 1e9, $7, 100 * 6 * $2 * $4 / 1e9 / $7 }' "$out"
