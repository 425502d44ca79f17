package io.liquid4j.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The decode-time kernels give the same bits before and after C2 compiles them: the GEMV loops
 * of F32, BF16, F16, Q8_0 and Q4_0 weights (one to eight x rows, with tails, and the chunked
 * many-row loops), the decode attention, the elementwise functions, and one training step's
 * forward, backward and AdamW kernels. Each horizontal sum must go through {@link
 * VectorMath#laneSum}: {@code reduceLanes(ADD)} adds in lane order in the interpreter and C1 and
 * in a tree once C2 has compiled the loop, so the same prompt and seed could decode differently
 * depending on how warm the JVM was; likewise the Vector API's TANH, LOG and POW (a Java
 * fallback, then an SVML stub). One child JVM runs the kernels interpreted ({@code -Xint}), another runs
 * them until C2 has compiled them; both are fresh, so the result does not depend on which tests
 * ran before in this JVM. Runs in both vector shapes (tensor/pom.xml's avx2-shape execution
 * passes -XX:MaxVectorSize=32 on, and the children inherit it).
 */
class JitTierBitsTest {
    /** Run in a child JVM: every case's output bits, one line per case; "warm" repeats them first. */
    public static final class Probe {
        public static void main(String[] args) {
            int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
            String last = null;
            for (int r = 0; r < rounds; r++) last = outputs();
            System.out.print(last);
        }
    }

    /** The outputs of every case as hex float bits. */
    static String outputs() {
        StringBuilder sb = new StringBuilder();
        try (var _ = TensorScope.open()) {
            Generator gen = new Generator(11);
            for (int[] mk : new int[][] {{1, 200}, {2, 200}, {3, 200}, {8, 200}, {4, 1100}}) {   // k 1100: chunks of the many-row loops
                int m = mk[0], k = mk[1];
                Tensor x = Tensor.randn(gen, m, k);
                Tensor w = Tensor.randn(gen, 24, k);
                line(sb, "f32 m=" + m + " k=" + k, F.linear(x, w, null));
                line(sb, "bf16 m=" + m + " k=" + k, F.linear(x, w.to(DType.BF16), null));
                line(sb, "f16 m=" + m + " k=" + k, F.linear(x, w.to(DType.F16), null));
            }
            for (QuantFormat fmt : QuantFormat.values()) {
                for (int m : new int[] {1, 2, 4, 5}) {
                    for (int k : new int[] {96, 256}) {
                        Tensor x = Tensor.randn(gen, m, k);
                        QuantizedWeight w = QuantizedWeight.quantize(Tensor.randn(gen, 12, k), fmt);
                        line(sb, fmt + " m=" + m + " k=" + k, F.linear(x, w, null));
                    }
                }
            }
            Tensor u = Tensor.randn(gen, 4, 203).mul(3);
            Tensor pos = u.abs().add(1e-3);
            line(sb, "exp", u.exp());
            line(sb, "log", pos.log());
            line(sb, "pow", pos.pow(0.37));
            line(sb, "tanh", u.tanh());
            line(sb, "sigmoid", u.sigmoid());
            line(sb, "silu", u.silu());
            line(sb, "gelu_tanh", u.geluTanh());
            training(sb, gen);
            for (int lq = 1; lq <= 4; lq++) {
                Tensor q = Tensor.randn(gen, DType.F32, Device.CPU, 1, 2, lq, 40);
                Tensor k = Tensor.randn(gen, DType.F32, Device.CPU, 1, 2, 37, 40);
                Tensor v = Tensor.randn(gen, DType.F32, Device.CPU, 1, 2, 37, 40);
                line(sb, "attention lq=" + lq, F.attention(q, k, v, AttentionSpec.causal(1 / Math.sqrt(40))));
            }
        }
        return sb.toString();
    }

    /**
     * One forward and backward pass through the training kernels (the packed GEMM, the tiled
     * attention, RMSNorm, GroupNorm + SiLU, a strided convolution, RoPE, the fused LM head + loss
     * with z-loss, a Winograd convolution of VQGAN size) and an AdamW update: the bits a resumed
     * training run depends on.
     */
    private static void training(StringBuilder sb, Generator gen) {
        Tensor x = Tensor.randn(gen, 2, 40, 48).requiresGrad(true);
        Tensor w = Tensor.randn(gen, 56, 48).mul(0.2).requiresGrad(true);
        Tensor norm = Tensor.randn(gen, 48).requiresGrad(true);
        Tensor h = F.linear(F.rmsNorm(x, norm, 1e-5), w, null);                         // [2, 40, 56]
        Tensor q = h.reshape(2, 40, 2, 28).transpose(1, 2);
        float[] c = new float[40 * 14], sn = new float[40 * 14];
        for (int t = 0; t < 40; t++) {
            for (int i = 0; i < 14; i++) {
                double angle = t * Math.pow(10000, -i / 14.0);
                c[t * 14 + i] = (float) Math.cos(angle);
                sn[t * 14 + i] = (float) Math.sin(angle);
            }
        }
        Tensor cos = Tensor.fromArray(c, 1, 1, 40, 14), sin = Tensor.fromArray(sn, 1, 1, 40, 14);
        Tensor a = F.attention(F.rope(q, cos, sin), q, q, AttentionSpec.causal(1 / Math.sqrt(28)));
        Tensor img = a.transpose(1, 2).reshape(2, 16, 10, 14);
        Tensor cw = Tensor.randn(gen, 8, 16, 3, 3).mul(0.1).requiresGrad(true);
        Tensor conv = F.conv2d(F.groupNormSilu(img, 4, null, null, 1e-5), cw, null, 2, 1);   // [2, 8, 5, 7]
        Tensor head = Tensor.randn(gen, 40, 35).mul(0.1).requiresGrad(true);   // [V, H]: 40 classes
        Tensor targets = Tensor.fromArray(new long[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3}, 16);
        Tensor loss = F.linearCrossEntropy(conv.reshape(16, 35), head, targets, -100, 1e-4, 0);
        loss.backward();
        line(sb, "train loss", loss);
        line(sb, "train grad x", x.grad());
        line(sb, "train grad w", w.grad());
        line(sb, "train grad norm", norm.grad());
        line(sb, "train grad conv", cw.grad());
        line(sb, "train grad head", head.grad());
        // a VQGAN-sized 3×3 convolution: Winograd forward and input gradient, im2col filter gradient
        Tensor big = Tensor.randn(gen, 1, 16, 32, 32).requiresGrad(true);
        Tensor bw = Tensor.randn(gen, 16, 16, 3, 3).mul(0.1).requiresGrad(true);
        Tensor out = F.conv2d(big, bw, null, 1, 1);
        out.mul(out).sum().backward();
        line(sb, "train winograd", out);
        line(sb, "train winograd grad x", big.grad());
        line(sb, "train winograd grad w", bw.grad());
        Tensor m = Tensor.zeros(56, 48), v = Tensor.zeros(56, 48), p = w.detach().clone();
        F.adamwUpdate(p, w.grad(), m, v, null, new F.AdamWStep(1e-3, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.001));
        line(sb, "train adamw", p);
    }

    private static void line(StringBuilder sb, String name, Tensor t) {
        sb.append(name).append(':');
        for (float f : t.toFloatArray()) sb.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(f)));
        sb.append('\n');
    }

    private static String child(String jitFlag, String rounds) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-XX:MaxVectorSize") || a.startsWith("-XX:UseAVX")) cmd.add(a);
        }
        if (jitFlag != null) cmd.add(jitFlag);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName(), rounds));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish: " + cmd);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The output lines of the cases (the JVM's own warnings left out). */
    private static String[] cases(String out) {
        return out.lines().filter(l -> l.contains(":") && !l.startsWith("WARNING")).toArray(String[]::new);
    }

    @Test
    void decodeKernelsGiveTheSameBitsInterpretedAndCompiled() throws Exception {
        String interpreted = child("-Xint", "1");
        String compiled = child(null, "400");
        String[] a = cases(interpreted), b = cases(compiled);
        assertEquals(52, a.length, interpreted);
        assertEquals(52, b.length, compiled);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], "interpreted vs compiled, case " + a[i].substring(0, a[i].indexOf(':')));
    }
}
