package io.liquid4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.tensor.Device;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid caption --codes` on a tiny random Liquid model: the text it prints is the greedy continuation of the captioning prompt. */
class CaptionCommandTest {
    private static final String CONFIG = """
            {"model_type": "llama", "vocab_size": 56, "hidden_size": 32, "intermediate_size": 64,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64,
             "bos_token_id": 2, "eos_token_id": 1, "tie_word_embeddings": false}""";
    private static final int[] CODES = {3, 0, 15, 7, 7, 2};

    @TempDir Path tmp;

    private Path model() throws Exception {
        Path dir = TinyModels.saveRandom(tmp.resolve("m"), CONFIG, 41);
        TinyLiquidModel.writeTokenizer(dir);
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, 16, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 2, 3, null).write(dir);
        Files.writeString(tmp.resolve("codes.json"), "{\"grid\": [2, 3], \"codes\": [[3, 0, 15, 7, 7, 2]]}");
        return dir;
    }

    private static String[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = LiquidCli.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {Integer.toString(code), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void captionIsTheGreedyTextContinuationOfTheCaptioningPrompt() throws Exception {
        Path dir = model();
        String[] r = run("caption", "--model", dir.toString(), "--codes", tmp.resolve("codes.json").toString(), "--max-new-tokens", "8");
        assertEquals("0", r[0], r[2]);
        Tokenizer tok = Tokenizer.load(dir);
        int[] prompt = SequenceBuilder.of(tok, LiquidLayout.load(dir)).captionPrompt(CODES);
        GenerationResult g = new TextGenerator(CausalLM.fromPretrained(dir, null, Device.CPU), io.liquid4j.tensor.DType.F32, 40)
                .generate(List.of(prompt), new GenerationConfig(8, SamplingParams.GREEDY, new int[] {1}, 0), TokenListener.NONE);
        assertEquals(tok.decode(g.tokens().getFirst(), true), r[1].strip());
    }

    @Test
    void wrongCodeCountAndMissingChatTemplateAreClearErrors() throws Exception {
        Path dir = model();
        Files.writeString(tmp.resolve("short.json"), "{\"grid\": [1, 2], \"codes\": [[3, 0]]}");
        String[] r = run("caption", "--model", dir.toString(), "--codes", tmp.resolve("short.json").toString());
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("2 codes") && r[2].contains("2x3"), r[2]);
        r = run("caption", "--model", dir.toString(), "--codes", tmp.resolve("codes.json").toString(), "--prompt", "what is it?");
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("<start_of_turn>"), r[2]);
    }
}
