#!/usr/bin/env bash
# THE device check for a lent GPU machine (H100/H200, CUDA 13, PyTorch in python3, no network).
#  1. build: the carried one (.gpu-carry from bench/gpu-check-prepare.sh: the one path to carry),
#     else Maven offline when this machine has mvn + JDK 25;
#  2. every @Tag("gpu") test: ops (tensor), the golden models and the VQGAN (nn), the CLI with
#     --device cuda (cli), each on cuda:0 against the CPU, group by group in JVMs of their own;
#  3. GPU benchmarks (bench/gpu/GpuBench.java) + torch.matmul / torch copy baselines, same run;
#  4. a short table, last. Logs go to $OUT when set. Budget: < 8 minutes
#     (deadlines: no test group after 220 s, no benchmark after 330 s, torch ends by 440 s).
set -uo pipefail
cd "$(dirname "$0")/.."
LOG="${OUT:-bench/results/gpu-check}"
mkdir -p "$LOG"
status=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$LOG/device.txt"

# cuBLASLt: the system's, else the one PyTorch ships
if ! ldconfig -p 2>/dev/null | grep -q 'libcublasLt.so.1[23]'; then
    for f in /usr/local/cuda/lib64/libcublasLt.so.13 $(python3 -c 'import nvidia.cublas,os;print(os.path.dirname(nvidia.cublas.__file__)+"/lib/libcublasLt.so.13")' 2>/dev/null) \
             /usr/local/cuda/lib64/libcublasLt.so.12; do
        [[ -f "$f" ]] && { CUBLAS_PROP="-Dliquid4j.cublasLt=$f"; break; }
    done
fi
JFLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g ${CUBLAS_PROP:-}"

[[ -f .gpu-carry/jre.tar.gz && ! -x .gpu-carry/jre/bin/java ]] && tar -xzf .gpu-carry/jre.tar.gz -C .gpu-carry
JAVA=""
for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java "$(command -v java 2>/dev/null)" .gpu-carry/jre/bin/java; do
    [[ -x "$j" ]] && "$j" -version 2>&1 | grep -q 'version "2[5-9]' && { JAVA="$j"; break; }
done
[[ -z "$JAVA" ]] && { echo "no Java 25 here and no carried .gpu-carry/jre.tar.gz: run bench/gpu-check-prepare.sh and carry .gpu-carry"; exit 2; }
echo "java: $JAVA"

# The classes: a Maven build where this machine can do one, else the ones bench/gpu-check-prepare.sh carried.
if [[ -d .gpu-carry/build ]]; then
    BUILD=.gpu-carry/build
    echo "== carried build"
elif command -v mvn >/dev/null && [[ -x "$(dirname "$JAVA")/javac" ]] && timeout 240 mvn -B -q -o -pl tensor,nn,liquid-model,cli,demo -am test-compile \
        -Dmaven.javadoc.skip=true -Dmaven.source.skip=true >"$LOG/build.log" 2>&1; then
    BUILD=maven
    mkdir -p .gpu-carry/bench-classes
    "$(dirname "$JAVA")/javac" --release 25 -cp tensor/target/classes -d .gpu-carry/bench-classes bench/gpu/GpuBench.java
    echo "== maven build"
else
    echo "no carried build (.gpu-carry/build) and no offline Maven build: run bench/gpu-check-prepare.sh and carry .gpu-carry"; exit 2
fi
CP="$(ls .gpu-carry/lib/*.jar 2>/dev/null | tr '\n' ':')"
for m in tensor nn liquid-model cli demo; do
    d=$([[ $BUILD == maven ]] && echo $m/target || echo $BUILD/$m)
    CP="$d/classes:$d/test-classes:$CP"
done
TENSOR_CLASSES=$([[ $BUILD == maven ]] && echo tensor/target/classes || echo $BUILD/tensor/classes)

# Each group in a JVM of its own: a kernel fault leaves the CUDA context broken for the rest of the
# process, so the kernels that have not run on a GPU before each get one (Class#method, GpuTestRunner).
new_kernels=flashAttentionKernels,ropeKernel,quantizedLinear,adamwMultiTensor
groups=(io.liquid4j.tensor.cuda.CudaParityTest "io.liquid4j.tensor.cuda.CudaOpsParityTest!$new_kernels")
for k in ${new_kernels//,/ }; do groups+=("io.liquid4j.tensor.cuda.CudaOpsParityTest#$k"); done
groups+=(io.liquid4j.tensor.cuda.CudaCrossEntropyParityTest io.liquid4j.nn.transformer.GpuLogitsParityTest
         io.liquid4j.nn.vqgan.VqGpuParityTest io.liquid4j.generate.CliGpuTest io.liquid4j.image.VqCliGpuTest io.liquid4j.demo.DemoGpuTest)
echo "== gpu tests"
: > "$LOG/gpu-tests.log"
sanitized=0
for grp in "${groups[@]}"; do
    # a hung kernel must not eat the lease: no new group after TEST_DEADLINE seconds of the script
    (( SECONDS < ${TEST_DEADLINE:-220} )) || { status=1; echo "GROUP_NOT_RUN (deadline) $grp" | tee -a "$LOG/gpu-tests.log"; continue; }
    echo "-- $grp" | tee -a "$LOG/gpu-tests.log"
    timeout "${GPU_TEST_TIMEOUT:-90}" "$JAVA" $JFLAGS -cp "$CP" io.liquid4j.tensor.cuda.GpuTestRunner "$grp" >>"$LOG/gpu-tests.log" 2>&1
    rc=$?
    [[ $rc -eq 0 ]] || { status=1; echo "GROUP_FAILED rc=$rc $grp" | tee -a "$LOG/gpu-tests.log"; }
    # the first failing group of new kernels once more under compute-sanitizer (memcheck), where the runtime allows it
    if [[ $rc -ne 0 && $grp == *"#"* && $sanitized -eq 0 ]] && command -v compute-sanitizer >/dev/null && (( SECONDS < 150 )); then
        sanitized=1
        timeout 80 compute-sanitizer --tool memcheck --print-limit 8 "$JAVA" $JFLAGS -cp "$CP" io.liquid4j.tensor.cuda.GpuTestRunner "$grp" >"$LOG/sanitizer.log" 2>&1
        grep -E "^=+ (Invalid|Out of|Address|Program hit|ERROR SUMMARY|Error)|^=+ +at .*l4j_" "$LOG/sanitizer.log" | head -12 | sed 's/^/SANITIZER /'
    fi
done
grep -E "^(PASS|FAIL|SKIP)" "$LOG/gpu-tests.log" | cut -c1-200
passed=$(grep -c "^PASS" "$LOG/gpu-tests.log"); failed=$(grep -c "^FAIL" "$LOG/gpu-tests.log"); skipped=$(grep -c "^SKIP" "$LOG/gpu-tests.log")

echo "== liquid4j GPU benchmarks"
: > "$LOG/bench.log"
for sec in base attention xent rows; do
    (( SECONDS < ${BENCH_DEADLINE:-330} )) || { echo "BENCH_FAILED section $sec not run (deadline)" | tee -a "$LOG/bench.log"; continue; }
    timeout "${GPU_BENCH_TIMEOUT:-90}" "$JAVA" $JFLAGS -cp "$TENSOR_CLASSES:.gpu-carry/bench-classes" io.liquid4j.bench.gpu.GpuBench $sec 2>&1 | tee -a "$LOG/bench.log" | grep -v "^GEMM_ALGO"
    rc=${PIPESTATUS[0]}
    [[ $rc -eq 0 ]] || echo "BENCH_FAILED section $sec rc=$rc" | tee -a "$LOG/bench.log"
done

echo "== torch baselines"
PYTHONUNBUFFERED=1 timeout $(( ${TORCH_DEADLINE:-440} - SECONDS > 30 ? ${TORCH_DEADLINE:-440} - SECONDS : 30 )) python3 - <<'PY' 2>&1 | tee "$LOG/torch.log"
import torch
def t(f0, warm=3, reps=10, inner=10):
    f = lambda: [f0() for _ in range(inner)]
    for _ in range(warm): f()
    ms = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); f(); b.record(); b.synchronize(); ms.append(a.elapsed_time(b) / inner)
    return sorted(ms)[reps // 2]
x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
print("RESULT torch_d2d_copy %.1f GB/s" % (2 * (1 << 30) / t(lambda: y.copy_(x)) / 1e6))
for n in (4096, 8192):
    a = torch.randn(n, n, device="cuda", dtype=torch.bfloat16); b = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    runs = [2 * n**3 / t(lambda: a @ b) / 1e9 for _ in range(3)]
    print("RESULT torch_gemm_bf16_%d %.1f TFLOP/s" % (n, sorted(runs)[1]))
    print("TORCH_GEMM_SPREAD %d runs %s TFLOP/s" % (n, " ".join("%.1f" % r for r in runs)))
    del a, b
import time
nb = 256 << 20
dev = torch.empty(nb, dtype=torch.uint8, device="cuda")
for name, host in (("pageable", torch.randint(0, 255, (nb,), dtype=torch.uint8)), ("pinned", torch.empty(nb, dtype=torch.uint8).pin_memory())):
    for d in ("h2d", "d2h"):
        ts = []
        for _ in range(7):
            torch.cuda.synchronize(); t0 = time.perf_counter()
            (dev.copy_(host) if d == "h2d" else host.copy_(dev)); torch.cuda.synchronize()
            ts.append(time.perf_counter() - t0)
        print("RESULT torch_%s_%s %.1f GB/s" % (d, name, nb / sorted(ts)[3] / 1e9))
from torch.nn.attention import sdpa_kernel, SDPBackend
import torch.nn.functional as F
for L in (1024, 4096, 16384):   # same shapes as GpuBench.attention: causal bf16, 16 heads x 128, 16k tokens
    B = max(1, 16384 // L)
    q, k, v = (torch.randn(B, 16, L, 128, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    flop = 4.0 * B * 16 * L * L * 128 / 2
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        f = t(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), warm=2, reps=5, inner=3)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True); go = torch.randn_like(o)
        fb = t(lambda: torch.autograd.grad(F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v), go), warm=2, reps=5, inner=3)
    print("RESULT torch_attn_fwd_%d %.1f TFLOP/s" % (L, flop / f / 1e9))
    print("RESULT torch_attn_fwdbwd_%d %.1f TFLOP/s" % (L, 3.5 * flop / fb / 1e9))
    del q, k, v, o, go
# fused LM head + loss vs cross_entropy(x @ W.T), eager and torch.compile'd (same shapes as GpuBench.linearCrossEntropy)
N, H, V = 8192, 3072, 264192
xh = (torch.randn(N, H, device="cuda", dtype=torch.bfloat16) * 0.02).requires_grad_()
wv = (torch.randn(V, H, device="cuda", dtype=torch.bfloat16) * 0.02).requires_grad_()
tg = torch.randint(0, V, (N,), device="cuda")
def xent():
    logits = (xh @ wv.T).float()
    lse = torch.logsumexp(logits, -1)
    loss = F.cross_entropy(logits, tg) + 1e-4 * (lse ** 2).mean()
    loss.backward(); xh.grad = None; wv.grad = None
for name, fn in (("eager", xent), ("compiled", torch.compile(xent))):
    try:
        fn(); torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
        ms = t(fn, warm=1, reps=3, inner=1)
        print("RESULT torch_xent_%s_ms %.1f ms" % (name, ms))
        print("RESULT torch_xent_%s_peak_mib %.1f MiB" % (name, (torch.cuda.max_memory_allocated() - base) / 1048576))
    except Exception as e:
        print("torch xent %s failed: %s" % (name, str(e).splitlines()[0] if str(e) else type(e).__name__))
del xh, wv, tg
torch.cuda.empty_cache()
for n in (4096, 8192):
    x = torch.randn(16384, n, device="cuda")
    print("RESULT torch_softmax_fwd_%d %.1f GB/s" % (n, 8 * x.numel() / t(lambda: torch.softmax(x, -1)) / 1e6))
PY

echo
echo "================ liquid4j GPU check ================"
r() { grep -h "^RESULT $1 " "$LOG"/bench.log "$LOG"/torch.log 2>/dev/null | awk '{print $3}' | head -1; }
copy=$(r d2d_copy)
printf "%-18s %12s %12s %8s\n" case liquid4j torch ratio
for n in 4096 8192; do
    a=$(r gemm_bf16_$n); b=$(r torch_gemm_bf16_$n); h=$(r gemm_bf16_heuristic_$n)
    printf "%-18s %9s TF %9s TF %8s   (heuristic #0 only: %s TF, %s)\n" "gemm bf16 $n^3" "${a:-?}" "${b:-?}" \
        "$(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN{if(b>0)printf "%.2fx",a/b; else print "?"}')" "${h:-?}" \
        "$(awk -v a="${h:-0}" -v b="${b:-0}" 'BEGIN{if(b>0)printf "%.2fx",a/b; else print "?"}')"
done
grep -h "^GEMM_SPREAD\|^TORCH_GEMM_SPREAD" "$LOG"/bench.log "$LOG"/torch.log 2>/dev/null
grep -h "^GEMM_ALGO .*K=\(4096\|8192\) batch=1 bf16" "$LOG"/bench.log 2>/dev/null | cut -c1-230
printf "%-18s %10s %10s %10s | torch %10s %10s\n" "transfer 256MiB" pageable staged pinned pageable pinned
for d in h2d d2h; do
    printf "%-18s %10s %10s %10s | %16s %10s  GB/s\n" "$d" "$(r ${d}_pageable)" "$(r ${d}_pinned_staged)" "$(r ${d}_pinned_direct)" \
        "$(r torch_${d}_pageable)" "$(r torch_${d}_pinned)"
done
printf "%-18s %9s GB/s (torch %s)\n" "d2d copy" "${copy:-?}" "$(r torch_d2d_copy)"
for L in 1024 4096 16384; do
    for k in fwd fwdbwd; do
        a=$(r attn_${k}_$L); b=$(r torch_attn_${k}_$L)
        printf "%-18s %9s TF %9s TF %8s   (torch: SDPA flash backend)\n" "attn $k L=$L" "${a:-?}" "${b:-?}" \
            "$(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN{if(b>0)printf "%.2fx",a/b; else print "?"}')"
    done
done
printf "%-18s %9s ms %9s ms (eager) %9s ms (compiled)   peak MiB: %s / %s / %s\n" "xent fwd+bwd" "$(r xent_fwdbwd_ms)" \
    "$(r torch_xent_eager_ms)" "$(r torch_xent_compiled_ms)" "$(r xent_peak_mib)" "$(r torch_xent_eager_peak_mib)" "$(r torch_xent_compiled_peak_mib)"
printf "%-18s %9s ms   peak MiB %s   (2 GiB logit chunks instead of 512 MiB)\n" "xent chunk 2 GiB" "$(r xent_fwdbwd_ms_chunk2g)" "$(r xent_peak_mib_chunk2g)"
for L in 8192 32768; do printf "%-18s %9s GB/s %5s of copy\n" "attn decode kv=$L" "$(r attn_decode_$L)" "$(awk -v a="$(r attn_decode_$L)" -v b="${copy:-0}" 'BEGIN{if(b>0&&a>0)printf "%.0f%%",100*a/b; else print "?"}')"; done
pct() { awk -v a="${1:-0}" -v b="${copy:-0}" 'BEGIN{if(b>0)printf "%.0f%%",100*a/b; else print "?"}'; }
printf "%-18s %9s %5s | %12s %5s\n" "row kernel" "GB/s" "copy" "scalar(before)" ""
for k in rmsnorm_fwd rmsnorm_bwd softmax_fwd softmax_bwd; do
    for n in 4096 8192; do
        v=$(r ${k}_$n); l=$(r legacy_${k}_$n)
        printf "%-18s %9s %5s | %12s %5s\n" "$k 16k×$n" "${v:-?}" "$(pct "$v")" "${l:-?}" "$(pct "$l")"
    done
done
grep -h "^CHECK" "$LOG"/bench.log | sed 's/ max rel diff vs scalar kernels//'
grep -h "^STAGING" "$LOG"/bench.log 2>/dev/null | tr '\n' ';'; echo
grep -h "^PARITY" "$LOG/gpu-tests.log" | awk '{m=0; for(i=1;i<NF;i++) if($i=="out"||$i=="grad") if($(i+1)!="-" && $(i+1)+0>m) m=$(i+1)+0; printf "%.1e %s\n", m, $0}' \
    | sort -g -r | head -4 | sed 's/^/worst rel err /'
grep -h "^PARITY" "$LOG/gpu-tests.log" | wc -l | sed 's/^/op-parity cases: /'
# closest to its tolerance first (F32 and BF16 cases have different tolerances)
grep -h "^MODEL_PARITY" "$LOG/gpu-tests.log" | awk '{r=-1; t=0; for(i=1;i<NF;i++){if($i=="rel") r=$(i+1); if($i=="tol") t=$(i+1)} if(r>=0 && t>0) printf "%g %s\n", r/t, $0}' \
    | sort -g -r | head -3 | sed 's/^[^ ]* /worst model: /'
grep -h "^MODEL_PARITY" "$LOG/gpu-tests.log" | wc -l | sed 's/^/model-parity cases: /'
grep -h "^BENCH_FAILED\|^GROUP_FAILED" "$LOG"/bench.log "$LOG"/gpu-tests.log
grep -h "^FAIL" "$LOG/gpu-tests.log" | cut -c1-240
echo "gpu tests: $passed passed, $failed failed, $skipped skipped: $([[ $status -eq 0 ]] && echo PASSED || echo FAILED)"
exit $status
