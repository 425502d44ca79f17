package io.liquid4j.nn.transformer;

import static io.liquid4j.nn.GpuParity.BF16_TOL;
import static io.liquid4j.nn.GpuParity.F32_TOL;
import static io.liquid4j.nn.GpuParity.GPU;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liquid4j.nn.GpuParity;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The four golden models (GoldenLogitsTest's fixtures) on cuda:0 against the same model on the
 * CPU: prefill logits at every position, a KV-cache prefill followed by single-token decode
 * steps, a left-padded batch through the cache, F32 and BF16 weights. Plain @Test methods that
 * loop over the families, so bench/gpu-check.sh's GpuTestRunner can run them without JUnit's
 * launcher.
 */
@Tag("gpu")
class GpuLogitsParityTest {
    @BeforeEach
    void needsGpu() { GpuParity.assumeGpu(); }

    @Test
    void f32PrefillMatchesCpu() {
        for (String f : Fixtures.FAMILIES) prefill(f, null, F32_TOL);
    }

    @Test
    void bf16PrefillMatchesCpu() {
        for (String f : Fixtures.FAMILIES) prefill(f, DType.BF16, BF16_TOL);
    }

    @Test
    void f32KvCacheDecodeMatchesCpu() {
        for (String f : Fixtures.FAMILIES) decode(f, null, F32_TOL);
    }

    @Test
    void bf16KvCacheDecodeMatchesCpu() {
        for (String f : Fixtures.FAMILIES) decode(f, DType.BF16, BF16_TOL);
    }

    @Test
    void leftPaddedBatchThroughTheCacheMatchesCpu() {
        for (String f : Fixtures.FAMILIES) paddedBatch(f);
    }

    /** The model on both devices; dtype null keeps the stored F32. */
    private record Pair(CausalLM cpu, CausalLM gpu) {
        static Pair load(String family, DType dtype) {
            CausalLM c = CausalLM.fromPretrained(Fixtures.modelDir(family), dtype, Device.CPU);
            CausalLM g = CausalLM.fromPretrained(Fixtures.modelDir(family), dtype, GPU);
            assertEquals(GPU, g.device());
            return new Pair(c, g);
        }
    }

    private static String name(String family, DType dtype, String what) {
        return family + " " + (dtype == null ? "f32" : dtype.toString().toLowerCase(java.util.Locale.ROOT)) + " " + what;
    }

    private static void prefill(String family, DType dtype, double tol) {
        Pair m = Pair.load(family, dtype);
        Tensor ids = Fixtures.reference(family).get("ids");
        GpuParity p = new GpuParity(name(family, dtype, "prefill"), tol);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            Tensor c = m.cpu.forward(ids), g = m.gpu.forward(ids.to(GPU));
            for (int t = 0; t < ids.size(1); t++) p.check("position " + t, g.select(1, t), c.select(1, t));
        }
        p.report();
    }

    /** 3 tokens prefilled into each device's cache, then the rest one token at a time (teacher-forced). */
    private static void decode(String family, DType dtype, double tol) {
        Pair m = Pair.load(family, dtype);
        Tensor ids = Fixtures.reference(family).get("ids");
        int len = ids.size(1), pre = 3;
        GpuParity p = new GpuParity(name(family, dtype, "kv-cache decode"), tol);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open();
             KVCache cc = m.cpu.newCache(1, len); KVCache gc = m.gpu.newCache(1, len)) {
            Tensor c = m.cpu.forward(ids.narrow(1, 0, pre), null, cc);
            Tensor g = m.gpu.forward(ids.narrow(1, 0, pre).to(GPU), null, gc);
            for (int t = 0; t < pre; t++) p.check("prefill " + t, g.select(1, t), c.select(1, t));
            for (int t = pre; t < len; t++) {
                Tensor step = ids.narrow(1, t, 1);
                p.check("decode step " + t, m.gpu.forwardLast(step.to(GPU), null, gc), m.cpu.forwardLast(step, null, cc));
            }
            assertEquals(len, gc.length());
        }
        p.report();
    }

    /** Two rows, one left-padded: masks and positions on the GPU; only real tokens are compared. */
    private static void paddedBatch(String family) {
        Pair m = Pair.load(family, null);
        Map<String, Tensor> ref = Fixtures.reference(family);
        Tensor ids = ref.get("batch_ids");
        int[][] mask = Fixtures.ids(ref.get("batch_mask"));
        int len = ids.size(1), pre = 5;
        GpuParity p = new GpuParity(name(family, null, "padded batch decode"), F32_TOL);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open();
             KVCache cc = m.cpu.newCache(2, len); KVCache gc = m.gpu.newCache(2, len)) {
            Tensor c = m.cpu.forward(ids.narrow(1, 0, pre), prefix(mask, pre), cc);
            Tensor g = m.gpu.forward(ids.narrow(1, 0, pre).to(GPU), prefix(mask, pre), gc);
            checkReal(p, "prefill", g, c, mask, 0, pre);
            for (int t = pre; t < len; t++) {
                Tensor step = ids.narrow(1, t, 1);
                Tensor cs = m.cpu.forward(step, prefix(mask, t + 1), cc);
                Tensor gs = m.gpu.forward(step.to(GPU), prefix(mask, t + 1), gc);
                checkReal(p, "decode", gs, cs, mask, t, 1);
            }
        }
        p.report();
    }

    private static void checkReal(GpuParity p, String what, Tensor g, Tensor c, int[][] mask, int from, int n) {
        for (int b = 0; b < mask.length; b++) {
            for (int t = 0; t < n; t++) {
                if (mask[b][from + t] == 0) continue;   // padding positions have no defined logits
                p.check(what + " row " + b + " position " + (from + t), g.select(0, b).select(0, t), c.select(0, b).select(0, t));
            }
        }
    }

    private static int[][] prefix(int[][] mask, int n) {
        int[][] r = new int[mask.length][];
        for (int i = 0; i < mask.length; i++) r[i] = Arrays.copyOf(mask[i], n);
        return r;
    }
}
