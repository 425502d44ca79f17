#!/usr/bin/env bash
# CPU decode at the memory-bandwidth limit (issue 14), one run, same weights:
#   1. the read-bandwidth ceiling of this machine (CopyBandwidthBench.readAllThreads, JMH), before
#      and after step 2;
#   2. warm-JVM greedy decode (DecodeBench: prefill PROMPT tokens, then NEW tokens one by one
#      through CausalLM and the KV cache) of the TinyStories-110M-shaped Llama (random weights,
#      DecodeBenchModel) stored F32, BF16, F16 (`liquid convert-weights dtype --to f16` of the BF16 one),
#      and quantized from the BF16 one to Q8_0 and Q4_0 with `liquid convert-weights quantize`
#      (decoder Linears and the tied head; embedding stays BF16);
#   3. a summary: tok/s, the weight bytes each decode step reads (from the safetensors headers:
#      every tensor, except the embedding table when the head has codes of its own), the
#      effective GB/s, its share of the read ceiling, and the formats' speed against BF16.
#      The ceiling is measured before and after the decodes; shares are of the higher one.
# Usage: bench/decode-bench.sh      (NEW=256 PROMPT=16 WARMUP=3 RUNS=3 FORMATS="f32 bf16 f16 q8_0 q4_0")
# The machine should be otherwise idle; the load average is printed before each step.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
PROMPT=${PROMPT:-16} NEW=${NEW:-256} WARMUP=${WARMUP:-3} RUNS=${RUNS:-3} FORMATS=${FORMATS:-"f32 bf16 f16 q8_0 q4_0"}
model=bench/target/decode-bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load() { echo "(load average $(cut -d' ' -f1-3 /proc/loadavg))"; }

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' | sed 's/  */ /g'
grep -o -m1 -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | paste -sd' ' | sed 's/^/ISA: /'
"$JAVA_HOME/bin/java" -version 2>&1 | sed -n 1p
date -u '+%F %H:%M UTC'

echo "== build"
mvn -q -o -DskipTests package -pl bench -am >/dev/null
mvn -q -o dependency:build-classpath -DexcludeGroupIds=io.liquid4j -Dmdep.outputFile="$out/cp.txt" -pl bench >/dev/null
cp="tensor/target/classes:nn/target/classes:bench/target/classes:$(cat "$out/cp.txt")"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx8g)

echo "== model"
"${java[@]}" -cp "$cp" io.liquid4j.bench.DecodeBenchModel "$model" 2>&1 | grep -v '^WARNING'
[[ -f $model/f16/config.json ]] || ./liquid convert-weights dtype --to f16 "$model/bf16" "$model/f16" 2>&1 | grep -v '^WARNING' | tail -1
for q in q8_0 q4_0; do
    [[ -f $model/$q/config.json ]] || ./liquid convert-weights quantize --to "$q" "$model/bf16" "$model/$q" 2>&1 | grep -v '^WARNING' | tail -1
done

# The ceiling is measured before and after the decodes and the higher of the two is the one the
# shares are taken of: on a shared VM one 5-second measurement has read anywhere from 33 to 51 GB/s.
read_ceiling() {
    echo "== read bandwidth, $1 $(load)"
    "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar 'CopyBandwidthBench.readAllThreads' -f 1 -wi 2 -w 1s -i 5 -r 1s \
        -rf json -rff "$out/read-$1.json" > "$out/read.log" 2>&1 || { tail -20 "$out/read.log"; exit 1; }
    grep -E '^CopyBandwidthBench' "$out/read.log"
}
read_ceiling before

for f in $FORMATS; do
    echo "== decode $f $(load)"
    "${java[@]}" -cp "$cp" io.liquid4j.bench.DecodeBench "$model/$f" "$PROMPT" "$NEW" "$WARMUP" "$RUNS" 2> "$out/$f.err" | tee -a "$out/results.txt"
    grep -v '^WARNING' "$out/$f.err" | tail -2
done
read_ceiling after

echo "== summary (decode: median of $RUNS runs after $WARMUP warm-up, $NEW tokens after a $PROMPT-token prompt)"
/usr/bin/python3 - "$out" "$model" <<'PY'
import json, os, statistics, struct, sys
out, model = sys.argv[1], sys.argv[2]
def read_gbs(when):
    r = json.load(open(os.path.join(out, "read-%s.json" % when)))[0]
    ms = [t for fork in r["primaryMetric"]["rawData"] for t in fork]
    return 2 * (256 << 20) / statistics.median(ms) / 1e6
before, after = read_gbs("before"), read_gbs("after")
read = max(before, after)
print("read ceiling (all threads, 2 x 256 MiB, median of 5): %.1f GB/s before the decodes, %.1f after; shares of %.1f" % (before, after, read))
def step_bytes(d):
    with open(os.path.join(model, d, "model.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    size = {k: v["data_offsets"][1] - v["data_offsets"][0] for k, v in h.items()}
    if "lm_head.qweight" in size: size.pop("model.embed_tokens.weight")   # one row per token, not the table
    return sum(size.values())
rows = {}
for line in open(os.path.join(out, "results.txt")):
    if line.startswith("RESULT"):
        f = line.split(); kv = dict(x.split("=", 1) for x in f[3:]); rows[f[2].upper()] = float(kv["decode_tok_s"])
dirs = {"F32": "f32", "BF16": "bf16", "F16": "f16", "Q8_0": "q8_0", "Q4_0": "q4_0"}
print("%-6s %9s %12s %9s %10s %9s" % ("format", "tok/s", "MB per step", "GB/s", "of read", "vs BF16"))
for k in ("F32", "BF16", "F16", "Q8_0", "Q4_0"):
    if k not in rows: continue
    b = step_bytes(dirs[k]); t = rows[k]
    print("%-6s %9.1f %12.1f %9.1f %9.0f%% %8.2fx" % (k, t, b / 1e6, t * b / 1e9, 100 * t * b / 1e9 / read, t / rows["BF16"] if "BF16" in rows else float("nan")))
PY
