#!/usr/bin/env bash
# Causal self-attention on the CPU, 12 heads × 64, batch 1, F32, T = 512 / 2048 / 8192, forward
# and forward+backward, in one run:
#   liquid4j tiled kernel       (AttentionBench, JMH; all threads)
#   liquid4j composed reference (AttentionBench impl=reference: matmuls + masked softmax over
#                                the T×T scores; T ≤ 2048, it needs ~10 T×T tensors)
#   PyTorch CPU                 (bench/attention_torch_bench.py: softmax(q@kᵀ·scale + mask)@v
#                                and autograd, torch.set_num_threads(2))
# Memory: every configuration once more in a process of its own: the Java side prints the peak
# of the engine's native allocations (all tensors) and the JVM's peak RSS (VmHWM), PyTorch its
# peak RSS and the RSS right after `import torch`.
#
# Usage: bench/attention-bench.sh            (SIZES="512 2048" bench/attention-bench.sh for a subset)
# Needs Debian's python3-torch (run with /usr/bin/python3). A PyTorch configuration is skipped,
# and the summary says why, when a run would take over TORCH_LIMIT_S seconds (default 120) or
# its estimated T×T tensors (measured: ~2.1 score matrices live in the forward, ~3.4 with the
# backward) would not fit in 75% of MemAvailable; its address space is also capped there, so
# it fails instead of pushing the machine into the OOM killer.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SIZES=${SIZES:-"512 2048 8192"}
TORCH_LIMIT_S=${TORCH_LIMIT_S:-120}
JAVA="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g -XX:+UseParallelGC"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load() { echo "(load average $(cut -d' ' -f1-3 /proc/loadavg))"; }
jmh() {  # jmh <name> <JMH arguments...>: waits while another JMH run holds /tmp/jmh.lock
    local name=$1; shift
    for _ in $(seq 60); do
        if "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar '\.AttentionBench\.' "$@" -f 1 -rf json -rff "$out/$name.json" > "$out/$name.log" 2>&1; then
            grep -E '^AttentionBench\.' "$out/$name.log"
            return
        fi
        grep -q 'Unable to acquire the JMH lock' "$out/$name.log" || { tail -40 "$out/$name.log"; exit 1; }
        echo "(another JMH run holds /tmp/jmh.lock; waiting)"
        sleep 30
    done
    echo "gave up waiting for /tmp/jmh.lock"; exit 1
}
csv() { tr ' ' '\n' | grep -v '^$' | paste -sd, -; }

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' | sed 's/  */ /g'
grep -o -m1 -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | paste -sd' ' | sed 's/^/ISA: /'
"$JAVA_HOME/bin/java" -version 2>&1 | sed -n 1p
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
date -u

echo "== build"
mvn -q -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl bench -am
$JAVA -cp bench/target/benchmarks.jar io.liquid4j.bench.AttentionBench info 2>&1 | grep -v '^WARNING'

echo "== PyTorch, 2 threads $(load)"
for t in $SIZES; do
    for mode in fwd fwdbwd; do
        matrices=$([ "$mode" = fwd ] && echo 25 || echo 40)          # tenths of a [12, T, T] f32 tensor
        need_kib=$(( 12 * t * t * 4 / 1024 * matrices / 10 + 600 * 1024 ))
        avail_kib=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
        runs=$([ "$t" -ge 8192 ] && echo 2 || echo 5)
        if [ "$need_kib" -gt $(( avail_kib * 3 / 4 )) ]; then
            echo "SKIP torch $mode $t needs ~$(( need_kib / 1048576 )) GiB, 75% of MemAvailable is $(( avail_kib * 3 / 4 / 1048576 )) GiB" | tee -a "$out/torch.txt"
            continue
        fi
        if ! ( ulimit -v $(( avail_kib * 3 / 4 + 2 * 1048576 )); \
               timeout $(( TORCH_LIMIT_S * (runs + 1) )) /usr/bin/python3 bench/attention_torch_bench.py "$t" "$mode" 12 64 "$runs" ) \
               > "$out/torch-$mode-$t.log" 2>&1; then
            tail -3 "$out/torch-$mode-$t.log"
            echo "SKIP torch $mode $t failed or exceeded ${TORCH_LIMIT_S} s per run (log above)" | tee -a "$out/torch.txt"
            continue
        fi
        grep -v '^RESULT' "$out/torch-$mode-$t.log"
        grep '^RESULT' "$out/torch-$mode-$t.log" | tee -a "$out/torch.txt"
    done
done

echo "== liquid4j, JMH, all threads $(load)"
small=$(for t in $SIZES; do if [ "$t" -le 2048 ]; then echo "$t"; fi; done | csv)
jmh kernel -p t="$(echo "$SIZES" | csv)" -p impl=kernel
if [ -n "$small" ]; then jmh reference -p t="$small" -p impl=reference -wi 1 -i 3; fi

echo "== liquid4j memory, one JVM per configuration $(load)"
for t in $SIZES; do
    for impl in kernel reference; do
        if [ "$impl" = reference ] && [ "$t" -gt 2048 ]; then continue; fi
        for mode in fwd fwdbwd; do
            $JAVA -cp bench/target/benchmarks.jar io.liquid4j.bench.AttentionBench "$t" "$impl" "$mode" 2 2>&1 \
                | grep '^RESULT' | tee -a "$out/java-memory.txt"
        done
    done
done

echo "== summary"
/usr/bin/python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
d = sys.argv[1]
torch, skipped = {}, {}
for line in open(os.path.join(d, "torch.txt")):
    f = line.split()
    if f[0] == "RESULT":
        torch[(f[2], int(f[3]))] = (float(f[4]), float(f[5]), float(f[7]), float(f[9]))
    elif f[0] == "SKIP":
        skipped[(f[2], int(f[3]))] = " ".join(f[4:])
jmh = {}
for path in glob.glob(os.path.join(d, "*.json")):
    for r in json.load(open(path)):
        mode = "fwd" if r["benchmark"].endswith(".forward") else "fwdbwd"
        times = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
        jmh[(r["params"]["impl"], mode, int(r["params"]["t"]))] = (min(times), statistics.median(times))
mem = {}
for line in open(os.path.join(d, "java-memory.txt")):
    f = line.split()
    mem[(f[1].split("-", 1)[1], f[2], int(f[3]))] = (float(f[7]), float(f[9]))
sizes = sorted({k[2] for k in jmh})
print("times: ms best / median; ratios from medians (> 1: liquid4j kernel faster)")
print("%-7s %6s %15s %15s %15s %11s %11s" % ("mode", "T", "kernel", "reference", "torch", "torch/kern", "ref/kern"))
for mode in ("fwd", "fwdbwd"):
    for t in sizes:
        k = jmh.get(("kernel", mode, t)); r = jmh.get(("reference", mode, t)); p = torch.get((mode, t))
        cell = lambda x: "%7.1f / %-7.1f" % x[:2] if x else "%15s" % "-"
        print("%-7s %6d %s %s %s %11s %11s" % (mode, t, cell(k), cell(r), cell(p) if p else "%15s" % "skipped",
              "%.2f" % (p[1] / k[1]) if p and k else "-", "%.2f" % (r[1] / k[1]) if r and k else "-"))
print("\npeak memory, MiB: liquid4j native tensors (all of them) and JVM RSS; torch RSS (and RSS after import)")
print("%-7s %6s %21s %21s %23s" % ("mode", "T", "kernel native / RSS", "reference native / RSS", "torch RSS (after import)"))
for mode in ("fwd", "fwdbwd"):
    for t in sizes:
        k = mem.get(("kernel", mode, t)); r = mem.get(("reference", mode, t)); p = torch.get((mode, t))
        cell = lambda x: "%9.1f / %-9.0f" % x if x else "%21s" % "-"
        print("%-7s %6d %s %s %23s" % (mode, t, cell(k), cell(r), "%.0f (%.0f)" % (p[2], p[3]) if p else "skipped"))
for (mode, t), why in sorted(skipped.items()):
    print("torch %s T=%d skipped: %s" % (mode, t, why))
PY
