package io.liquid4j.liquid.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid train` end to end on a tiny Liquid model: metrics, checkpoints, the final model, and an exact resume. */
class TrainCommandTest {
    private static final String CONFIG = """
            {"model_type": "llama", "vocab_size": 56, "hidden_size": 32, "intermediate_size": 64,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
             "bos_token_id": 2, "eos_token_id": 1, "tie_word_embeddings": false}""";

    @TempDir Path tmp;

    private Path model() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.writeString(dir.resolve("config.json"), CONFIG);
        new CausalLM(ConfigParser.parse(Json.parseObject(CONFIG), "t"), Init.random(new Generator(7))).save(dir.resolve("model.safetensors"), Map.of());
        TinyLiquidModel.writeTokenizer(dir);
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, 16, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 2, 2, null).write(dir);
        Files.writeString(tmp.resolve("data.jsonl"), String.join("\n",
                "{\"text\": \"a red circle is round.\"}",
                "{\"caption\": \"a red circle\", \"codes\": [1, 2, 3, 4]}",
                "{\"caption\": \"a blue square\", \"codes\": [9, 9, 0, 15]}",
                "this line is not json",
                "{\"text\": \"the square is blue.\"}",
                "{\"caption\": \"a green dot\", \"codes\": [5, 6, 7, 8]}") + "\n");
        return dir;
    }

    private static String[] run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = LiquidCli.execute(args);
        } finally {
            System.setErr(err);
        }
        return new String[] {Integer.toString(code), e.toString(StandardCharsets.UTF_8)};
    }

    private String[] train(Path model, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--model", model.toString(), "--data", tmp.resolve("data.jsonl").toString(),
                "--out", out.toString(), "--steps", "6", "--batch-size", "2", "--grad-accum", "2", "--lr", "3e-3", "--warmup", "1",
                "--z-loss", "1e-4", "--seed", "5"));
        args.addAll(List.of(extra));
        return run(args.toArray(new String[0]));
    }

    private static List<String> losses(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.csv")).stream().skip(1).map(l -> l.split(",")[1]).toList();
    }

    @Test
    void trainsWritesMetricsAndResumesExactly() throws Exception {
        Path model = model();
        Path a = tmp.resolve("runA"), b = tmp.resolve("runB");
        String[] ra = train(model, a, "--eval-data", tmp.resolve("data.jsonl").toString(), "--eval-every", "3");
        assertEquals("0", ra[0], ra[1]);
        assertTrue(ra[1].contains("1 corrupt lines skipped") || ra[1].contains("data.jsonl:4"), ra[1]);
        List<String> header = Files.readAllLines(a.resolve("metrics.csv"));
        assertEquals(RunDirectory.METRICS_HEADER, header.getFirst());
        assertEquals(6, losses(a).size());
        List<String> eval = Files.readAllLines(a.resolve("eval.csv"));
        assertEquals("step,task,loss,token_accuracy,tokens", eval.getFirst());
        assertTrue(eval.stream().anyMatch(l -> l.startsWith("6,text,")) && eval.stream().anyMatch(l -> l.startsWith("3,")), String.join("\n", eval));
        assertTrue(javax.imageio.ImageIO.read(a.resolve("loss.png").toFile()).getWidth() > 0, "loss.png drawn");
        CausalLM trained = CausalLM.fromPretrained(a.resolve("final"), null, Device.CPU);
        assertEquals(56, trained.config().vocabSize());
        assertEquals(LiquidLayout.load(model).textVocabSize(), LiquidLayout.load(a.resolve("final")).textVocabSize());

        // run B checkpoints every 3 steps; then a "crash" leaves a half-written checkpoint, and the run resumes from step 3
        String[] rb = train(model, b, "--save-every", "3");
        assertEquals("0", rb[0], rb[1]);
        assertTrue(Files.isRegularFile(b.resolve("checkpoints/step-3/trainer.json")));
        Files.createDirectories(b.resolve("checkpoints/step-6.tmp"));
        Files.writeString(b.resolve("checkpoints/step-6.tmp/model.safetensors"), "half");
        String[] resumed = train(model, b, "--save-every", "3", "--resume");
        assertEquals("0", resumed[0], resumed[1]);
        assertTrue(resumed[1].contains("resuming"), resumed[1]);
        assertFalse(Files.exists(b.resolve("checkpoints/step-6.tmp")), "half-written checkpoint removed");
        // Same losses. Bit for bit while both runs see the same JIT state; the kernels still have
        // lane reductions whose order the JIT tier decides, so a run warmed differently may differ
        // in the last bits: compared to 1e-6 relative.
        List<String> la = losses(a), lb = losses(b);
        assertEquals(la.size(), lb.size());
        for (int i = 0; i < la.size(); i++) {
            double x = Double.parseDouble(la.get(i)), y = Double.parseDouble(lb.get(i));
            assertEquals(x, y, 1e-6 * Math.abs(x), "step " + (i + 1) + ": resumed " + y + " vs uninterrupted " + x);
        }
    }

    @Test
    void existingRunWithoutResumeIsAClearError() throws Exception {
        Path model = model();
        Path a = tmp.resolve("run");
        assertEquals("0", train(model, a)[0]);
        String[] again = train(model, a);
        assertNotEquals("0", again[0]);
        assertTrue(again[1].contains("--resume"), again[1]);
    }
}
