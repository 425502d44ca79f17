package io.liquid4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.CliRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input probe of `liquid convert-weights` (issue 13): bad files and arguments → exit
 * code and message, no stack trace, the case's directory (with any pre-existing output) left as
 * it was; and the output discipline every conversion shares: --force to replace, temporary
 * sibling renamed at the end, stale temporaries of dead processes swept with a note.
 */
class ConversionProbeTest {
    @TempDir static Path fixtures;
    static Path bin, tok, tok90, garbage, truncated, safetensors;

    record Case(String name, int code, String pattern, Function<Path, List<String>> args) {}

    @BeforeAll
    static void build() throws IOException {
        Llama2cHeader h = Llama2cFixture.smallHeader(false);
        bin = Llama2cFixture.write(fixtures.resolve("m.bin"), h, 3);
        tok = Llama2cFixture.writeTokenizer(fixtures.resolve("tok.bin"), 100);
        tok90 = Llama2cFixture.writeTokenizer(fixtures.resolve("tok90.bin"), 90);
        garbage = Files.write(fixtures.resolve("garbage.safetensors"), new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '"', 'a', '"', ':', ' ', '1', '}'});
        byte[] all = Files.readAllBytes(bin);
        truncated = Files.write(fixtures.resolve("truncated.bin"), Arrays.copyOf(all, all.length / 2));
        Path model = fixtures.resolve("converted");
        assertEquals(0, run("convert-weights", "llama2c", "--model", bin.toString(), "--out", model.toString()).code());
        safetensors = model.resolve("model.safetensors");
    }

    static CliRun run(String... args) { return CliRun.of(args); }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        String B = bin.toString(), S = safetensors.toString();
        String ckpt = resource("small.ckpt").toString(), yaml = resource("small.yaml").toString();
        c.add(new Case("llama2c out is a non-empty directory", 1, "already exists and is not empty: give --force",
                d -> List.of("convert-weights", "llama2c", "--model", B, "--out", keepDir(d.resolve("out")))));
        c.add(new Case("llama2c out is a file", 1, "already exists: give --force", d -> List.of("convert-weights", "llama2c", "--model", B, "--out", keepFile(d.resolve("out")))));
        c.add(new Case("llama2c out is a file, forced", 1, "is a file; --out must name a directory",
                d -> List.of("convert-weights", "llama2c", "--model", B, "--out", keepFile(d.resolve("out")), "--force")));
        c.add(new Case("llama2c missing checkpoint", 1, "no such checkpoint file", d -> List.of("convert-weights", "llama2c", "--model", d.resolve("x.bin").toString(), "--out", d.resolve("o").toString())));
        c.add(new Case("llama2c truncated checkpoint", 1, Pattern.quote(truncated.toString()), d -> List.of("convert-weights", "llama2c", "--model", truncated.toString(), "--out", d.resolve("o").toString())));
        c.add(new Case("llama2c tokenizer of another vocabulary", 1, "holds 90 tokens", d -> List.of("convert-weights", "llama2c", "--model", B, "--tokenizer", tok90.toString(),
                "--out", d.resolve("o").toString())));
        c.add(new Case("llama2c missing tokenizer", 1, "no such tokenizer file", d -> List.of("convert-weights", "llama2c", "--model", B, "--tokenizer", d.resolve("t.bin").toString(),
                "--out", d.resolve("o").toString())));
        c.add(new Case("dtype unknown target", 1, "unknown dtype 'q4'", d -> List.of("convert-weights", "dtype", "--to", "q4", S, d.resolve("o.safetensors").toString())));
        c.add(new Case("dtype output file exists", 1, "already exists: give --force", d -> List.of("convert-weights", "dtype", "--to", "bf16", S, keepFile(d.resolve("o.safetensors")))));
        c.add(new Case("dtype output directory not empty", 1, "already exists and is not empty", d -> List.of("convert-weights", "dtype", "--to", "bf16",
                safetensors.getParent().toString(), keepDir(d.resolve("o")))));
        c.add(new Case("dtype missing input", 1, "no such file or directory", d -> List.of("convert-weights", "dtype", "--to", "bf16", d.resolve("in.safetensors").toString(),
                d.resolve("o.safetensors").toString())));
        c.add(new Case("dtype garbage input", 1, Pattern.quote(garbage.toString()), d -> List.of("convert-weights", "dtype", "--to", "bf16", garbage.toString(),
                d.resolve("o.safetensors").toString())));
        c.add(new Case("dtype input is output", 1, "is the input file", d -> List.of("convert-weights", "dtype", "--to", "bf16", S, S, "--force")));
        c.add(new Case("vqgan missing checkpoint", 1, "x\\.ckpt", d -> List.of("convert-weights", "vqgan", "--ckpt", d.resolve("x.ckpt").toString(), "--config", yaml,
                "--out", d.resolve("vq").toString())));
        c.add(new Case("vqgan out not empty", 1, "already exists and is not empty: give --force", d -> List.of("convert-weights", "vqgan", "--ckpt", ckpt, "--config", yaml,
                "--out", keepDir(d.resolve("vq")))));
        c.add(new Case("vqgan evil pickle", 1, "evil\\.ckpt", d -> List.of("convert-weights", "vqgan", "--ckpt", resource("evil.ckpt").toString(),
                "--config", yaml, "--out", d.resolve("vq").toString())));
        c.add(new Case("extend-vocab out exists", 1, "already exists \\(give --force", d -> List.of("convert-weights", "extend-vocab", "--model", safetensors.getParent().toString(),
                "--codes", "8", "--out", keepDir(d.resolve("liquid")))));
        c.add(new Case("extend-vocab codes 0", 1, "--codes must be positive", d -> List.of("convert-weights", "extend-vocab", "--model", safetensors.getParent().toString(),
                "--codes", "0", "--out", d.resolve("liquid").toString())));
        c.add(new Case("extend-vocab bad grid", 1, "--grid '0x3'", d -> List.of("convert-weights", "extend-vocab", "--model", safetensors.getParent().toString(),
                "--codes", "8", "--grid", "0x3", "--out", d.resolve("liquid").toString())));
        c.add(new Case("extend-vocab no tokenizer.json", 1, "tokenizer\\.json: missing", d -> List.of("convert-weights", "extend-vocab", "--model", safetensors.getParent().toString(),
                "--codes", "8", "--out", d.resolve("liquid").toString())));
        c.add(new Case("inspect missing", 1, "x\\.safetensors", d -> List.of("convert-weights", "inspect", d.resolve("x.safetensors").toString())));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> probe() {
        int[] n = {0};
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path dir = Files.createDirectories(fixtures.resolve("case-" + n[0]++));
            List<String> args = c.args().apply(dir);
            Map<String, String> before = snapshot(dir);
            CliRun r = run(args.toArray(String[]::new));
            String what = c.name() + ": " + String.join(" ", args) + "\nstderr:\n" + r.err();
            assertEquals(c.code(), r.code(), what);
            assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread"), "stack trace: " + what);
            assertTrue(Pattern.compile(c.pattern()).matcher(r.err()).find(), "stderr does not match /" + c.pattern() + "/: " + what);
            assertEquals(1, r.err().lines().filter(l -> l.startsWith("error:")).count(), "one error line: " + what);
            assertEquals(before, snapshot(dir), "the case's directory changed: " + what);
        }));
    }

    @Test
    void staleTemporariesOfDeadProcessesAreSweptWithANote(@TempDir Path dir) throws Exception {
        long dead = deadPid(), live = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        Path staleDir = Files.createDirectories(dir.resolve("out.tmp-" + dead));
        Files.write(staleDir.resolve("model.safetensors"), new byte[1000]);
        Path staleFile = Files.write(dir.resolve("x.safetensors.tmp-" + dead), new byte[10]);
        Path staleOld = Files.createDirectories(dir.resolve("prev.old-" + dead));
        Path liveTemp = Files.write(dir.resolve("y.safetensors.tmp-" + live), new byte[10]);
        Path unrelated = Files.write(dir.resolve("notes.tmp-abc"), new byte[1]);
        Path similar = Files.write(dir.resolve("tmp-" + dead), new byte[1]);
        CliRun r = run("convert-weights", "llama2c", "--model", bin.toString(), "--out", dir.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        for (Path p : List.of(staleDir, staleFile, staleOld)) {
            assertFalse(Files.exists(p), p + " should be removed");
            assertTrue(r.err().contains("note: removed " + p), r.err());
        }
        assertTrue(r.err().contains("(1,000 bytes)") || r.err().contains("(1000 bytes)"), r.err());
        for (Path p : List.of(liveTemp, unrelated, similar)) assertTrue(Files.exists(p), p + " must stay");
        try (var s = Files.list(dir.resolve("out"))) {
            assertEquals(List.of("config.json", "model.safetensors"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void forceReplacesOutputsOnlyWhenComplete(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("stale.txt"), "x");
        CliRun r = run("convert-weights", "llama2c", "--model", bin.toString(), "--tokenizer", tok.toString(), "--out", out.toString(), "--force");
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(out.resolve("stale.txt")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.bin")));
        // a failed forced conversion leaves the old output as it was
        Map<String, String> before = snapshot(dir);
        assertEquals(1, run("convert-weights", "llama2c", "--model", truncated.toString(), "--out", out.toString(), "--force").code());
        assertEquals(before, snapshot(dir));
        // an empty directory is no output yet: no --force needed; dtype writes a file with --force over an existing one
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(0, run("convert-weights", "vqgan", "--ckpt", resource("small.ckpt").toString(), "--config",
                resource("small.yaml").toString(), "--out", empty.toString()).code());
        Path file = Files.writeString(dir.resolve("b.safetensors"), "old");
        assertEquals(0, run("convert-weights", "dtype", "--to", "bf16", safetensors.toString(), file.toString(), "--force").code());
        assertTrue(Files.size(file) > 100);
        assertEquals(0, run("convert-weights", "dtype", "--to", "bf16", safetensors.getParent().toString(), dir.resolve("bf16").toString()).code());
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> ConversionOutput.TEMP.matcher(p.getFileName().toString()).matches()), "no temporaries left");
        }
    }

    static Path resource(String name) {
        try {
            return Path.of(ConversionProbeTest.class.getResource("/vqgan/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private static Map<String, String> snapshot(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            Map<String, String> m = new TreeMap<>();
            for (Path p : s.toList()) m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir" : Integer.toHexString(Arrays.hashCode(Files.readAllBytes(p))));
            return m;
        }
    }

    private static String keepDir(Path p) {
        try {
            Files.createDirectories(p);
            Files.writeString(p.resolve("keep.txt"), "precious");
            return p.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String keepFile(Path p) {
        try {
            return Files.writeString(p, "precious").toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
