package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.SafetensorsFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * F.linearCrossEntropy (and the unfused F.crossEntropy(softcap(F.linear(..)))) against PyTorch's
 * cross_entropy(x @ W.T) with softcap, z-loss and ignore_index, F32 and BF16 weights: the fixture
 * golden/xent/linear_cross_entropy.safetensors of tools/golden/make_xent_fixtures.py.
 *
 * <p>Tolerance per tensor: |a − b| ≤ 1e-5·max(1, ‖b‖∞) for the loss, 1e-4·max(1, ‖b‖∞) for the
 * gradients, plus one bf16 rounding (2⁻⁸·|b|) for the gradient of a BF16 weight, which liquid4j
 * returns in the weight's dtype while the fixture holds the f32 gradient.
 */
class LinearCrossEntropyGoldenTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void matchesPyTorch() {
        Path file = GoldenOpsTest.goldenDir().resolve("xent").resolve("linear_cross_entropy.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            List<?> cases = (List<?>) Json.parse(st.metadata().get("cases"));
            assertFalse(cases.isEmpty(), "no cases in the fixture");
            for (Object o : cases) {
                @SuppressWarnings("unchecked")
                Map<String, Object> c = (Map<String, Object>) o;
                String name = (String) c.get("name");
                int ignore = Math.toIntExact((Long) c.get("ignore_index"));
                double z = ((Number) c.get("z_loss")).doubleValue(), cap = ((Number) c.get("softcap")).doubleValue();
                for (String path : new String[] {"fused", "fused, 4 rows per chunk", "unfused"}) {
                    try (var _ = TensorScope.open()) {
                        String what = name + " (" + path + ")";
                        Tensor h = load(st, name + ".hidden").requiresGrad(true);
                        Tensor w = load(st, name + ".weight").requiresGrad(true);
                        Tensor t = load(st, name + ".targets");
                        Tensor loss = switch (path) {
                            case "fused" -> F.linearCrossEntropy(h, w, t, ignore, z, cap);
                            case "unfused" -> {
                                Tensor logits = F.linear(h, w, null);
                                if (cap > 0) logits = logits.div(cap).tanh().mul(cap);
                                yield F.crossEntropy(logits, t, ignore, z);
                            }
                            default -> withChunkBytes(4L * 4 * w.size(0), () -> F.linearCrossEntropy(h, w, t, ignore, z, cap));
                        };
                        loss.backward();
                        assertClose(what + ": loss", floats(st, name + ".loss"), loss.toFloatArray(), 1e-5, false);
                        assertClose(what + ": grad hidden", floats(st, name + ".grad_hidden"), h.grad().toFloatArray(), 1e-4, false);
                        assertEquals(w.dtype(), w.grad().dtype(), what + ": weight gradient dtype");
                        assertClose(what + ": grad weight", floats(st, name + ".grad_weight"), w.grad().toFloatArray(), 1e-4,
                                w.dtype() == DType.BF16);
                    }
                }
            }
        }
    }

    private static Tensor withChunkBytes(long bytes, java.util.function.Supplier<Tensor> body) {
        String key = "liquid4j.xent.chunkBytes", old = System.getProperty(key);
        System.setProperty(key, Long.toString(bytes));
        try {
            return body.get();
        } finally {
            if (old == null) System.clearProperty(key);
            else System.setProperty(key, old);
        }
    }

    private static Tensor load(SafetensorsFile st, String name) {
        SafetensorsFile.Entry e = st.get(name);
        assertNotNull(e, "fixture has no " + name);
        int[] shape = new int[e.shape().length];
        for (int i = 0; i < shape.length; i++) shape[i] = Math.toIntExact(e.shape()[i]);
        return switch (e.dtypeName()) {
            case "F32" -> Tensor.fromArray(st.data(e).toArray(F32_LE), shape);
            case "I64" -> Tensor.fromArray(st.data(e).toArray(I64_LE), shape);
            case "BF16" -> Tensor.fromBytes(st.data(e).toArray(ValueLayout.JAVA_BYTE), DType.BF16, Device.CPU, shape);
            default -> throw new AssertionError(name + ": unexpected dtype " + e.dtypeName());
        };
    }

    private static float[] floats(SafetensorsFile st, String name) {
        SafetensorsFile.Entry e = st.get(name);
        assertNotNull(e, "fixture has no " + name);
        assertEquals("F32", e.dtypeName(), name);
        return st.data(e).toArray(F32_LE);
    }

    private static void assertClose(String what, float[] want, float[] got, double tol, boolean bf16Rounded) {
        assertEquals(want.length, got.length, what + ": size");
        double scale = 1;
        for (float x : want) scale = Math.max(scale, Math.abs(x));
        for (int i = 0; i < want.length; i++) {
            double allowed = tol * scale + (bf16Rounded ? Math.abs(want[i]) * 0x1p-8 : 0);
            assertEquals(want[i], got[i], allowed, what + "[" + i + "]");
        }
    }
}
