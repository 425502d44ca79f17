package io.liquid4j.nn.vqgan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The small-config VQModel against PyTorch (tools/golden/make_vqgan_fixtures.py). */
class VqGoldenTest {
    static VQModel model;
    static Map<String, Tensor> io;

    static Path resource(String name) {
        try {
            return Path.of(VqGoldenTest.class.getResource("/vqgan/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll static void load() {
        VqConfig cfg = VqConfig.read(resource("small_config.json"));
        model = new VQModel(cfg, new Generator(1));
        try (Checkpoint ckpt = Checkpoint.open(resource("small_model.safetensors"))) {
            model.load(ckpt, DType.F32, Device.CPU, true);
        }
        model.train(false);
        io = Checkpoint.loadAll(resource("small_io.safetensors"));
    }

    /** max |a − b| / max(max|b|, 1e-6): the relative error over the whole tensor. */
    static double relErr(Tensor a, Tensor b) {
        assertArrayEquals(b.shape(), a.shape(), "shape");
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double diff = 0, scale = 1e-6;
        for (int i = 0; i < x.length; i++) {
            diff = Math.max(diff, Math.abs(x[i] - y[i]));
            scale = Math.max(scale, Math.abs(y[i]));
        }
        return diff / scale;
    }

    @Test void latentsMatchPyTorch() {
        try (var _ = GradMode.noGrad()) {
            Tensor h = model.encodeLatent(io.get("x"));
            assertTrue(relErr(h, io.get("h")) <= 1e-4, "latent rel err " + relErr(h, io.get("h")));
        }
    }

    @Test void decodeOfLatentMatchesPyTorch() {
        try (var _ = GradMode.noGrad()) {
            Tensor y = model.decodeLatent(io.get("h"));
            assertTrue(relErr(y, io.get("dec_h")) <= 1e-4, "decode rel err " + relErr(y, io.get("dec_h")));
        }
    }

    @Test void decodeOfCodesMatchesPyTorch() {
        try (var _ = GradMode.noGrad()) {
            Tensor y = model.decode(io.get("codes"));
            assertTrue(relErr(y, io.get("dec")) <= 1e-4, "decode rel err " + relErr(y, io.get("dec")));
        }
    }

    @Test void codesMatchWhereTheNearestCodeIsClear() {
        try (var _ = GradMode.noGrad()) {
            Tensor h = io.get("h");
            long[] ours = model.quantizer().codes(h).toLongArray();
            long[] ref = io.get("codes").toLongArray();
            int clear = QuantizerMargins.assertCodesAgree(h, model.quantizer().codebook(), ours, ref, 1e-4);
            assertTrue(clear >= ref.length * 9 / 10, "only " + clear + " of " + ref.length + " codes have a clear nearest entry");
        }
    }

    @Test void encodeGivesCodesOfTheGrid() {
        try (var _ = GradMode.noGrad()) {
            Tensor codes = model.encode(io.get("x"));
            assertArrayEquals(new int[] {2, 8, 8}, codes.shape());
            assertEquals(DType.I64, codes.dtype());
        }
    }

    @Test void parameterNamesAreTheCheckpointKeys() {
        try (Checkpoint ckpt = Checkpoint.open(resource("small_model.safetensors"))) {
            assertEquals(ckpt.names(), model.namedParameters().keySet().stream().collect(java.util.stream.Collectors.toSet()));
        }
    }
}
