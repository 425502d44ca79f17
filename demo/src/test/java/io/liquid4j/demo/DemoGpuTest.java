package io.liquid4j.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * `liquid demo --size tiny --device cuda`: every stage (VQGAN and LM training, extend-vocab,
 * prepare, the multimodal stage, generation and captioning in the evaluation) through the real
 * commands on the GPU, for bench/gpu-check.sh. Like the CPU test it asserts that the stages connect
 * and the scorer validates, not the tiny models' quality. No @TempDir (GpuTestRunner does not
 * inject parameters): the temp dir is made by hand.
 */
@Tag("gpu")
class DemoGpuTest {
    @BeforeEach
    void needsGpu() {
        assumeTrue(Backends.isAvailable(Device.cuda(0)), "no CUDA device: " + Backends.cudaUnavailableReason());
    }

    @Test
    void tinyDemoRunsEveryStageOnCuda() throws Exception {
        Path out = Files.createTempDirectory("l4j-demo-gpu").resolve("demo");
        assertEquals(0, LiquidCli.execute("demo", "--size", "tiny", "--device", "cuda", "--out", out.toString()));
        for (String stage : DemoCommandTest.STAGES) {
            assertTrue(Files.isRegularFile(out.resolve("work").resolve(stage).resolve(".done.json")), stage + " finished");
        }
        @SuppressWarnings("unchecked") Map<String, Object> scorer = (Map<String, Object>) ((Map<?, ?>) Json.parseFile(out.resolve("work/scorer/.done.json"))).get("results");
        assertTrue(((Number) scorer.get("validation_rate")).doubleValue() >= 0.99, "scorer validation " + scorer);
        assertTrue(Files.isRegularFile(out.resolve("work/liquid/run/final/model.safetensors")), "multimodal model trained");
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("device `cuda`"), "the report names the device it ran on");
        for (String section : new String[] {"Text-to-image", "Captioning", "Text perplexity", "VQGAN"}) assertTrue(md.contains(section), section);
    }
}
