package io.liquid4j.convert;

import io.liquid4j.cli.LiquidCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConverterErrorsTest {
    @TempDir Path tmp;

    private Path fixture() throws Exception {
        return Llama2cFixture.write(tmp.resolve("m.bin"), Llama2cFixture.smallHeader(true), 5);
    }

    private String failure(Path bin) {
        return assertThrows(ConversionException.class, () -> Llama2cConverter.convert(bin, null, tmp.resolve("out"), null)).getMessage();
    }

    @Test
    void truncatedFileNamesExpectedAndActualSize() throws Exception {
        Path bin = fixture();
        long full = Files.size(bin);
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.WRITE)) {
            ch.truncate(full - 100);
        }
        String msg = failure(bin);
        assertTrue(msg.startsWith(bin.toString()), msg);
        assertTrue(msg.contains("truncated"), msg);
        assertTrue(msg.contains(Long.toString(full - 100)) && msg.contains(Long.toString(full)), msg);
        assertTrue(msg.contains("dim=64"), msg);
        assertFalse(Files.exists(tmp.resolve("out").resolve("model.safetensors")));
    }

    @Test
    void trailingBytesAreRejected() throws Exception {
        Path bin = fixture();
        Files.write(bin, new byte[12], StandardOpenOption.APPEND);
        assertTrue(failure(bin).contains("trailing data"));
    }

    @Test
    void badHeaderValuesAreNamed() throws Exception {
        assertTrue(failure(withHeader(64, 96, 2, 0, 1, 100, 32)).contains("n_heads = 0"));
        assertTrue(failure(withHeader(64, 96, 2, 8, 3, 100, 32)).contains("n_kv_heads = 3"));
        assertTrue(failure(withHeader(60, 96, 2, 8, 8, 100, 32)).contains("not divisible by n_heads"));
        assertTrue(failure(withHeader(64, 96, -2, 8, 8, 100, 32)).contains("n_layers = -2"));
        assertTrue(failure(withHeader(0x616b3432, 1, 0, 0, 0, 0, 0)).contains("versioned llama2.c export"));
        Path tiny = Files.write(tmp.resolve("tiny.bin"), new byte[10]);
        assertTrue(failure(tiny).contains("too short"));
    }

    private Path withHeader(int... fields) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(28 + 4096).order(ByteOrder.LITTLE_ENDIAN);
        for (int f : fields) b.putInt(f);
        return Files.write(tmp.resolve("bad.bin"), b.array());
    }

    @Test
    void tokenizerOfAnotherVocabularyIsRejected() throws Exception {
        Path bin = fixture();
        Path tok = Llama2cFixture.writeTokenizer(tmp.resolve("tok.bin"), 90);
        String msg = assertThrows(ConversionException.class, () -> Llama2cConverter.convert(bin, tok, tmp.resolve("out"), null)).getMessage();
        assertTrue(msg.contains("holds 90 tokens") && msg.contains("vocab_size 100"), msg);
    }

    @Test
    void unknownDtypeIsOneClearLineWithExitCode1() {
        assertTrue(assertThrows(ConversionException.class, () -> DtypeConverter.parseTarget("int4")).getMessage()
                .contains("unknown dtype 'int4' for --to"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = LiquidCli.execute("convert-weights", "dtype", "--to", "q4", "a.safetensors", "b.safetensors");
        } finally {
            System.setErr(old);
        }
        assertEquals(1, rc);
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals("error: unknown dtype 'q4' for --to: use bf16, f16 or f32", text.strip());
    }
}
