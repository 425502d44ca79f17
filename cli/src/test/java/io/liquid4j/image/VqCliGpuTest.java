package io.liquid4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** `liquid vq encode|decode|roundtrip --device cuda` on the small random VQGAN, against the CPU. */
@Tag("gpu")
class VqCliGpuTest {
    @BeforeEach
    void needsGpu() {
        assumeTrue(Backends.isAvailable(Device.cuda(0)), "no CUDA device: " + Backends.cudaUnavailableReason());
    }

    @Test
    void decodeOnCudaDrawsTheCpuImage() throws Exception {
        Path dir = Files.createTempDirectory("l4j-vq-gpu");
        Path model = VqCliTest.smallModel(Files.createDirectory(dir.resolve("vq")));
        String img = ImagePipelineTest.resource("src_rgba.png").toString();
        Path codes = dir.resolve("codes.json");
        VqCliTest.stdout("vq", "encode", "--vqgan", model.toString(), "--image", img, "--out", codes.toString());
        Path cpu = dir.resolve("cpu.png"), gpu = dir.resolve("gpu.png");
        VqCliTest.stdout("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", cpu.toString());
        VqCliTest.stdout("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", gpu.toString(), "--device", "cuda");
        byte[] a = ImageFiles.read(cpu).data(), b = ImageFiles.read(gpu).data();
        assertEquals(a.length, b.length);
        int worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        assertTrue(worst <= 1, "GPU and CPU decodes differ by up to " + worst + " levels");   // truncation to uint8 may flip one level
    }

    @Test
    void encodeAndRoundtripRunOnCuda() throws Exception {
        Path dir = Files.createTempDirectory("l4j-vq-gpu");
        Path model = VqCliTest.smallModel(Files.createDirectory(dir.resolve("vq")));
        String img = ImagePipelineTest.resource("src_rgba.png").toString();
        String grid = VqCliTest.stdout("vq", "encode", "--vqgan", model.toString(), "--image", img, "--device", "cuda");
        assertEquals(8, grid.lines().count(), grid);
        String report = VqCliTest.stdout("vq", "roundtrip", "--vqgan", model.toString(), "--image", img, "--out",
                dir.resolve("rt.png").toString(), "--device", "cuda");
        assertTrue(report.startsWith("PSNR "), report);
    }
}
