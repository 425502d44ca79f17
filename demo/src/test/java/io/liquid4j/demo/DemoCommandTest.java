package io.liquid4j.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.tensor.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `liquid demo --size tiny`: every stage runs through the real commands and the report is
 * written; the scorer's validation is asserted (the trained models' quality is not: the tiny
 * size trains for a handful of steps). A rerun reuses every stage.
 */
class DemoCommandTest {
    static final List<String> STAGES = List.of("data", "scorer", "tokenizer", "vqgan", "lm", "liquid-init", "liquid", "eval");

    @TempDir Path tmp;

    private static String run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int rc = LiquidCli.execute(args);
            String log = buf.toString(StandardCharsets.UTF_8);
            assertEquals(0, rc, log);
            return log;
        } finally {
            System.setErr(old);
        }
    }

    @Test void tinyRunConnectsEveryStageAndRerunReusesThem() throws Exception {
        Path out = tmp.resolve("demo");
        run("demo", "--size", "tiny", "--out", out.toString());

        @SuppressWarnings("unchecked") Map<String, Object> scorer = (Map<String, Object>) ((Map<?, ?>) Json.parseFile(out.resolve("work/scorer/.done.json"))).get("results");
        assertTrue(((Number) scorer.get("validation_rate")).doubleValue() >= 0.99, "scorer validation " + scorer);
        for (String stage : STAGES) assertTrue(Files.isRegularFile(out.resolve("work").resolve(stage).resolve(".done.json")), stage + " finished");
        // the stages hand their outputs on: a Liquid model with liquid.json, prepared codes, a trained run
        assertTrue(Files.isRegularFile(out.resolve("work/liquid-init/model/liquid.json")));
        assertTrue(Files.size(out.resolve("work/liquid-init/pairs.codes.jsonl")) > 0);
        assertTrue(Files.isRegularFile(out.resolve("work/liquid/run/final/model.safetensors")));
        List<String> metrics = Files.readString(out.resolve("work/liquid/run/metrics.csv")).lines().skip(1).toList();
        DemoSettings tiny = DemoSettings.tiny();
        assertEquals(tiny.liquidSteps(), metrics.size(), "one metrics row a multimodal step");
        // the multimodal stage's schedule: held at its peak, then falling over the last liquidDecaySteps() steps
        double[] lr = metrics.stream().mapToDouble(row -> Double.parseDouble(row.split(",")[2])).toArray();
        int decay = tiny.liquidDecaySteps();
        assertEquals(tiny.liquidLr(), lr[lr.length - decay - 1], 1e-9, "peak before the decay: " + Arrays.toString(lr));
        assertEquals(tiny.liquidLr() / (decay + 1), lr[lr.length - 1], 1e-9, "the last step's rate: " + Arrays.toString(lr));
        if (io.liquid4j.tensor.Backends.cpuThreads() > 1) {
            // on a CPU of several threads the VQGAN and the text LM train side by side, the LM's output in its console.log
            assertTrue(Files.readString(out.resolve("work/lm/console.log")).contains("trained"), "the LM's console output");
            @SuppressWarnings("unchecked") Map<String, Object> lmMarker = (Map<String, Object>) Json.parseFile(out.resolve("work/lm/.done.json"));
            assertTrue(lmMarker.get("overlap_seconds") instanceof Number, "the overlap is recorded: " + lmMarker.keySet());
        }

        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("**Scorer validation**: right on 100.0%") || md.matches("(?s).*right on 99\\.\\d%.*"), md);
        for (String section : List.of("Text-to-image", "Captioning", "**Targets**", "Text perplexity", "VQGAN", "Wall time per stage")) assertTrue(md.contains(section), section);
        for (String img : List.of("generated.png", "captions.png", "reconstructions.png", "lm-loss.png", "vqgan-loss.png")) {
            assertTrue(Files.size(out.resolve("images").resolve(img)) > 100, img);
            assertTrue(md.contains("images/" + img), img + " linked");
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("data:image/png;base64,"), "pictures inlined");
        assertTrue(!html.contains("src=\"images/"), "self-contained");

        FileTime vqTime = Files.getLastModifiedTime(out.resolve("work/vqgan/model/model.safetensors"));
        String again = run("demo", "--size", "tiny", "--out", out.toString());
        for (String stage : STAGES) assertTrue(again.contains("reused from " + out.resolve("work").resolve(stage)), stage + " reused:\n" + again);
        assertTrue(again.contains("targets: drawn colour"), "the summary names the targets:\n" + again);
        assertEquals(vqTime, Files.getLastModifiedTime(out.resolve("work/vqgan/model/model.safetensors")));
    }

    @Test void studyRunsEveryExperimentAndReportsIt() throws Exception {
        Path out = tmp.resolve("study");
        run("demo", "--size", "tiny", "--study", "--out", out.toString());
        for (String sub : List.of("eval-data", "size-xs", "size-s", "size-m", "size-l", "halves", "t2i", "t2i+caption", "t2i-steps", "caption", "caption+t2i", "caption-steps")) {
            assertTrue(Files.isRegularFile(out.resolve("work/study").resolve(sub).resolve(".done.json")), sub + " finished");
        }
        String md = Files.readString(out.resolve("report.md"));
        for (String finding : List.of("Finding 1 (scaling)", "Finding 2 (the cost of image data)", "Finding 3 (mutual benefit)")) assertTrue(md.contains(finding), finding);
        for (String control : List.of("after text-only", "as many steps as the pair", "same steps")) assertTrue(md.contains(control), control);
        for (String size : List.of("xs", "s", "m", "l")) {
            assertTrue(Files.isRegularFile(out.resolve("work/study/size-" + size + "/text-only/final/model.safetensors")), size + ": text-only control trained");
        }
        assertTrue(Files.size(out.resolve("images/study-scaling.png")) > 100);
        assertTrue(Files.size(out.resolve("images/study-text-cost.png")) > 100);
    }

    @Test void targetsSayMetOrMissed() {
        assertEquals("caption shape 90.0% (≥ 90%: met)", Report.target("caption shape", 0.9, 0.9));
        assertEquals("caption shape 84.6% (≥ 90%: **missed**)", Report.target("caption shape", 0.846, 0.9));
        assertEquals("drawn shape – (≥ 70%: not measured)", Report.target("drawn shape", Double.NaN, 0.7));
    }

    @Test void powerLawFitRecoversAnExactPowerLaw() {
        List<double[]> pts = List.of(new double[] {1e9, 3 * Math.pow(1e9, -0.1)}, new double[] {1e10, 3 * Math.pow(1e10, -0.1)}, new double[] {1e11, 3 * Math.pow(1e11, -0.1)});
        double[] fit = Study.powerLaw(pts);
        assertEquals(-0.1, fit[1], 1e-9);
        assertEquals(Math.log10(3), fit[0], 1e-9);
    }

    @Test void badOptionsFailBeforeAnyWork() {
        assertEquals(2, LiquidCli.execute("demo", "--no-such-option"));
        assertEquals(1, LiquidCli.execute("demo", "--size", "huge", "--out", tmp.resolve("x").toString()));
        assertEquals(1, LiquidCli.execute("demo", "--device", "tpu", "--out", tmp.resolve("y").toString()));
        assertTrue(!Files.exists(tmp.resolve("x")) && !Files.exists(tmp.resolve("y")), "nothing written");
    }
}
