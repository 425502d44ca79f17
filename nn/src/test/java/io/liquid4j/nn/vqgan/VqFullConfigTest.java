package io.liquid4j.nn.vqgan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chameleon's full config (68.7M parameters): structure and a small run always; the 512-px
 * golden comparison only when asked for (LIQUID_SLOW_TESTS=1) and `make_vqgan_fixtures.py --full`
 * has written target/vqgan-full.
 */
class VqFullConfigTest {
    /** Parameter count of PyTorch's VQModel for this config (printed by make_vqgan_fixtures.py --full). */
    static final long CHAMELEON_PARAMETERS = 68_718_467L;

    @Test void chameleonStructureMatchesPyTorch() {
        VQModel m = new VQModel(VqConfig.chameleon(), new Generator(7));
        assertEquals(CHAMELEON_PARAMETERS, m.parameterCount());
        Map<String, ?> p = m.namedParameters();
        assertArrayEquals(new int[] {8192, 256}, m.namedParameters().get("quantize.embedding.weight").shape());
        assertArrayEquals(new int[] {256, 512, 3, 3}, m.namedParameters().get("decoder.up.3.block.0.conv1.weight").shape());
        assertArrayEquals(new int[] {256, 128, 1, 1}, m.namedParameters().get("encoder.down.2.block.0.nin_shortcut.weight").shape());
        assertTrue(p.containsKey("encoder.down.3.downsample.conv.bias") && !p.containsKey("encoder.down.4.downsample.conv.bias"));
        assertTrue(p.containsKey("decoder.up.1.upsample.conv.weight") && !p.containsKey("decoder.up.0.upsample.conv.weight"));
        assertTrue(p.containsKey("decoder.up.0.block.2.conv2.weight") && p.containsKey("encoder.mid.attn_1.proj_out.weight"));
        m.train(false);
        try (var _ = GradMode.noGrad()) {
            Tensor x = Tensor.rand(new Generator(1), 1, 3, 32, 32).mul(2).sub(1);
            Tensor codes = m.encode(x);
            assertArrayEquals(new int[] {1, 2, 2}, codes.shape());
            assertArrayEquals(new int[] {1, 3, 32, 32}, m.decode(codes).shape());
        }
    }

    static Path fullDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("target/vqgan-full");
            if (Files.isRegularFile(d.resolve("io.safetensors"))) return d;
        }
        return null;
    }

    @Tag("slow")
    @Test void chameleon512MatchesPyTorch() {
        assumeTrue(Boolean.getBoolean("liquid.slowTests") || System.getenv("LIQUID_SLOW_TESTS") != null,
                "slow: set LIQUID_SLOW_TESTS=1 (or -Dliquid.slowTests=true) to run the 512-px comparison (~1-2 min)");
        Path dir = fullDir();
        assumeTrue(dir != null, "run tools/golden/make_vqgan_fixtures.py --full first");
        VQModel m = VQModel.load(dir);
        Map<String, Tensor> io = Checkpoint.loadAll(dir.resolve("io.safetensors"));
        try (var _ = GradMode.noGrad()) {
            long t0 = System.nanoTime();
            Tensor h = m.encodeLatent(io.get("x"));
            long t1 = System.nanoTime();
            double errH = VqGoldenTest.relErr(h, io.get("h"));
            long[] ours = m.quantizer().codes(h).toLongArray();
            int clear = QuantizerMargins.assertCodesAgree(io.get("h"), m.quantizer().codebook(), ours, io.get("codes").toLongArray(), 1e-4);
            long t2 = System.nanoTime();
            Tensor dec = m.decode(io.get("codes"));
            long t3 = System.nanoTime();
            double errD = VqGoldenTest.relErr(dec, io.get("dec"));
            System.err.printf("chameleon 512: encode %.2f s, decode %.2f s, latent rel err %.2e, decode rel err %.2e, %d/1024 clear codes%n",
                    (t1 - t0) / 1e9, (t3 - t2) / 1e9, errH, errD, clear);
            assertTrue(errH <= 1e-4, "latent rel err " + errH);
            assertTrue(errD <= 1e-4, "decode rel err " + errD);
        }
    }
}
