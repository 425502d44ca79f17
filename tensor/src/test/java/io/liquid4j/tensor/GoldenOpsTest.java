package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.SafetensorsFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compares liquid4j ops with PyTorch on the fixtures of tools/golden/make_core_fixtures.py
 * (test resources golden/*.safetensors): inputs in0.., forward output out, and the gradients
 * grad_in<i> of sum(out · proj) for every floating input.
 *
 * <p>Tolerance: ‖a − b‖∞ ≤ tol · max(1, ‖b‖∞) per tensor, with tol 1e-5 for elementwise ops,
 * reductions and losses, 1e-4 for matmul, linear, conv, attention and norms; argmax and bf16
 * rounding must match exactly.
 */
class GoldenOpsTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final double TOL_ELEMENTWISE = 1e-5;
    private static final double TOL_ACCUMULATING = 1e-4;
    private static final Set<String> ACCUMULATING_OPS = Set.of(
            "matmul", "linear", "conv2d", "attention", "group_norm", "rms_norm", "layer_norm");

    static Path goldenDir() {
        URL url = GoldenOpsTest.class.getClassLoader().getResource("golden");
        assertNotNull(url, "test resource directory golden/ is missing (run tools/golden/make_core_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<String> fixtures() throws IOException {
        try (Stream<Path> files = Files.list(goldenDir())) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors"))
                    .sorted()
                    .toList();
            return names.stream();
        }
    }

    @Test
    void fixturesArePresent() throws IOException {
        assertTrue(fixtures().count() >= 50, "expected the golden fixtures in test resources");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void matchesPyTorch(String file) {
        try (SafetensorsFile st = SafetensorsFile.open(goldenDir().resolve(file));
             TensorScope _ = TensorScope.open()) {
            String op = st.metadata().get("op");
            assertNotNull(op, file + ": no op in metadata");
            Map<String, Object> params = Json.parseObject(st.metadata().getOrDefault("params", "{}"));

            List<Tensor> ins = new ArrayList<>();
            for (int i = 0; st.get("in" + i) != null; i++) {
                Tensor t = load(st, "in" + i);
                if (t.dtype().isFloating() && st.get("grad_in" + i) != null) t.requiresGrad(true);
                ins.add(t);
            }
            Tensor[] in = ins.toArray(Tensor[]::new);
            // the op consumes strided transposed views of inputs stored transposed
            Tensor[] args = in.clone();
            for (int i = 0; i < args.length; i++) {
                if (bool(params, "transpose_in" + i)) args[i] = args[i].transpose(-2, -1);
            }
            Tensor out = apply(op, params, args);

            SafetensorsFile.Entry outEntry = st.get("out");
            assertNotNull(outEntry, file + ": no out tensor");
            assertArrayEquals(toInts(outEntry.shape()), out.shape(), file + ": output shape");

            if (op.equals("argmax")) {
                assertEquals(DType.I64, out.dtype(), file + ": argmax dtype");
                assertArrayEquals(readLongs(st, "out"), out.toLongArray(), file + ": argmax indices");
                return;
            }
            if (op.equals("bf16_round")) {
                assertBitExact(file, readFloats(st, "out"), out.toFloatArray());
                return;
            }

            double tol = ACCUMULATING_OPS.contains(op) ? TOL_ACCUMULATING : TOL_ELEMENTWISE;
            assertClose(file + ": out", readFloats(st, "out"), out.toFloatArray(), tol);

            if (st.get("proj") == null) return;
            Tensor proj = load(st, "proj");
            out.mul(proj).sum().backward();
            int checked = 0;
            for (int i = 0; i < in.length; i++) {
                if (st.get("grad_in" + i) == null) continue;
                Tensor g = in[i].grad();
                assertNotNull(g, file + ": no gradient reached in" + i);
                assertArrayEquals(in[i].shape(), g.shape(), file + ": grad_in" + i + " shape");
                assertClose(file + ": grad_in" + i, readFloats(st, "grad_in" + i), g.toFloatArray(), tol);
                checked++;
            }
            assertTrue(checked > 0, file + ": a proj without gradients");
        }
    }

    // ---------------------------------------------------------------------------------------
    // op dispatch
    // ---------------------------------------------------------------------------------------

    private static Tensor apply(String op, Map<String, Object> p, Tensor[] in) {
        return switch (op) {
            case "add" -> in[0].add(in[1]);
            case "sub" -> in[0].sub(in[1]);
            case "mul" -> in[0].mul(in[1]);
            case "div" -> in[0].div(in[1]);
            case "pow" -> in[0].pow(dbl(p, "exponent"));
            case "exp" -> in[0].exp();
            case "log" -> in[0].log();
            case "sqrt" -> in[0].sqrt();
            case "rsqrt" -> in[0].rsqrt();
            case "abs" -> in[0].abs();
            case "tanh" -> in[0].tanh();
            case "sigmoid" -> in[0].sigmoid();
            case "silu" -> in[0].silu();
            case "gelu" -> in[0].gelu();
            case "gelu_tanh" -> in[0].geluTanh();
            case "relu" -> in[0].relu();
            case "clamp" -> in[0].clamp(dbl(p, "min"), dbl(p, "max"));
            case "where" -> Tensor.where(in[0], in[1], in[2]);
            case "sum" -> in[0].sum(ints(p, "dims"), bool(p, "keepdim"));
            case "mean" -> in[0].mean(ints(p, "dims"), bool(p, "keepdim"));
            case "var" -> in[0].var(ints(p, "dims"), bool(p, "keepdim"), integer(p, "correction"));
            case "max" -> in[0].max(integer(p, "dim"), bool(p, "keepdim"));
            case "argmax" -> in[0].argmax(integer(p, "dim"), bool(p, "keepdim"));
            case "logsumexp" -> in[0].logsumexp(integer(p, "dim"), bool(p, "keepdim"));
            case "matmul" -> in[0].matmul(in[1]);
            case "linear" -> F.linear(in[0], bool(p, "weight_bf16") ? in[1].to(DType.BF16) : in[1], opt(in, 2));
            case "softmax" -> F.softmax(in[0], integer(p, "dim"));
            case "log_softmax" -> F.logSoftmax(in[0], integer(p, "dim"));
            case "gather" -> in[0].gather(integer(p, "dim"), in[1]);
            case "index_select" -> in[0].indexSelect(integer(p, "dim"), in[1]);
            case "embedding" -> F.embedding(in[0], in[1]);
            case "scatter_add" -> in[0].scatterAdd(integer(p, "dim"), in[1], in[2]);
            case "cat" -> Tensor.cat(integer(p, "dim"), in);
            case "stack" -> Tensor.stack(integer(p, "dim"), in);
            case "conv2d" -> {
                int[] stride = pair(p, "stride"), padding = pair(p, "padding");
                yield F.conv2d(in[0], in[1], opt(in, 2), stride[0], stride[1], padding[0], padding[1]);
            }
            case "upsample_nearest" -> F.upsampleNearest(in[0], integer(p, "scale"));
            case "pad" -> F.pad(in[0], ints(p, "pads"), dbl(p, "value"));
            case "group_norm" -> F.groupNorm(in[0], integer(p, "groups"), opt(in, 1), opt(in, 2), dbl(p, "eps"));
            case "rms_norm" -> F.rmsNorm(in[0], opt(in, 1), dbl(p, "eps"));
            case "layer_norm" -> F.layerNorm(in[0], opt(in, 1), opt(in, 2), dbl(p, "eps"));
            case "attention" -> {
                AttentionSpec spec = bool(p, "causal") ? AttentionSpec.causal(dbl(p, "scale")) : AttentionSpec.full(dbl(p, "scale"));
                yield F.attention(in[0], in[1], in[2], spec);
            }
            case "cross_entropy" -> F.crossEntropy(in[0], in[1], integer(p, "ignore_index"), dbl(p, "z_loss"));
            case "bf16_round" -> in[0].to(DType.BF16).to(DType.F32);
            default -> throw new AssertionError("fixture op '" + op + "' has no mapping in GoldenOpsTest");
        };
    }

    /** in[i], or null for an optional input the fixture does not have. */
    private static Tensor opt(Tensor[] in, int i) {
        return i < in.length ? in[i] : null;
    }

    /** An int param given either as one number (both dims) or as a pair [h, w]. */
    private static int[] pair(Map<String, Object> p, String k) {
        if (p.get(k) instanceof List<?>) {
            int[] r = ints(p, k);
            if (r.length != 2) throw new AssertionError("param " + k + " must be a pair");
            return r;
        }
        int v = integer(p, k);
        return new int[] {v, v};
    }

    private static double dbl(Map<String, Object> p, String k) {
        Object v = p.get(k);
        if (!(v instanceof Number n)) throw new AssertionError("param " + k + " missing or not a number: " + v);
        return n.doubleValue();
    }

    private static int integer(Map<String, Object> p, String k) {
        Object v = p.get(k);
        if (!(v instanceof Long n)) throw new AssertionError("param " + k + " missing or not an integer: " + v);
        return Math.toIntExact(n);
    }

    private static boolean bool(Map<String, Object> p, String k) {
        return Boolean.TRUE.equals(p.get(k));
    }

    private static int[] ints(Map<String, Object> p, String k) {
        if (!(p.get(k) instanceof List<?> l)) throw new AssertionError("param " + k + " missing or not a list");
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = Math.toIntExact((Long) l.get(i));
        return r;
    }

    // ---------------------------------------------------------------------------------------
    // fixture reading
    // ---------------------------------------------------------------------------------------

    private static Tensor load(SafetensorsFile st, String name) {
        SafetensorsFile.Entry e = st.get(name);
        int[] shape = toInts(e.shape());
        MemorySegment seg = st.data(e);
        return switch (e.dtypeName()) {
            case "F32" -> Tensor.fromArray(seg.toArray(F32_LE), shape);
            case "I64" -> Tensor.fromArray(seg.toArray(I64_LE), shape);
            case "U8", "BOOL" -> Tensor.fromArray(seg.toArray(ValueLayout.JAVA_BYTE), shape);
            default -> throw new AssertionError(name + ": unexpected fixture dtype " + e.dtypeName());
        };
    }

    private static float[] readFloats(SafetensorsFile st, String name) {
        SafetensorsFile.Entry e = st.get(name);
        assertNotNull(e, "no tensor " + name);
        assertEquals("F32", e.dtypeName(), name + " dtype");
        return st.data(e).toArray(F32_LE);
    }

    private static long[] readLongs(SafetensorsFile st, String name) {
        SafetensorsFile.Entry e = st.get(name);
        assertNotNull(e, "no tensor " + name);
        assertEquals("I64", e.dtypeName(), name + " dtype");
        return st.data(e).toArray(I64_LE);
    }

    private static int[] toInts(long[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) r[i] = Math.toIntExact(s[i]);
        return r;
    }

    // ---------------------------------------------------------------------------------------
    // comparison
    // ---------------------------------------------------------------------------------------

    /** ‖actual − expected‖∞ ≤ tol · max(1, ‖expected‖∞); no NaN/inf in either. */
    static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double maxRef = 0, maxErr = 0;
        int worst = -1;
        for (int i = 0; i < expected.length; i++) {
            if (!Float.isFinite(actual[i])) fail(what + ": non-finite value " + actual[i] + " at " + i + " (expected " + expected[i] + ")");
            maxRef = Math.max(maxRef, Math.abs((double) expected[i]));
            double err = Math.abs((double) actual[i] - expected[i]);
            if (err > maxErr) {
                maxErr = err;
                worst = i;
            }
        }
        double bound = tol * Math.max(1, maxRef);
        if (maxErr > bound) {
            fail(String.format("%s: max |diff| %.3g > %.3g (tol %.0e · max(1, %.4g)); worst at flat index %d: got %s, expected %s",
                    what, maxErr, bound, tol, maxRef, worst, actual[worst], expected[worst]));
        }
    }

    /** Bit-exact equality, except that any NaN matches any NaN (payloads and sign are not specified). */
    static void assertBitExact(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": element count");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            boolean ok = Float.isNaN(expected[i])
                    ? Float.isNaN(actual[i])
                    : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i]);
            if (!ok) {
                bad.add(String.format("[%d] got 0x%08x expected 0x%08x", i,
                        Float.floatToRawIntBits(actual[i]), Float.floatToRawIntBits(expected[i])));
            }
        }
        assertFalse(!bad.isEmpty(), what + ": " + bad.size() + " mismatches: " + String.join(", ", bad.subList(0, Math.min(10, bad.size()))));
    }

    @Test
    void comparisonHelpersRejectMismatches() {
        assertClose("same", new float[] {1, 2}, new float[] {1, 2}, 1e-5);
        assertThrowsAssertion(() -> assertClose("off", new float[] {1, 2}, new float[] {1, 2.001f}, 1e-5));
        assertThrowsAssertion(() -> assertClose("nan", new float[] {1}, new float[] {Float.NaN}, 1e-5));
        assertBitExact("nan", new float[] {Float.NaN, -0f}, new float[] {Float.intBitsToFloat(0x7fc00001), -0f});
        assertThrowsAssertion(() -> assertBitExact("zero sign", new float[] {-0f}, new float[] {0f}));
    }

    private static void assertThrowsAssertion(Runnable r) {
        try {
            r.run();
        } catch (AssertionError expected) {
            return;
        }
        fail("expected an assertion failure");
    }
}
