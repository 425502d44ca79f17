package io.liquid4j.convert;

import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.KVCache;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.TensorScope;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end-to-end proof of the converter: the converted directory, loaded by liquid4j's own
 * CausalLM (HF semantics), generates greedily the same tokens as the independent run.c-style
 * reference does on the original .bin, with logits within 1e-4 at every position, both for one
 * full forward pass and for prefill + step-by-step KV-cache decoding.
 */
class Llama2cCausalLmTest {
    private static final double TOLERANCE = 1e-4;

    @TempDir Path tmp;

    @ParameterizedTest(name = "shared classifier = {0}")
    @ValueSource(booleans = {true, false})
    void convertedModelGeneratesWhatTheLlama2cProgramGenerates(boolean shared) throws Exception {
        Llama2cHeader h = Llama2cFixture.smallHeader(shared);
        Path bin = Llama2cFixture.write(tmp.resolve("model.bin"), h, shared ? 21 : 22);
        Path out = tmp.resolve("hf");
        Llama2cConverter.convert(bin, null, out, null);

        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9};
        int steps = 16;
        List<double[]> refLogits = new ArrayList<>();
        int[] expected = Llama2cReference.greedy(Llama2cReference.fromBin(bin), Llama2cReference.Rope.INTERLEAVED, prompt, steps, refLogits);

        CausalLM model = CausalLM.fromPretrained(out, DType.F32, Device.CPU);
        try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
            // one forward pass over the whole reference sequence: logits at every position
            int[] seq = Arrays.copyOf(expected, expected.length - 1);
            float[] all = model.forward(Tensor.fromArray(toLongs(seq), 1, seq.length)).toFloatArray();
            for (int p = 0; p < seq.length; p++) {
                assertClose(refLogits.get(p), Arrays.copyOfRange(all, p * h.vocabSize(), (p + 1) * h.vocabSize()), "full pass, position " + p);
            }

            // prefill the prompt, then decode one token at a time through the KV cache
            try (KVCache cache = model.newCache(1, h.seqLen())) {
                int[] got = Arrays.copyOf(prompt, prompt.length + steps);
                float[] logits = model.forwardLast(Tensor.fromArray(toLongs(prompt), 1, prompt.length), null, cache).toFloatArray();
                for (int pos = prompt.length - 1; pos < got.length - 1; pos++) {
                    assertClose(refLogits.get(pos), logits, "decode, position " + pos);
                    got[pos + 1] = argmax(logits);
                    if (pos + 1 < got.length - 1) {
                        logits = model.forwardLast(Tensor.fromArray(new long[] {got[pos + 1]}, 1, 1), null, cache).toFloatArray();
                    }
                }
                assertArrayEquals(expected, got, "greedy tokens");
            }
        }
    }

    private static void assertClose(double[] expected, float[] actual, String where) {
        double scale = 1;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) / scale;
            assertTrue(err <= TOLERANCE, where + ": logit " + i + " is " + actual[i] + ", reference " + expected[i]
                    + " (error " + err + " relative to the largest logit " + scale + ")");
        }
    }

    private static long[] toLongs(int[] a) {
        return Arrays.stream(a).asLongStream().toArray();
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
