package io.liquid4j.liquid.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.CliRun;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A text LM from nothing, as the demo makes one: `train-tokenizer`, `init` (random weights),
 * `train` on text (no liquid.json), `eval perplexity`; and {@link Perplexity}'s windows.
 */
class TextLmFromScratchTest {
    @TempDir Path tmp;

    /** {exit code, stdout, stderr} of one CLI run. */
    private static String[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new String[] {String.valueOf(r.code()), r.out(), r.err()};
    }

    @Test void tokenizerInitTrainAndPerplexity() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) lines.add("{\"text\": \"the red circle is on the left. the blue square is on the right.\"}");
        Path data = tmp.resolve("text.jsonl");
        Files.write(data, lines);
        assertEquals("0", run("train-tokenizer", "--data", data.toString(), "--vocab-size", "290", "--out", tmp.resolve("tok").toString())[0]);
        Files.writeString(tmp.resolve("config.json"), """
                {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 64, "bos_token_id": 2, "eos_token_id": 1}""");
        String[] init = run("init", "--config", tmp.resolve("config.json").toString(), "--tokenizer", tmp.resolve("tok/tokenizer.json").toString(),
                "--out", tmp.resolve("init").toString(), "--seed", "3");
        assertEquals("0", init[0], init[2]);
        assertEquals(290L, ((Map<?, ?>) Json.parseFile(tmp.resolve("init/config.json"))).get("vocab_size"), "vocab_size from the tokenizer");
        String[] again = run("init", "--config", tmp.resolve("config.json").toString(), "--tokenizer", tmp.resolve("tok/tokenizer.json").toString(),
                "--out", tmp.resolve("init").toString());
        assertEquals("1", again[0]);
        assertTrue(again[2].contains("already exists"), again[2]);

        String[] before = run("eval", "perplexity", "--model", tmp.resolve("init").toString(), "--data", data.toString());
        assertEquals("0", before[0], before[2]);
        String[] train = run("train", "--model", tmp.resolve("init").toString(), "--data", data.toString(), "--out", tmp.resolve("run").toString(),
                "--steps", "30", "--batch-size", "4", "--seq-len", "64", "--pack", "--lr", "1e-2");
        assertEquals("0", train[0], train[2]);
        assertTrue(train[2].contains("a text LM (no liquid.json)"), train[2]);
        assertFalse(Files.exists(tmp.resolve("run/final/liquid.json")), "a text LM stays one");
        String[] after = run("eval", "perplexity", "--model", tmp.resolve("run/final").toString(), "--data", data.toString());
        assertEquals("0", after[0], after[2]);
        double p0 = ((Number) ((Map<?, ?>) Json.parse(before[1].strip())).get("perplexity")).doubleValue();
        double p1 = ((Number) ((Map<?, ?>) Json.parse(after[1].strip())).get("perplexity")).doubleValue();
        assertTrue(p1 < p0 / 5, "training on the text lowers its perplexity: " + p0 + " -> " + p1);

        Files.writeString(tmp.resolve("pairs.jsonl"), "{\"caption\": \"a red circle\", \"codes\": [1, 2, 3, 4]}\n");
        String[] image = run("train", "--model", tmp.resolve("init").toString(), "--data", tmp.resolve("pairs.jsonl").toString(),
                "--out", tmp.resolve("run2").toString(), "--steps", "1");
        assertEquals("1", image[0]);
        assertTrue(image[2].contains("extend-vocab"), image[2]);
    }

    private static CausalLM tiny() {
        return new CausalLM(ConfigParser.parse(Json.parseObject("""
                {"model_type": "llama", "vocab_size": 50, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64}"""), "t"), Init.random(new Generator(5)));
    }

    /** Σ −log p(doc[t] | doc[0..t)) computed directly from the full document's logits. */
    private static double directNll(CausalLM lm, int[] doc) {
        try (var _ = GradMode.noGrad()) {
            long[] ids = new long[doc.length];
            for (int i = 0; i < doc.length; i++) ids[i] = doc[i];
            float[] logits = lm.forward(Tensor.fromArray(ids, 1, doc.length)).toFloatArray();
            int v = lm.config().vocabSize();
            double nll = 0;
            for (int t = 0; t + 1 < doc.length; t++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[t * v + j]);
                for (int j = 0; j < v; j++) sum += Math.exp(logits[t * v + j] - max);
                nll += max + Math.log(sum) - logits[t * v + doc[t + 1]];
            }
            return nll;
        }
    }

    @Test void perplexityScoresEveryTokenOnceWhateverTheBatching() {
        CausalLM lm = tiny();
        java.util.SplittableRandom g = new java.util.SplittableRandom(9);
        List<int[]> docs = new ArrayList<>();
        for (int len : new int[] {2, 7, 20, 33}) docs.add(g.ints(len, 0, 50).toArray());
        double direct = 0;
        for (int[] d : docs) direct += directNll(lm, d);
        Perplexity.Result whole = Perplexity.of(lm, docs, 64, 32, 1, null);
        assertEquals(2 - 1 + 7 - 1 + 20 - 1 + 33 - 1, whole.tokens());
        assertEquals(direct, whole.nll(), 1e-3 * direct / whole.tokens(), "one window per document = the direct sum");
        Perplexity.Result batched = Perplexity.of(lm, docs, 64, 32, 4, null);
        assertEquals(whole.nll(), batched.nll(), 1e-4 * whole.nll(), "right padding does not reach the real tokens");
        Perplexity.Result sliding = Perplexity.of(lm, docs, 8, 4, 3, null);
        assertEquals(whole.tokens(), sliding.tokens(), "sliding windows still predict each token exactly once");
        assertTrue(sliding.windows() > docs.size());
        assertTrue(Double.isFinite(sliding.perplexity()) && sliding.perplexity() > 1);
        Perplexity.Result full = Perplexity.of(lm, docs, 8, 8, 3, null);
        assertEquals(whole.tokens(), full.tokens(), "stride = seq-len: disjoint windows");
    }
}
