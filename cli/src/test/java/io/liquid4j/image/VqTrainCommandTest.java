package io.liquid4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.CliRun;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid vq train`: a VQGAN from scratch on a folder of images, then the other vq commands read it. */
class VqTrainCommandTest {
    static final String CONFIG = """
            {"embed_dim": 4, "n_embed": 16, "double_z": false, "z_channels": 8, "resolution": 16, "in_channels": 3, "out_ch": 3,
             "ch": 8, "ch_mult": [1, 2], "num_res_blocks": 1, "attn_resolutions": [], "dropout": 0.0, "norm_groups": 4,
             "l2_normalized_codes": true}""";

    @TempDir Path tmp;

    /** {exit code, stderr} of one CLI run. */
    private static String[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new String[] {String.valueOf(r.code()), r.err()};
    }

    private Path images() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("imgs"));
        int[][] colours = {{220, 40, 40}, {40, 180, 60}, {40, 80, 220}, {240, 240, 240}};
        for (int i = 0; i < 24; i++) {
            RgbImage img = RgbImage.filled(16, 16, 235, 235, 235);
            int[] c = colours[i % 4];
            RgbImage patch = RgbImage.filled(6, 6, c[0], c[1], c[2]);
            img.paste(patch, (i * 3) % 10, (i * 5) % 10);
            ImageFiles.writePng(img, dir.resolve(String.format("%03d.png", i)));
        }
        return dir;
    }

    @Test void trainsWritesAModelTheVqCommandsRead() throws Exception {
        Path imgs = images();
        Files.writeString(tmp.resolve("vq.json"), CONFIG);
        Path out = tmp.resolve("vq");
        String[] r = run("vq", "train", "--images", imgs.toString(), "--config", tmp.resolve("vq.json").toString(), "--out", out.toString(),
                "--steps", "12", "--batch-size", "4", "--eval-images", "4", "--restart-every", "4");
        assertEquals("0", r[0], r[1]);
        for (String f : List.of("config.json", "model.safetensors", "metrics.csv", "loss.png", "eval.json")) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertEquals(13, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + one row per step");
        VqConfig cfg = VqConfig.read(out);
        assertEquals(4, cfg.normGroups());
        assertTrue(cfg.l2NormalizedCodes());
        Map<?, ?> eval = (Map<?, ?>) Json.parseFile(out.resolve("eval.json"));
        assertTrue(((Number) eval.get("psnr_db")).doubleValue() > 5, eval.toString());
        String[] rt = run("vq", "roundtrip", "--vqgan", out.toString(), "--image", imgs.resolve("000.png").toString(), "--out", tmp.resolve("rt.png").toString());
        assertEquals("0", rt[0], rt[1]);

        String[] again = run("vq", "train", "--images", imgs.toString(), "--config", tmp.resolve("vq.json").toString(), "--out", out.toString(), "--steps", "1");
        assertEquals("1", again[0]);
        assertTrue(again[1].contains("already exists"), again[1]);
        String[] none = run("vq", "train", "--images", tmp.resolve("nothing").toString(), "--config", tmp.resolve("vq.json").toString(),
                "--out", tmp.resolve("vq2").toString());
        assertEquals("1", none[0]);
        assertTrue(none[1].contains("no such file or directory"), none[1]);
        assertFalse(Files.exists(tmp.resolve("vq2")));
    }

    @Test void decayStepsChangeOnlyTheLastStepsAndAreChecked() throws Exception {
        Path imgs = images();
        Files.writeString(tmp.resolve("vq.json"), CONFIG);
        List<List<String>> metrics = new java.util.ArrayList<>();
        for (String decay : List.of("0", "5")) {
            Path out = tmp.resolve("vq-decay" + decay);
            String[] r = run("vq", "train", "--images", imgs.toString(), "--config", tmp.resolve("vq.json").toString(), "--out", out.toString(),
                    "--steps", "10", "--batch-size", "4", "--eval-images", "4", "--decay-steps", decay);
            assertEquals("0", r[0], r[1]);
            metrics.add(Files.readAllLines(out.resolve("metrics.csv")));
        }
        // step s's loss comes from the weights before its update: steps 1–5 ran at the same rate,
        // so the losses of steps 1–6 agree (up to the last bits a JIT tier may round differently)
        for (int step = 1; step <= 6; step++) {
            double constant = Double.parseDouble(metrics.get(0).get(step).split(",")[1]);
            double decayed = Double.parseDouble(metrics.get(1).get(step).split(",")[1]);
            assertEquals(constant, decayed, 1e-5 * Math.abs(constant), "step " + step + ": the constant part is the same run");
        }
        double last0 = Double.parseDouble(metrics.get(0).get(10).split(",")[1]), last5 = Double.parseDouble(metrics.get(1).get(10).split(",")[1]);
        assertTrue(Math.abs(last0 - last5) > 1e-4 * Math.abs(last0), "the decayed steps train differently: " + last0 + " vs " + last5);
        String[] bad = run("vq", "train", "--images", imgs.toString(), "--config", tmp.resolve("vq.json").toString(), "--out",
                tmp.resolve("vq-bad").toString(), "--steps", "10", "--decay-steps", "11");
        assertEquals("1", bad[0]);
        assertTrue(bad[1].contains("--decay-steps 11"), bad[1]);
        assertFalse(Files.exists(tmp.resolve("vq-bad")));
    }

    @Test void aPngNeverReplacesADirectoryAndLeavesNoTempFile() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("outdir"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ImageFiles.writePng(RgbImage.filled(4, 4, 1, 2, 3), dir));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(dir), "the directory is still there");
        Path png = tmp.resolve("a.png");
        ImageFiles.writePng(RgbImage.filled(4, 4, 1, 2, 3), png);
        ImageFiles.writePng(RgbImage.filled(4, 4, 9, 9, 9), png);
        assertEquals(9, ImageFiles.read(png).get(0, 0, 0), "replaced");
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temp file left");
        }
    }

    @Test void l2NormalizedCodesIgnoreTheLatentsLength() {
        VqConfig cfg = VqConfig.fromMap(Json.parseObject(CONFIG), "t");
        VQModel m = new VQModel(cfg, new io.liquid4j.tensor.Generator(1));
        try (var _ = GradMode.noGrad()) {
            Tensor z = Tensor.randn(new io.liquid4j.tensor.Generator(2), 1, 4, 3, 3);
            long[] a = m.quantizer().codes(z).toLongArray(), b = m.quantizer().codes(z.mul(7.5)).toLongArray();
            assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
            Tensor looked = m.quantizer().lookup(m.quantizer().codes(z));
            float[] v = looked.permute(0, 2, 3, 1).contiguous().toFloatArray();
            for (int r = 0; r < 9; r++) {
                double n = 0;
                for (int j = 0; j < 4; j++) n += v[r * 4 + j] * v[r * 4 + j];
                assertEquals(1.0, n, 1e-5, "unit-length codebook rows");
            }
        }
    }
}
