package io.liquid4j.convert.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `convert-weights vqgan`: yaml config, weights kept exactly, loss keys dropped, result loadable. */
class VqganImporterTest {
    @Test void readsChameleonStyleYaml() {
        VqConfig c = VqganImporter.readYaml(TorchCheckpointTest.resource("small.yaml"));
        assertEquals(8, c.embedDim());
        assertEquals(64, c.nEmbed());
        assertArrayEquals(new int[] {1, 1}, c.chMult());
        assertArrayEquals(new int[] {8}, c.attnResolutions());
    }

    @Test void importsTheSmallCheckpoint(@TempDir Path dir) {
        var r = VqganImporter.convert(TorchCheckpointTest.resource("small.ckpt"), TorchCheckpointTest.resource("small.yaml"), dir, false, null);
        assertEquals(java.util.List.of("loss.logvar", "loss.discriminator.main.0.weight"), r.dropped());
        Map<String, Tensor> ref = TorchCheckpointTest.reference();
        Map<String, Tensor> out = Checkpoint.loadAll(dir.resolve("model.safetensors"));
        assertEquals(ref.keySet(), out.keySet());
        for (var e : ref.entrySet()) {
            assertArrayEquals(e.getValue().to(DType.F32).toFloatArray(), out.get(e.getKey()).to(DType.F32).toFloatArray(), e.getKey());
        }
        assertEquals(DType.BF16, out.get("quant_conv.weight").dtype());
        VQModel m = VQModel.load(dir);
        assertEquals(r.parameters(), m.parameterCount());
    }

    @Test void theCliSubcommandWritesTheModelDirectory(@TempDir Path dir) {
        Path out = dir.resolve("vq");
        int code = LiquidCli.execute("convert-weights", "vqgan", "--ckpt", TorchCheckpointTest.resource("small.ckpt").toString(),
                "--config", TorchCheckpointTest.resource("small.yaml").toString(), "--out", out.toString());
        assertEquals(0, code);
        assertTrue(Files.isRegularFile(out.resolve("config.json")) && Files.isRegularFile(out.resolve("model.safetensors")));
        int bad = LiquidCli.execute("convert-weights", "vqgan", "--ckpt", TorchCheckpointTest.resource("evil.ckpt").toString(),
                "--config", TorchCheckpointTest.resource("small.yaml").toString(), "--out", dir.resolve("x").toString());
        assertEquals(1, bad);
    }
}
