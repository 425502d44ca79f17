package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.CliRun;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid eval image-agreement` on tiny random Liquid models: a model agrees with itself, and its counts are the library's. */
class ImageAgreementCommandTest {
    private static final String CONFIG = """
            {"model_type": "gemma", "vocab_size": 56, "hidden_size": 32, "intermediate_size": 64, "head_dim": 8,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "max_position_embeddings": 128,
             "tie_word_embeddings": true}""";
    private static final List<String> CAPTIONS = List.of("a red circle", "a blue square", "two shapes", "a circle");

    @TempDir Path tmp;

    private Path liquidModel(String name, long seed, int gridCols) throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve(name), CONFIG, seed);
        TinyLiquidModel.writeTokenizer(dir);
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, 16, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 2, gridCols, null).write(dir);
        return dir;
    }

    private Path prompts() throws Exception {
        return Files.writeString(tmp.resolve("prompts.txt"), String.join("\n\n", CAPTIONS) + "\n");
    }

    @Test
    void aModelAgreesWithItself() throws Exception {
        Path a = liquidModel("a", 31, 3);
        var run = CliRun.of("eval", "image-agreement", "--model", a.toString(), "--reference", a.toString(), "--prompts", prompts().toString(), "--cfg", "3");
        assertEquals(0, run.code(), run.err());
        Map<String, Object> json = Json.parseObject(run.out());
        assertEquals(1.0, ((Number) json.get("free_running_equal")).doubleValue());
        assertEquals(1.0, ((Number) json.get("teacher_forced_equal")).doubleValue());
        assertEquals(List.of(6L, 6L, 6L, 6L), ((List<?>) json.get("first_difference")).stream().map(o -> ((Number) o).longValue()).toList());
    }

    @Test
    void countsAreTheLibrarysOnTwoDifferentModels() throws Exception {
        Path a = liquidModel("a", 31, 3), b = liquidModel("b", 32, 3);
        // batches of 3 and 1 prompts: the command's batching must not change what is counted
        var run = CliRun.of("eval", "image-agreement", "--model", b.toString(), "--reference", a.toString(), "--prompts", prompts().toString(),
                "--cfg", "3", "--batch-size", "3");
        assertEquals(0, run.code(), run.err());
        Map<String, Object> json = Json.parseObject(run.out());

        LiquidLayout layout = LiquidLayout.load(a);
        SequenceBuilder seq = SequenceBuilder.of(Tokenizer.load(a), layout);
        List<int[]> ids = new ArrayList<>();
        for (String c : CAPTIONS) ids.add(seq.imagePrompt(c));
        var ref = new ImageGenerator(CausalLM.fromPretrained(a, null, Device.CPU), 40, 16, true, DType.F32);
        var cand = new ImageGenerator(CausalLM.fromPretrained(b, null, Device.CPU), 40, 16, true, DType.F32);
        long free = 0, forced = 0;
        for (int i = 0; i < ids.size(); i++) {
            List<int[]> one = List.of(ids.get(i));
            int[][] want = ref.generate(one, seq.unconditionalPrompt(), 6, 3.0, SamplingParams.GREEDY, 0, s -> { });
            int[][] own = cand.generate(one, seq.unconditionalPrompt(), 6, 3.0, SamplingParams.GREEDY, 0, s -> { });
            int[][] follow = cand.followCodes(one, seq.unconditionalPrompt(), want, 3.0, 0, s -> { });
            for (int s = 0; s < 6; s++) {
                if (own[0][s] == want[0][s]) free++;
                if (follow[0][s] == want[0][s]) forced++;
            }
        }
        assertEquals(free, ((Number) json.get("free_running_equal_codes")).longValue(), run.out());
        assertEquals(forced, ((Number) json.get("teacher_forced_equal_codes")).longValue(), run.out());
        assertTrue(forced < 24, "two random models should not agree on every code: " + run.out());
        assertTrue(run.err().contains("teacher-forced"), run.err());
    }

    @Test
    void differentLayoutsAndEmptyPromptsAreClearErrors() throws Exception {
        Path a = liquidModel("a", 31, 3), wide = liquidModel("wide", 31, 4);
        var run = CliRun.of("eval", "image-agreement", "--model", wide.toString(), "--reference", a.toString(), "--prompts", prompts().toString());
        assertEquals(1, run.code());
        assertTrue(run.err().contains("different image layouts"), run.err());
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "\n  \n");
        run = CliRun.of("eval", "image-agreement", "--model", a.toString(), "--reference", a.toString(), "--prompts", empty.toString());
        assertEquals(1, run.code());
        assertTrue(run.err().contains("no captions"), run.err());
    }
}
