package io.liquid4j.nn.vqgan;

import static io.liquid4j.nn.GpuParity.F32_TOL;
import static io.liquid4j.nn.GpuParity.GPU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.GpuParity;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.Checkpoint;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The small golden VQGAN (VqGoldenTest's fixture) on cuda:0 against the CPU: encoder latents,
 * decoder output from latents and from codes, and the codes themselves wherever the nearest
 * codebook entry is clear. F32 weights (VQGAN checkpoints are F32).
 */
@Tag("gpu")
class VqGpuParityTest {
    VQModel cpu, gpu;
    Map<String, Tensor> io;
    TensorScope scope;

    static VQModel load(Device device) {
        VQModel m = new VQModel(VqConfig.read(VqGoldenTest.resource("small_config.json")), new Generator(1));
        try (Checkpoint ckpt = Checkpoint.open(VqGoldenTest.resource("small_model.safetensors"))) {
            m.load(ckpt, DType.F32, device, true);
        }
        m.train(false);
        return m;
    }

    @BeforeEach
    void setUp() {
        GpuParity.assumeGpu();
        cpu = load(Device.CPU);
        gpu = load(GPU);
        io = Checkpoint.loadAll(VqGoldenTest.resource("small_io.safetensors"));
        scope = TensorScope.open();
    }

    @AfterEach
    void tearDown() { if (scope != null) scope.close(); }

    private static void compare(String what, Tensor g, Tensor c) {
        GpuParity p = new GpuParity("vqgan " + what, F32_TOL);
        p.check("whole tensor", g, c);
        p.report();
    }

    @Test
    void encoderLatentsMatchCpu() {
        try (var _ = GradMode.noGrad()) {
            Tensor x = io.get("x");
            compare("encode latent", gpu.encodeLatent(x.to(GPU)), cpu.encodeLatent(x));
        }
    }

    @Test
    void decodeOfLatentMatchesCpu() {
        try (var _ = GradMode.noGrad()) {
            Tensor h = io.get("h");
            compare("decode latent", gpu.decodeLatent(h.to(GPU)), cpu.decodeLatent(h));
        }
    }

    @Test
    void decodeOfCodesMatchesCpu() {
        try (var _ = GradMode.noGrad()) {
            Tensor codes = io.get("codes");
            compare("decode codes", gpu.decode(codes.to(GPU)), cpu.decode(codes));
        }
    }

    @Test
    void codesMatchCpuWhereTheNearestCodeIsClear() {
        try (var _ = GradMode.noGrad()) {
            Tensor h = io.get("h");
            long[] g = gpu.quantizer().codes(h.to(GPU)).toLongArray(), c = cpu.quantizer().codes(h).toLongArray();
            int clear = QuantizerMargins.assertCodesAgree(h, cpu.quantizer().codebook(), g, c, 1e-4);
            assertTrue(clear >= c.length * 9 / 10, "only " + clear + " of " + c.length + " codes have a clear nearest entry");
            // the whole encoder on the GPU: its latent differs from the CPU's by ~1e-5, so allow a wider margin
            Tensor x = io.get("x");
            Tensor latent = cpu.encodeLatent(x);
            Tensor ge = gpu.encode(x.to(GPU));
            assertEquals(GPU, ge.device());
            QuantizerMargins.assertCodesAgree(latent, cpu.quantizer().codebook(), ge.toLongArray(), cpu.encode(x).toLongArray(), 1e-3);
            System.out.printf("MODEL_PARITY %-40s %d of %d codes clear: all agree%n", "vqgan codes", clear, c.length);
        }
    }
}
