#!/usr/bin/env bash
# Compares liquid4j's CPU kernels with their yardsticks in one run (about 4 minutes):
#   SGEMM (GemmBench, square, F32)  vs  numpy float32 matmul on OpenBLAS (bench/numpy_gemm.py)
#   GEMV  (GemvBench, W[n,k] BF16/F32, m = 1)  vs  copy bandwidth (CopyBandwidthBench)
# Usage: bench/compare-cpu.sh            (SIZES="1024 2048" bench/compare-cpu.sh for a subset)
# The machine should be otherwise idle: both sides use every core, and the load average is
# printed before each phase so a disturbed run shows.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SIZES=${SIZES:-"1024 2048 4096"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' | sed 's/  */ /g'
"$JAVA_HOME/bin/java" -version 2>&1 | head -1
date

echo "== build"
mvn -q -DskipTests package -pl bench -am

echo "== numpy (load: $(cut -d' ' -f1-3 /proc/loadavg))"
# shellcheck disable=SC2086
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/numpy_gemm.py $SIZES | tee "$out/numpy.txt"

echo "== liquid4j JMH (load: $(cut -d' ' -f1-3 /proc/loadavg))"
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar 'GemmBench|GemvBench|CopyBandwidthBench' \
    -f 1 -wi 2 -i 3 -p size="${SIZES// /,}" -rf json -rff "$out/jmh.json" > "$out/jmh.log" 2>&1 \
    || { tail -40 "$out/jmh.log"; exit 1; }
grep -E '^(Benchmark|[A-Z][A-Za-z]*Bench\.)' "$out/jmh.log"

echo "== summary"
/usr/bin/python3 - "$out/numpy.txt" "$out/jmh.json" <<'PY'
import json, sys
numpy = {}
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        _, n, best, median = line.split()[:4]
        numpy[int(n)] = (float(best), float(median))
runs = json.load(open(sys.argv[2]))
def name(r): return r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
copy = {}
print("SGEMM (square, F32, all threads)   liquid4j GFLOP/s   numpy GFLOP/s (best/median)   ratio (vs best)")
for r in runs:
    if name(r) == "GemmBench.gemm" and r["params"].get("bType", "F32") == "F32":
        n = int(r["params"]["size"])
        ours = 2.0 * n ** 3 / (r["primaryMetric"]["score"] * 1e6)
        best, median = numpy.get(n, (float("nan"),) * 2)
        print("  %5d^3 %36.1f %12.1f / %-12.1f %10.2f" % (n, ours, best, median, ours / best))
    if name(r).startswith("CopyBandwidthBench."):
        copy[name(r).split(".")[1]] = 2 * (256 << 20) / (r["primaryMetric"]["score"] * 1e6)
for label, gbs in sorted(copy.items()):
    print("copy 256 MiB, %-15s %6.1f GB/s (read + written)" % (label + ":", gbs))
ref = max(copy.values()) if copy else float("nan")
print("GEMV y = W x (m=1, W[n,k] streamed from DRAM)   weight GB/s   / best copy GB/s")
for r in runs:
    if name(r) == "GemvBench.gemv":
        p = r["params"]
        n, k, t = int(p["n"]), int(p["k"]), p["type"]
        gbs = n * k * (2 if t in ("BF16", "F16") else 4) / (r["primaryMetric"]["score"] * 1e3)
        print("  %-5s %5d x %-5d %28.1f %12.2f" % (t, n, k, gbs, gbs / ref))
PY
