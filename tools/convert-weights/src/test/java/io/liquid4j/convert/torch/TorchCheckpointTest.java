package io.liquid4j.convert.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zip reader and restricted unpickler against checkpoints written by torch.save (tools/golden/make_vqgan_fixtures.py). */
class TorchCheckpointTest {
    static Path resource(String name) {
        try {
            return Path.of(TorchCheckpointTest.class.getResource("/vqgan/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same weights as safetensors, from the nn module's fixtures. */
    static Map<String, Tensor> reference() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("nn/src/test/resources/vqgan/small_model.safetensors");
            if (Files.isRegularFile(f)) return Checkpoint.loadAll(f);
        }
        throw new IllegalStateException("nn/src/test/resources/vqgan/small_model.safetensors not found above " + Path.of("").toAbsolutePath());
    }

    @Test void rebuildsEveryTensorExactly() {
        Map<String, Tensor> ref = reference();
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(resource("small.ckpt"), false)) {
            Map<String, TensorRef> sd = ckpt.stateDict();
            for (var e : ref.entrySet()) {
                TensorRef t = sd.get(e.getKey());
                assertTrue(t != null, "missing " + e.getKey());
                Tensor ours = ckpt.tensor(e.getKey(), t);
                assertArrayEquals(e.getValue().shape(), ours.shape(), e.getKey());
                assertArrayEquals(e.getValue().to(DType.F32).toFloatArray(), ours.to(DType.F32).toFloatArray(), e.getKey());
            }
            assertTrue(sd.containsKey("loss.logvar") && sd.containsKey("loss.discriminator.main.0.weight"));
        }
    }

    @Test void keepsStorageDtypesStridesAndOffsets() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(resource("small.ckpt"), false)) {
            Map<String, TensorRef> sd = ckpt.stateDict();
            assertEquals(DType.BF16, ckpt.tensor("q", sd.get("quant_conv.weight")).dtype());
            assertEquals(DType.F16, ckpt.tensor("c", sd.get("encoder.conv_in.weight")).dtype());
            TensorRef codebook = sd.get("quantize.embedding.weight");
            assertEquals(DType.F32, codebook.storage().type().dtype());
            assertArrayEquals(new long[] {1, 64}, codebook.stride());
            assertFalse(codebook.isContiguous());
            TensorRef a = sd.get("encoder.conv_in.bias"), b = sd.get("decoder.conv_out.bias");
            assertEquals(a.storage().key(), b.storage().key(), "views of one storage");
            assertEquals(5, a.offset());
            assertEquals(5 + 32, b.offset());
            assertEquals(0, sd.get("loss.logvar").shape().length, "0-d tensor");
        }
    }

    @Test void readsTheLightningExtras() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(resource("small.ckpt"), false)) {
            Map<?, ?> root = (Map<?, ?>) ckpt.root();
            assertEquals(3L, root.get("epoch"));
            assertEquals(1000L, root.get("global_step"));
            assertEquals("1.0.8", root.get("pytorch-lightning_version"));
            List<?> opt = (List<?>) root.get("optimizer_states");
            Map<?, ?> group = (Map<?, ?>) ((List<?>) ((Map<?, ?>) opt.getFirst()).get("param_groups")).getFirst();
            assertEquals(new PickleTuple(List.of(0.5, 0.9)), group.get("betas"));
            assertInstanceOf(TensorRef.class, ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) opt.getFirst()).get("state")).get(0L)).get("exp_avg"));
        }
    }

    @Test void refusesUnknownGlobalsByName() {
        var e = assertThrows(TorchFormatException.class, () -> TorchCheckpoint.open(resource("evil.ckpt"), false));
        assertTrue(e.getMessage().contains("argparse.Namespace") && e.getMessage().contains("evil.ckpt"), e.getMessage());
    }

    @Test void lenientModeLeavesInertPlaceholders() {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(resource("evil.ckpt"), true)) {
            assertEquals(new OpaqueObject("argparse.Namespace"), ((Map<?, ?>) ckpt.root()).get("hparams"));
            assertEquals(java.util.Set.of("argparse.Namespace"), ckpt.skippedClasses());
            assertArrayEquals(new float[] {1, 1}, ckpt.tensor("w", ckpt.stateDict().get("w")).toFloatArray());
        }
    }

    @Test void rejectsFilesThatAreNotZipCheckpoints(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("legacy.pt");
        Files.write(f, new byte[] {(byte) 0x80, 2, 'K', 1, '.'});
        var e = assertThrows(TorchFormatException.class, () -> TorchCheckpoint.open(f, false));
        assertTrue(e.getMessage().contains("legacy.pt") && e.getMessage().contains("zip"), e.getMessage());
    }
}
