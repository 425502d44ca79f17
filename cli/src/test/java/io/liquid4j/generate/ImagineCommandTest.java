package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.VqCliTest;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid imagine` on a tiny random Liquid model: the codes it writes are the library's, and the grid PNG decodes them. */
class ImagineCommandTest {
    private static final String CONFIG = """
            {"model_type": "gemma", "vocab_size": 56, "hidden_size": 32, "intermediate_size": 64, "head_dim": 8,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "max_position_embeddings": 128,
             "tie_word_embeddings": true}""";

    @TempDir Path tmp;

    private Path liquidModel(String vqgan) throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), CONFIG, 31);
        TinyLiquidModel.writeTokenizer(dir);
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, 16, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 2, 3, vqgan).write(dir);
        return dir;
    }

    @Test
    void codesOutMatchesTheLibraryAndOutDecodesAGrid() throws Exception {
        Path dir = liquidModel("vq");
        VqCliTest.smallModel(Files.createDirectory(dir.resolve("vq")));
        Path codes = tmp.resolve("codes.json"), png = tmp.resolve("grid.png");
        assertEquals(0, LiquidCli.execute("imagine", "--model", dir.toString(), "--prompt", "a red circle", "--n", "2", "--seed", "9",
                "--top-k", "8", "--codes-out", codes.toString(), "--out", png.toString()));
        Map<String, Object> json = Json.parseObject(Files.readString(codes));
        assertEquals(List.of(2, 3), ((List<?>) json.get("grid")).stream().map(o -> ((Number) o).intValue()).toList());
        @SuppressWarnings("unchecked") List<List<Number>> written = (List<List<Number>>) json.get("codes");

        LiquidLayout layout = LiquidLayout.load(dir);
        SequenceBuilder seq = SequenceBuilder.of(Tokenizer.load(dir), layout);
        int[][] expected = new ImageGenerator(CausalLM.fromPretrained(dir, null, Device.CPU), 40, 16, true, DType.F32)
                .generate(Collections.nCopies(2, seq.imagePrompt("a red circle")), seq.unconditionalPrompt(), 6, 7.0,
                        new SamplingParams(0.99, 8, 0.96, 9), 0, s -> { });
        assertEquals(2, written.size());
        for (int i = 0; i < 2; i++) assertArrayEquals(expected[i], written.get(i).stream().mapToInt(Number::intValue).toArray(), "image " + i);
        assertTrue(ImageFiles.read(png).width() > 0, "grid PNG readable");
    }

    @Test
    void kvCacheBf16GivesTheLibrarysBf16CacheCodes() throws Exception {
        Path dir = liquidModel(null);
        Path codes = tmp.resolve("codes.json");
        assertEquals(0, LiquidCli.execute("imagine", "--model", dir.toString(), "--prompt", "a red circle", "--n", "2", "--seed", "9",
                "--top-k", "8", "--codes-out", codes.toString(), "--kv-cache", "bf16"));
        @SuppressWarnings("unchecked") List<List<Number>> written = (List<List<Number>>) Json.parseObject(Files.readString(codes)).get("codes");
        SequenceBuilder seq = SequenceBuilder.of(Tokenizer.load(dir), LiquidLayout.load(dir));
        int[][] expected = new ImageGenerator(CausalLM.fromPretrained(dir, null, Device.CPU), 40, 16, true, DType.BF16)
                .generate(Collections.nCopies(2, seq.imagePrompt("a red circle")), seq.unconditionalPrompt(), 6, 7.0,
                        new SamplingParams(0.99, 8, 0.96, 9), 0, s -> { });
        for (int i = 0; i < 2; i++) assertArrayEquals(expected[i], written.get(i).stream().mapToInt(Number::intValue).toArray(), "image " + i);
    }

    @Test
    void outWithoutVqganIsAClearError() throws Exception {
        Path dir = liquidModel(null);
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = LiquidCli.execute("imagine", "--model", dir.toString(), "--prompt", "a", "--out", tmp.resolve("x.png").toString());
        } finally {
            System.setErr(old);
        }
        assertNotEquals(0, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--codes-out"), err.toString(StandardCharsets.UTF_8));
    }
}
