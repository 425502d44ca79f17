#!/usr/bin/env bash
# F32 decode of the same TinyStories-110M-shaped weights in liquid4j (DecodeBench, warm JVM) and in
# llama2.c's run.c (gcc -Ofast -fopenmp -march=native, OMP_NUM_THREADS = all cores), alternating,
# RUNS times. llama2.c's sources come from LLAMA2C (a checkout of github.com/karpathy/llama2.c with
# run.c and tokenizer.bin); the weights are written in its legacy format by bench/llama2c_export.py
# (random weights: llama2.c pairs RoPE dims differently, so its tokens differ; speed does not).
# llama2.c's "achieved tok/s" counts its prompt tokens (fed one per step) with the new ones.
#   usage: LLAMA2C=/path/to/llama2.c bench/llama2c-bench.sh [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
src=${LLAMA2C:?set LLAMA2C to a llama2.c checkout (run.c, tokenizer.bin)}
RUNS=${1:-3}
work=bench/target/llama2c
mkdir -p "$work"
gcc -Ofast -fopenmp -march=native "$src/run.c" -lm -o "$work/runomp"
cp "$src/tokenizer.bin" "$work/"
mvn -q -o -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl bench -am >/dev/null
cp="tensor/target/classes:nn/target/classes:bench/target/classes"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx4g -cp "$cp")
"${java[@]}" io.liquid4j.bench.DecodeBenchModel bench/target/decode-bench 2>&1 | grep -v '^WARNING' || true
[[ -f $work/model.bin ]] || /usr/bin/python3 bench/llama2c_export.py bench/target/decode-bench/f32 "$work/model.bin"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); $(date -u '+%F %H:%M UTC'); gcc $(gcc -dumpfullversion)"
for i in $(seq "$RUNS"); do
    echo -n "llama2.c runomp F32: "
    (cd "$work" && OMP_NUM_THREADS=$(nproc) ./runomp model.bin -t 0 -n 256 -i "Once upon a time" 2>&1 >/dev/null | tail -1)
    echo -n "liquid4j DecodeBench F32: "
    "${java[@]}" io.liquid4j.bench.DecodeBench bench/target/decode-bench/f32 16 256 3 3 2>/dev/null | grep -o 'decode_tok_s=[0-9.]*'
done
