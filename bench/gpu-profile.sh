#!/usr/bin/env bash
# Nsight Compute profile of the flash attention kernels on a lent GPU (Firecracker machines read the
# hardware counters; gVisor ones do not): one launch each of the BF16 D-128 forward and backward at
# GpuBench's first attention shape (causal, 16 × 1024 tokens × 16 heads), with speed of light,
# occupancy, warp stall reasons, memory and compute workload. Needs .gpu-carry from
# bench/gpu-check-prepare.sh (carry it). Full reports go to $OUT (or bench/results/gpu-profile).
set -uo pipefail
cd "$(dirname "$0")/.."
LOG="${OUT:-bench/results/gpu-profile}"
mkdir -p "$LOG"
[[ -f .gpu-carry/jre.tar.gz && ! -x .gpu-carry/jre/bin/java ]] && tar -xzf .gpu-carry/jre.tar.gz -C .gpu-carry
JAVA=.gpu-carry/jre/bin/java
[[ -x "$JAVA" ]] || { echo "no .gpu-carry/jre: run bench/gpu-check-prepare.sh and carry .gpu-carry"; exit 2; }
NCU="$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)"
[[ -n "$NCU" ]] || { echo "no ncu on this machine"; exit 2; }
JFLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g"
for k in fwd bwd; do
    echo "== l4j_attn_${k}_mma_128_bf16"
    timeout "${PROFILE_TIMEOUT:-90}" "$NCU" --clock-control none --kernel-name "regex:l4j_attn_${k}_mma_128_bf16" --launch-skip 2 --launch-count 1 \
        --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
        --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section InstructionStats --print-details all \
        "$JAVA" $JFLAGS -cp .gpu-carry/build/tensor/classes:.gpu-carry/bench-classes io.liquid4j.bench.gpu.GpuBench attention >"$LOG/ncu-$k.txt" 2>&1
    echo "rc=$?"
    grep -E "Duration|Compute \(SM\) Throughput|Memory Throughput|L1/TEX Cache Throughput|L2 Cache Throughput|DRAM Throughput|Registers Per|Achieved Occupancy|Theoretical Occupancy|Block Limit|Warp Cycles Per Issued|Issue Slots Busy|Executed Ipc|Stall|stall|Bank Conflicts|Shared Memory|Pipe" "$LOG/ncu-$k.txt" | head -60
done
