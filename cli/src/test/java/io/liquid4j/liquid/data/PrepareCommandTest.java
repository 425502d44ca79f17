package io.liquid4j.liquid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.RgbImage;
import io.liquid4j.image.VqCliTest;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid prepare` on a tiny Liquid model (character tokenizer, 64 codes, 8×8 grid) with a small random VQGAN (16 px). */
class PrepareCommandTest {
    private static final int CODES = 64;
    @TempDir Path tmp;
    private Path model, in, images;

    @BeforeEach
    void setUp() throws IOException {
        model = Files.createDirectory(tmp.resolve("model"));
        TinyLiquidModel.writeTokenizer(model);
        VqCliTest.smallModel(Files.createDirectory(model.resolve("vqgan")));
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, CODES, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 8, 8, "vqgan").write(model);
        images = Files.createDirectories(tmp.resolve("data/images"));
        ImageFiles.writePng(gradient(20, 16, 0), images.resolve("a.png"));
        ImageFiles.writePng(gradient(50, 20, 1), images.resolve("wide.png"));
        ImageFiles.writePng(gradient(16, 24, 2), images.resolve("b.png"));
        in = Files.writeString(tmp.resolve("data/in.jsonl"), String.join("\n",
                "{\"text\": \"ab\"}",
                "{\"caption\": \"ab\", \"image\": \"images/a.png\"}",
                "",
                "{\"caption\": \"c\", \"image\": \"images/wide.png\"}",
                "{\"caption\": \"b\", \"image\": \"images/b.png\"}",
                "{\"caption\": \"x\", \"codes\": [1, 2, 3]}",
                "{\"text\": 5}") + "\n");
    }

    private static RgbImage gradient(int w, int h, int salt) {
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) ((i * (7 + salt) + salt * 50) % 256);
        return new RgbImage(w, h, rgb);
    }

    private int prepare(Path out, String... extra) {
        String[] args = {"prepare", "--model", model.toString(), "--data", in.toString(), "--out", out.toString()};
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return LiquidCli.execute(all);
    }

    private int[] codesOf(String image) {
        return new VqImageEncoder(VQModel.load(model.resolve("vqgan")), Device.CPU).encode(images.resolve(image));
    }

    private static String pair(String caption, int[] codes) {
        return "{\"caption\":" + Json.write(caption) + ",\"codes\":" + Json.write(codes) + "}";
    }

    @Test
    void encodesImagesOnceLineAlignedAndCopiesTheRest() throws IOException {
        Path out = tmp.resolve("out.jsonl");
        assertEquals(0, prepare(out));
        List<String> lines = Files.readAllLines(out);
        int[] a = codesOf("a.png"), b = codesOf("b.png");
        assertEquals(CODES, a.length, "8x8 grid");
        assertEquals(List.of(
                "{\"text\": \"ab\"}",
                pair("ab", a),
                "",
                "",
                pair("b", b),
                "{\"caption\": \"x\", \"codes\": [1, 2, 3]}",
                "{\"text\": 5}"), lines, "the wide image (aspect 2.5) is dropped; the corrupt line is left for training to report");
        assertFalse(Files.exists(DataPreparer.partialOf(out)));

        assertEquals(0, prepare(out), "rerun on a finished OUT");
        assertEquals(lines, Files.readAllLines(out));
    }

    @Test
    void resumesAfterTheCompleteLinesOfAPartialFile() throws IOException {
        Path out = tmp.resolve("out.jsonl");
        int[] fake = new int[CODES];
        String kept = pair("ab", fake);
        Files.writeString(DataPreparer.partialOf(out), "{\"text\": \"ab\"}\n" + kept + "\n{\"caption\": \"c\", \"co");
        assertEquals(0, prepare(out));
        List<String> lines = Files.readAllLines(out);
        assertEquals(7, lines.size());
        assertEquals(kept, lines.get(1), "line 2 was done: not encoded again");
        assertEquals("", lines.get(2), "the cut-off line 3 is redone");
        assertEquals(pair("b", codesOf("b.png")), lines.get(4));
        assertFalse(Files.exists(DataPreparer.partialOf(out)));
    }

    @Test
    void aGrownInputContinuesAfterAFinishedOutAndAForeignPartialIsRefused() throws IOException {
        Path out = tmp.resolve("out.jsonl");
        String kept = pair("ab", new int[CODES]);
        Files.writeString(out, "{\"text\": \"ab\"}\n" + kept + "\n");
        assertEquals(0, prepare(out));
        List<String> lines = Files.readAllLines(out);
        assertEquals(7, lines.size());
        assertEquals(kept, lines.get(1), "the finished OUT's lines are kept");
        assertEquals(pair("b", codesOf("b.png")), lines.get(4), "the new lines are encoded");

        Files.writeString(DataPreparer.partialOf(out), "\n".repeat(9));
        assertEquals(1, prepare(out), "a partial longer than the input came from another input");
    }

    @Test
    void buildWritesTheSequencesTrainingDataBuilds() throws IOException {
        Path prepared = tmp.resolve("prepared.jsonl"), built = tmp.resolve("built.jsonl");
        assertEquals(0, prepare(prepared));
        assertEquals(0, prepare(built, "--build", "--seed", "3", "--t2i-ratio", "0.5", "--uncond-prob", "0.5"));
        SequenceBuilder builder = SequenceBuilder.of(Tokenizer.load(model), LiquidLayout.load(model));
        DataOptions opts = new DataOptions(0.5, 0.5, 3, 4096, false, CODES);
        var quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        TrainingData fromCodes = TrainingData.load(List.of(prepared), builder, opts, quiet);
        TrainingData fromBuilt = TrainingData.load(List.of(built), builder, opts, quiet);
        assertEquals(4, fromCodes.size());
        assertEquals(1, fromCodes.skippedLines());
        assertEquals(0, fromBuilt.skippedLines(), "--build reported the corrupt line and left it blank");
        assertEquals(fromCodes.size(), fromBuilt.size());
        for (int i = 0; i < fromCodes.size(); i++) {
            assertArrayEquals(fromCodes.get(i).inputIds(), fromBuilt.get(i).inputIds(), "sequence " + i);
            assertArrayEquals(fromCodes.get(i).labels(), fromBuilt.get(i).labels());
            assertEquals(fromCodes.get(i).task(), fromBuilt.get(i).task());
        }
        assertTrue(Files.readString(built).contains("\"task\":\"text\""));
    }

    @Test
    void imageRecordsNeedPrepareAndAModelWithoutVqganIsAnError() throws IOException {
        SequenceBuilder builder = SequenceBuilder.of(Tokenizer.load(model), LiquidLayout.load(model));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainingData.load(List.of(in), builder, DataOptions.defaults(4096, CODES), new java.io.PrintStream(java.io.OutputStream.nullOutputStream())));
        assertTrue(e.getMessage().startsWith(in + ":2:") && e.getMessage().contains("liquid prepare"), e.getMessage());
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, CODES, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 8, 8, null).write(model);
        assertEquals(1, prepare(tmp.resolve("o.jsonl")));
    }
}
