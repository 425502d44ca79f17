#!/usr/bin/env bash
# Compares liquid4j's CPU kernels with their yardsticks in one run (about 5 minutes):
#   SGEMM (GemmBench, square, F32)  vs  numpy float32 matmul on OpenBLAS (bench/numpy_gemm.py),
#        run back to back per size so both see the same machine state
#   GEMV  (GemvBench, m = 1, W[n,k] BF16/F32 from DRAM)  vs  copy and read bandwidth
#        (CopyBandwidthBench)
# Usage: bench/compare-cpu.sh            (SIZES="1024 2048" bench/compare-cpu.sh for a subset)
# Both sides use every core, so the machine should be otherwise idle; the load average is
# printed before each step so that a disturbed run shows. Best and median are over JMH
# measurement iterations / numpy repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SIZES=${SIZES:-"1024 2048 4096"}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load() { echo "(load average $(cut -d' ' -f1-3 /proc/loadavg))"; }
jmh() {  # jmh <json name> <JMH arguments...>
    local json=$1; shift
    "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar "$@" -f 1 -rf json -rff "$out/$json.json" \
        > "$out/$json.log" 2>&1 || { tail -40 "$out/$json.log"; exit 1; }
    grep -E '^[A-Z][A-Za-z]*Bench\.' "$out/$json.log"
}

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' | sed 's/  */ /g'
"$JAVA_HOME/bin/java" -version 2>&1 | sed -n 1p
date

echo "== build"
mvn -q -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl bench -am

for n in $SIZES; do
    echo "== SGEMM $n: numpy $(load)"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/numpy_gemm.py "$n" | tee -a "$out/numpy.txt"
    echo "== SGEMM $n: liquid4j $(load)"
    jmh "gemm$n" '\.GemmBench\.' -p size="$n" -wi 3 -w 2s -i 5 -r 2s
done
echo "== GEMV and memory bandwidth $(load)"
jmh gemv '\.(GemvBench|CopyBandwidthBench)\.' -wi 2 -w 1s -i 5 -r 1s

echo "== summary"
/usr/bin/python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
numpy = {}
for line in open(os.path.join(sys.argv[1], "numpy.txt")):
    if line.startswith("RESULT"):
        _, n, best, median = line.split()[:4]
        numpy[int(n)] = (float(best), float(median))
runs = [r for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))) for r in json.load(open(f))]
def name(r): return ".".join(r["benchmark"].split(".")[-2:])
def times(r): return [t for fork in r["primaryMetric"]["rawData"] for t in fork]   # per iteration, ms or us
def best_median(r, work):   # work / time for the fastest and the median iteration
    t = times(r)
    return work / min(t), work / statistics.median(t)

print("SGEMM (square, F32)   liquid4j GFLOP/s        numpy GFLOP/s        liquid4j / numpy")
print("                      best     median         best     median      best    median")
for r in sorted((r for r in runs if name(r) == "GemmBench.gemm"), key=lambda r: int(r["params"]["size"])):
    n = int(r["params"]["size"])
    ours = best_median(r, 2.0 * n ** 3 / 1e6)          # score in ms
    theirs = numpy.get(n, (float("nan"),) * 2)
    print("  %5d^3 %13.1f %9.1f %14.1f %9.1f %11.2f %9.2f" % (n, *ours, *theirs, ours[0] / theirs[0], ours[1] / theirs[1]))

mem = {name(r).split(".")[1]: best_median(r, 2 * (256 << 20) / 1e6) for r in runs if name(r).startswith("CopyBandwidthBench.")}
for label, (best, median) in sorted(mem.items()):
    print("memory 256 MiB %-16s best %5.1f  median %5.1f GB/s (%s)" % (label + ":", best, median,
          "read" if label.startswith("read") else "read + written"))
copy = max(mem[l][1] for l in mem if l.startswith("copy")) if mem else float("nan")
read = mem.get("readAllThreads", (float("nan"),) * 2)[1]
print("GEMV y = W x (m = 1, W[n,k] from DRAM)   weight GB/s best / median   median / copy   median / read")
for r in runs:
    if name(r) == "GemvBench.gemv":
        p = r["params"]
        n, k, t = int(p["n"]), int(p["k"]), p["type"]
        best, median = best_median(r, n * k * (2 if t in ("BF16", "F16") else 4) / 1e3)   # score in us
        print("  %-5s %5d x %-5d %22.1f / %-6.1f %13.2f %15.2f" % (t, n, k, best, median, median / copy, median / read))
print("(ratios use medians; copy = the better of copy and copyAllThreads)")
PY
