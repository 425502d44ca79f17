package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * `liquid generate|logits --device cuda` against the same commands on the CPU. No @TempDir
 * (bench/gpu-check.sh's GpuTestRunner does not inject parameters): temp dirs are made by hand.
 */
@Tag("gpu")
class CliGpuTest {
    @BeforeEach
    void needsGpu() {
        assumeTrue(Backends.isAvailable(Device.cuda(0)), "no CUDA device: " + Backends.cudaUnavailableReason());
    }

    @Test
    void logitsOnCudaMatchTheCpu() throws Exception {
        Path tmp = Files.createTempDirectory("l4j-cli-gpu");
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), TinyModels.GEMMA2_CONFIG, 31);
        Path cpu = tmp.resolve("cpu.safetensors"), gpu = tmp.resolve("gpu.safetensors");
        run("logits", "--model", dir.toString(), "--ids", "2,7,9,11,5", "--out", cpu.toString());
        run("logits", "--model", dir.toString(), "--ids", "2,7,9,11,5", "--out", gpu.toString(), "--device", "cuda");
        Tensor c = Checkpoint.loadAll(cpu).get("logits"), g = Checkpoint.loadAll(gpu).get("logits");
        assertArrayEquals(c.shape(), g.shape());
        float[] a = c.toFloatArray(), b = g.toFloatArray();
        double diff = 0, scale = 1e-30;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        assertTrue(diff / scale <= 1e-4, "GPU logits differ from the CPU's by " + diff / scale + " (relative)");
    }

    @Test
    void greedyGenerationOnCudaGivesTheCpuIds() throws Exception {
        Path dir = TinyModels.saveRandom(Files.createTempDirectory("l4j-cli-gpu").resolve("m"), TinyModels.LLAMA_CONFIG, 32);
        String[] args = {"generate", "--model", dir.toString(), "--prompt-ids", "5,17,3", "--print-ids", "--max-new-tokens", "8"};
        String cpu = run(args);
        String[] onGpu = java.util.Arrays.copyOf(args, args.length + 2);
        onGpu[args.length] = "--device";
        onGpu[args.length + 1] = "cuda:0";
        assertEquals(cpu, run(onGpu), "greedy ids (a near-tie in a random model could flip one: compare the logits test first)");
    }

    static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, LiquidCli.execute(args), "exit code of " + String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
