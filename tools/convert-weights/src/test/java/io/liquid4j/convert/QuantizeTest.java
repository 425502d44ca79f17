package io.liquid4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.nn.layers.Linear;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.QuantFormat;
import io.liquid4j.tensor.QuantizedWeight;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import io.liquid4j.tensor.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `convert-weights quantize` on a converted llama2c model (dim 64, hidden 96): files, exact codes, logits close to the original, tied heads, --keep-head. */
class QuantizeTest {
    @TempDir Path tmp;

    private Path model(boolean shared) throws IOException {
        Path bin = Llama2cFixture.write(tmp.resolve("m" + shared + ".bin"), Llama2cFixture.smallHeader(shared), 5);
        Path dir = tmp.resolve("model-" + shared);
        assertEquals(0, ConversionProbeTest.run("convert-weights", "llama2c", "--model", bin.toString(), "--out", dir.toString()).code());
        return dir;
    }

    private static float[] logits(Path dir) {
        try (var _ = TensorScope.open()) {
            CausalLM m = CausalLM.fromPretrained(dir, null, Device.CPU);
            return m.forward(Tensor.fromArray(new long[] {1, 7, 42, 99, 3, 18}, 1, 6)).toFloatArray();
        }
    }

    private static double relErr(float[] want, float[] got) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (want[i] - got[i]) * (double) (want[i] - got[i]);
            den += want[i] * (double) want[i];
        }
        return Math.sqrt(num / den);
    }

    @Test
    void quantizedModelLoadsWithExactCodesAndCloseLogits() throws IOException {
        Path src = model(false);
        float[] want = logits(src);
        double[] err = new double[2];
        for (QuantFormat f : QuantFormat.values()) {
            Path out = tmp.resolve(f.id());
            var run = ConversionProbeTest.run("convert-weights", "quantize", "--to", f.id(), src.toString(), out.toString());
            assertEquals(0, run.code(), run.err());
            assertTrue(run.err().contains("15 weights quantized"), run.err());   // 2 layers × 7 projections + lm_head
            try (SafetensorsFile sf = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertEquals(null, sf.get("model.layers.0.mlp.up_proj.weight"));
                assertEquals(DType.U8, sf.get("model.layers.0.mlp.up_proj.qweight").dtype());
                assertArrayEquals(new long[] {96, 64 * f.bits() / 8}, sf.get("model.layers.0.mlp.up_proj.qweight").shape());
                assertArrayEquals(new long[] {64, 96 / 32}, sf.get("model.layers.1.mlp.down_proj.scales").shape());
                assertEquals(DType.F32, sf.get("model.embed_tokens.weight").dtype(), "the embedding is copied as it was");
            }
            assertTrue(Files.readString(out.resolve("config.json")).contains("\"quantization_config\""));
            try (var _ = TensorScope.open()) {
                CausalLM q = CausalLM.fromPretrained(out, null, Device.CPU), plain = CausalLM.fromPretrained(src, null, Device.CPU);
                Linear lin = (Linear) q.namedModules().get("model.layers.1.self_attn.k_proj");
                Tensor original = plain.namedParameters().get("model.layers.1.self_attn.k_proj.weight").value();
                QuantizedWeight expect = QuantizedWeight.quantize(original, f);
                assertArrayEquals(expect.codes().toIntArray(), lin.quantized().codes().toIntArray(), "codes as QuantizedWeight.quantize makes them");
                assertArrayEquals(expect.scales().toFloatArray(), lin.quantized().scales().toFloatArray());
                assertFalse(q.namedParameters().containsKey("model.layers.1.self_attn.k_proj.weight"));
            }
            err[f.ordinal()] = relErr(want, logits(out));
        }
        assertTrue(err[0] < 0.05, "q8_0 logits within 5% (random uniform weights: no outliers for the scale to spare) of the F32 model's, got " + err[0]);
        // the error scales with the grid step: max/8 for q4_0 against max/127 for q8_0, about 16x
        double ratio = err[1] / err[0];
        assertTrue(ratio > 8 && ratio < 24, "q4_0 error " + err[1] + " should be ~16x q8_0's " + err[0]);
    }

    @Test
    void tiedHeadGetsItsOwnCodesAndKeepHeadKeepsIt() throws IOException {
        Path src = model(true);
        Path out = tmp.resolve("tied"), kept = tmp.resolve("kept");
        assertEquals(0, ConversionProbeTest.run("convert-weights", "quantize", "--to", "q8_0", src.toString(), out.toString()).code());
        try (SafetensorsFile sf = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertTrue(sf.get("lm_head.qweight") != null && sf.get("model.embed_tokens.weight") != null);
        }
        assertTrue(relErr(logits(src), logits(out)) < 0.05);
        var run = ConversionProbeTest.run("convert-weights", "quantize", "--to", "q4_0", "--keep-head", src.toString(), kept.toString());
        assertEquals(0, run.code(), run.err());
        try (SafetensorsFile sf = SafetensorsFile.open(kept.resolve("model.safetensors"))) {
            assertEquals(null, sf.get("lm_head.qweight"));
        }
        logits(kept);
        var again = ConversionProbeTest.run("convert-weights", "quantize", "--to", "q8_0", out.toString(), tmp.resolve("twice").toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("is already quantized"), again.err());
        var bad = ConversionProbeTest.run("convert-weights", "quantize", "--to", "q5_k", src.toString(), tmp.resolve("bad").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown quantization format 'q5_k'"), bad.err());
        assertFalse(Files.exists(tmp.resolve("bad")));
    }
}
