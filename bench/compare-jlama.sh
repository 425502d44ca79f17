#!/usr/bin/env bash
# Prefill and decode tokens/s of liquid4j's CausalLM vs Jlama 0.8.4 in one run, on the same
# safetensors: a Llama with TinyStories-110M dimensions (dim 768, 12 layers, 12 heads, hidden
# 2048, vocab 32000, tied embeddings), random weights, in F32 and in BF16.
#   prefill: one forward pass over a PROMPT-token prompt (lm_head on the last position only)
#   decode:  NEW greedy steps of one token each through the KV cache (lm_head every step)
# Each engine runs in its own JVM, one after the other (never concurrently), with every core.
# Usage: bench/compare-jlama.sh   (PROMPT=128 NEW=64 WARMUP=10 RUNS=8 DTYPES="f32 bf16" override)
# Ten warm-up runs: both engines reach steady state (C2 done with the hot kernels) only after
# several seconds; with two warm-ups the timed runs still measured the JIT (liquid4j prefill
# 190 tok/s warm-up vs 640 tok/s steady; Jlama 190 vs 250).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
PROMPT=${PROMPT:-128} NEW=${NEW:-64} WARMUP=${WARMUP:-10} RUNS=${RUNS:-8} DTYPES=${DTYPES:-"f32 bf16"}
model=bench/target/decode-bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' | sed 's/  */ /g'
"$JAVA_HOME/bin/java" -version 2>&1 | sed -n 1p
date

echo "== build"
# the reactor's own classes (current sources), then the external jars (JMH, Jlama and its deps)
mvn -q -o -DskipTests compile -pl bench -am >/dev/null
mvn -q -o dependency:build-classpath -DexcludeGroupIds=io.liquid4j -Dmdep.outputFile="$out/cp.txt" -pl bench >/dev/null
cp="tensor/target/classes:nn/target/classes:bench/target/classes:$(cat "$out/cp.txt")"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx8g)

echo "== model"
"${java[@]}" -cp "$cp" io.liquid4j.bench.DecodeBenchModel "$model"

for d in $DTYPES; do
  echo "== liquid4j $d (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "${java[@]}" -cp "$cp" io.liquid4j.bench.DecodeBench "$model/$d" "$PROMPT" "$NEW" "$WARMUP" "$RUNS" | tee -a "$out/results.txt"
  echo "== jlama $d (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  # Jlama 0.8.4 runs on JDK 25 as is: its classes target Java 20 without preview features, and
  # jlama-native's multi-release versions/22 classes bind libjlama.so through the final FFM API.
  if ! "${java[@]}" -cp "$cp" io.liquid4j.bench.DecodeBenchJlama "$model/$d" "$PROMPT" "$NEW" "$WARMUP" "$RUNS" \
       > "$out/jlama-$d.txt" 2> "$out/jlama-$d.err"; then
    echo "jlama $d FAILED:"; tail -20 "$out/jlama-$d.err"
  fi
  grep -E 'jlama|WARN|native|Panama' "$out/jlama-$d.err" | grep -v '^jlama .* run' | head -5 || true
  cat "$out/jlama-$d.txt" | tee -a "$out/results.txt"
done

echo "== summary (median of $RUNS runs after $WARMUP warm-up; ratio = liquid4j / jlama)"
/usr/bin/python3 - "$out/results.txt" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT"): continue
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[3:])
    rows[(f[1], f[2].upper())] = kv
print(f"{'dtype':6} {'liquid4j prefill':>17} {'jlama prefill':>14} {'ratio':>6}   {'liquid4j decode':>16} {'jlama decode':>13} {'ratio':>6}")
for d in sorted({k[1] for k in rows}):
    l, j = rows.get(("liquid4j", d)), rows.get(("jlama", d))
    def g(r, k): return float(r[k]) if r else float("nan")
    lp, jp, ld, jd = g(l, "prefill_tok_s"), g(j, "prefill_tok_s"), g(l, "decode_tok_s"), g(j, "decode_tok_s")
    print(f"{d:6} {lp:15.1f}/s {jp:12.1f}/s {lp/jp if jp else float('nan'):6.2f}   {ld:14.2f}/s {jd:11.2f}/s {ld/jd if jd else float('nan'):6.2f}")
PY
