package io.liquid4j.bench;

import io.liquid4j.nn.layers.Linear;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.KVCache;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One greedy decode step of the TinyStories-110M-shaped Llama (DecodeBenchModel's random weights,
 * written once to bench/target/decode-bench) through CausalLM and its KV cache: the new token
 * attends over {@code context} cached positions (the cache is cut back after each step, so every
 * step sees the same context). {@code format} is the weight storage: F32, BF16, F16 (the BF16
 * model's decoder Linears and head converted in memory), or Q8_0 / Q4_0 (quantized in memory); {@code batch} rows decode
 * together, their KV cache in {@code kv} (F32 or BF16). Score: milliseconds per step; tok/s = 1000 · batch / score. The end-to-end runs with prefill and peers are bench/decode-bench.sh
 * and bench/compare-jlama.sh.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar DecodeStepBench [-p format=Q8_0 -p context=512 -p batch=1,2,8]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
public class DecodeStepBench {
    @Param({"F32", "BF16", "F16", "Q8_0", "Q4_0"})
    public String format;

    @Param({"128"})
    public int context;

    /** Rows decoded together (CFG decodes 2: the conditional and unconditional prompts). */
    @Param({"1"})
    public int batch;

    /**
     * KV cache dtype: F32 (the default here, for comparison with earlier runs; what generation keeps
     * for F32, F16 and quantized models) or BF16 (generation's default for a BF16 model, and
     * `--kv-cache bf16`).
     */
    @Param({"F32"})
    public String kv;

    private CausalLM model;
    private KVCache cache;
    private Tensor next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = Path.of("bench/target/decode-bench");
        DecodeBenchModel.main(new String[] {dir.toString()});
        boolean plain = format.equals("F32") || format.equals("BF16") || format.equals("F16");
        model = CausalLM.fromPretrained(dir.resolve(format.equals("F32") ? "f32" : "bf16"), null, Device.CPU);
        if (format.equals("F16")) {
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                for (var e : model.namedModules().entrySet()) {
                    if (e.getValue() instanceof Linear l && (e.getKey().endsWith("_proj") || e.getKey().equals("lm_head"))) {
                        l.weight().set(l.weight().value().to(io.liquid4j.tensor.DType.F16).unscoped());
                    }
                }
            }
        }
        if (!plain) {
            QuantFormat f = QuantFormat.valueOf(format);
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                for (var e : model.namedModules().entrySet()) {
                    if (e.getValue() instanceof Linear l && (e.getKey().endsWith("_proj") || e.getKey().equals("lm_head"))) {
                        l.quantize(QuantizedWeight.quantize(l.weight().value(), f).unscoped());
                    }
                }
            }
        }
        cache = new KVCache(model.config(), batch, context + 1, DType.valueOf(kv), Device.CPU);
        int[] prompt = DecodeBenchResult.prompt(context, model.config().vocabSize());
        long[] ids = new long[batch * context], last = new long[batch];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < context; i++) ids[b * context + i] = prompt[(i + 7 * b) % context];
            last[b] = ids[b * context + context - 1];
        }
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            model.forwardLast(Tensor.fromArray(ids, batch, context), null, cache);
        }
        next = Tensor.fromArray(last, batch, 1).unscoped();
    }

    @Benchmark
    public double step() {
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            double v = model.forwardLast(next, null, cache).argmax(1, false).sum().item();
            cache.truncate(context);
            return v;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        next.close();
    }
}
