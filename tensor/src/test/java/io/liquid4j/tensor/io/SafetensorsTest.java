package io.liquid4j.tensor.io;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.io.SafetensorsWriter.TensorBlob;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------ helpers

    private static byte[] randomBytes(Random rnd, long n) {
        byte[] b = new byte[(int) n];
        rnd.nextBytes(b);
        return b;
    }

    private static TensorBlob blob(String name, DType dtype, long[] shape, byte[] data) {
        return new TensorBlob(name, dtype, shape, MemorySegment.ofArray(data));
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Writes a file by hand: the given N, the header text as UTF-8 (no padding), the data. */
    private Path forge(String fileName, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return forgeRaw(fileName, h.length, h, data);
    }

    private Path forgeRaw(String fileName, long n, byte[] header, byte[] data) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(n).put(header).put(data);
        Path p = dir.resolve(fileName);
        Files.write(p, bb.array());
        return p;
    }

    /** Asserts that opening fails with a message naming the file and containing the fragment. */
    private static SafetensorsException rejects(Path file, String fragment) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        assertEquals(file, e.file());
        return e;
    }

    private static byte[] bytesOf(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    // ------------------------------------------------------------------------------ round trips

    @Test
    void roundTripsEveryDtypeScalarsZeroSizedAndMetadata() throws IOException {
        Random rnd = new Random(7);
        List<TensorBlob> blobs = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        for (DType dt : DType.values()) {
            long[] shape = {2, 3, 5};
            byte[] data = randomBytes(rnd, numel(shape) * dt.byteSize());
            blobs.add(blob("t." + dt.name().toLowerCase(), dt, shape, data));
            payloads.add(data);
        }
        long[][] oddShapes = {{}, {0}, {3, 0, 2}, {1}, {1, 1, 1, 7}};
        for (int i = 0; i < oddShapes.length; i++) {
            byte[] data = randomBytes(rnd, numel(oddShapes[i]) * 4);
            blobs.add(blob("odd/" + i + " \u00e9\"quoted\"", DType.F32, oddShapes[i], data));
            payloads.add(data);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("n\u00f6te", "line\nbreak \u2713");

        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, blobs, meta);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(file, f.path());
            assertEquals(meta, f.metadata());
            assertEquals(List.copyOf(meta.keySet()), List.copyOf(f.metadata().keySet()));
            assertEquals(0, f.headerLength() % 8, "writer pads the header to a multiple of 8");
            assertEquals(blobs.size(), f.entries().size());
            for (int i = 0; i < blobs.size(); i++) {
                TensorBlob b = blobs.get(i);
                SafetensorsFile.Entry e = f.entries().get(i);
                assertEquals(b.name(), e.name(), "header order is write order");
                assertSame(b.dtype(), e.dtype());
                assertEquals(b.dtype().safetensorsName(), e.dtypeName());
                assertArrayEquals(b.shape(), e.shape());
                assertEquals(numel(b.shape()), e.numel());
                assertEquals(payloads.get(i).length, e.byteLength());
                assertArrayEquals(payloads.get(i), bytesOf(f.data(e)));
                assertSame(e, f.get(b.name()));
            }
            // Data starts right after the padded header, so it is 8-aligned in the file.
            assertEquals(8 + f.headerLength(), f.entries().get(0).byteOffset());
            assertEquals(f.fileSize(), Files.size(file));
            assertNull(f.get("absent"));
        }

        // The header is compact JSON, then spaces up to the 8-byte boundary.
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\""), header);
        String json = header.stripTrailing();
        int padding = (int) n - json.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(json.endsWith("}"), json);
        assertTrue(padding >= 0 && padding < 8, "padding " + padding);
        assertEquals(" ".repeat(padding), header.substring(json.length()));
    }

    @Test
    void emptyMetadataIsOmittedAndEmptyFileIsValid() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        SafetensorsWriter.write(file, List.of(), Map.of());
        assertEquals("{}      ", new String(Files.readAllBytes(file), 8, 8, StandardCharsets.UTF_8));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(f.entries().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
        Path file2 = dir.resolve("nometa.safetensors");
        SafetensorsWriter.write(file2, List.of(blob("x", DType.U8, new long[] {1}, new byte[] {5})), null);
        String header = new String(Files.readAllBytes(file2), 8, 24, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"x\":{\"dtype\":\"U8\""), header);
    }

    @Test
    void writesHeapFloatArraysNativeAndMappedSegmentsLargerThanTheStagingBuffer() throws IOException {
        int n = 700_000; // 2.8 MB: several staging-buffer chunks
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i * 0.5f - 3;
        Path file = dir.resolve("floats.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSeg = arena.allocate(4L * n);
            for (int i = 0; i < n; i++) nativeSeg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, -values[i]);
            SafetensorsWriter.write(file, List.of(
                    new TensorBlob("heap", DType.F32, new long[] {n}, MemorySegment.ofArray(values)),
                    new TensorBlob("native", DType.F32, new long[] {n / 1000, 1000}, nativeSeg)), Map.of());
        }
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            MemorySegment heap = f.data("heap");
            MemorySegment nat = f.data("native");
            for (int i = 0; i < n; i += 997) {
                assertEquals(values[i], heap.getAtIndex(le, i));
                assertEquals(-values[i], nat.getAtIndex(le, i));
            }
            // Mapped slices of one file can be written into another.
            Path copy = dir.resolve("copy.safetensors");
            SafetensorsWriter.write(copy, List.of(new TensorBlob("again", DType.F32, new long[] {n}, heap)), f.metadata());
            try (SafetensorsFile g = SafetensorsFile.open(copy)) {
                assertEquals(-1, g.data("again").mismatch(heap));
            }
        }
    }

    @Test
    void unpaddedHandWrittenFileIsAccepted() throws IOException {
        // N = 61, not a multiple of 8, no trailing spaces; data therefore unaligned.
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[8,9]}}";
        ByteBuffer data = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).put((byte) -7);
        Path file = forge("hand.safetensors", header, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(header.length(), f.headerLength());
            SafetensorsFile.Entry a = f.get("a");
            assertEquals(8 + header.length(), a.byteOffset());
            ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1.5f, f.data(a).getAtIndex(le, 0));
            assertEquals(-2f, f.data(a).getAtIndex(le, 1));
            // I8 is a safetensors type we cannot hold: parsed, dtype null, bytes still readable.
            SafetensorsFile.Entry b = f.get("b");
            assertEquals("I8", b.dtypeName());
            assertNull(b.dtype());
            assertEquals(0, b.rank());
            assertEquals(1, b.numel());
            assertEquals(-7, f.data(b).get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    @Test
    void everySafetensorsDtypeIsParsedAndMappedWhereRepresentable() throws IOException {
        String[] names = {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"};
        int[] sizes = {1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8};
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (int i = 0; i < names.length; i++) {
            if (i > 0) h.append(',');
            h.append('"').append(names[i]).append("\":{\"dtype\":\"").append(names[i])
                    .append("\",\"shape\":[3],\"data_offsets\":[").append(off).append(',').append(off + 3L * sizes[i]).append("]}");
            off += 3L * sizes[i];
        }
        h.append('}');
        Path file = forge("alltypes.safetensors", h.toString(), new byte[(int) off]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : names) {
                SafetensorsFile.Entry e = f.get(name);
                assertEquals(name, e.dtypeName());
                assertEquals(DType.fromSafetensorsName(name), e.dtype());
            }
            assertSame(DType.U8, f.get("BOOL").dtype());
            assertNull(f.get("F64").dtype());
            assertNull(f.get("U16").dtype());
        }
    }

    @Test
    void zeroSizedTensorsMaySharePositions() throws IOException {
        Path file = forge("zeros.safetensors",
                "{\"e1\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                        + "\"full\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                        + "\"e2\":{\"dtype\":\"BF16\",\"shape\":[2,0],\"data_offsets\":[4,4]},"
                        + "\"e3\":{\"dtype\":\"F32\",\"shape\":[0,9],\"data_offsets\":[0,0]}}",
                new byte[] {1, 2, 3, 4});
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(0, f.data("e1").byteSize());
            assertEquals(0, f.data("e2").byteSize());
            assertEquals(4, f.data("full").byteSize());
        }
    }

    @Test
    void metadataNullMeansNone() throws IOException {
        Path file = forge("nullmeta.safetensors", "{\"__metadata__\":null}", new byte[0]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertTrue(f.metadata().isEmpty());
        }
    }

    // ------------------------------------------------------------------------------ validation

    private static final String A_OK = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @Test
    void rejectsFilesTooShortForTheLengthPrefix() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 0, 0});
        rejects(p, "file is 3 bytes, too short for the 8-byte header length");
        Files.write(p, new byte[0]);
        rejects(p, "file is 0 bytes");
    }

    @Test
    void rejectsAbsurdOrOverlongHeaderLengths() throws IOException {
        rejects(forgeRaw("huge.safetensors", 100_000_001L, "{}".getBytes(), new byte[0]),
                "header length 100000001 exceeds the limit of 100000000 bytes");
        // Top bit set: reported as the unsigned value it is.
        rejects(forgeRaw("neg.safetensors", -1L, "{}".getBytes(), new byte[0]),
                "header length 18446744073709551615 exceeds the limit");
        rejects(forgeRaw("past.safetensors", 3, "{}".getBytes(), new byte[0]),
                "header length 3 runs past the end of the file (10 bytes leave room for at most 2)");
    }

    @Test
    void rejectsHeadersThatAreNotUtf8JsonObjects() throws IOException {
        rejects(forgeRaw("utf8.safetensors", 6, new byte[] {'{', '"', (byte) 0xFF, '"', ':', '}'}, new byte[0]),
                "header is not valid UTF-8 (bad byte 0xFF at header byte 2)");
        // An overlong encoding of '/' and a UTF-8-encoded surrogate are not valid UTF-8 either.
        rejects(forgeRaw("overlong.safetensors", 4, new byte[] {'"', (byte) 0xC0, (byte) 0xAF, '"'}, new byte[0]), "not valid UTF-8");
        rejects(forgeRaw("cesu.safetensors", 5, new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, new byte[0]), "not valid UTF-8");
        rejects(forge("array.safetensors", "[]", new byte[0]), "expected a JSON object at the top level but found array");
        rejects(forge("garbage.safetensors", "{" + A_OK + "} x", new byte[8]), "expected end of input after the top-level value");
        rejects(forge("trunc.safetensors", "{" + A_OK, new byte[8]), "header is not a valid JSON object: line 1, column 54");
        rejects(forge("nulpad.safetensors", "{" + A_OK + "}\u0000\u0000", new byte[8]), "found U+0000");
        rejects(forge("empty.safetensors", "", new byte[0]), "expected a value but found end of input");
        rejects(forge("deep.safetensors", "{\"a\":" + "[".repeat(100_000), new byte[0]), "nesting deeper than 64 levels");
    }

    @Test
    void rejectsDuplicateTensorNames() throws IOException {
        rejects(forge("dup.safetensors", "{" + A_OK + "," + A_OK.replace("[0,8]", "[8,16]") + "}", new byte[16]),
                "duplicate key \"a\"");
    }

    @Test
    void rejectsMalformedEntries() throws IOException {
        rejects(forge("e1.safetensors", "{\"a\":[1]}", new byte[0]),
                "tensor 'a' must be an object with dtype, shape and data_offsets but is an array");
        rejects(forge("e2.safetensors", "{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a': dtype is missing");
        rejects(forge("e3.safetensors", "{\"a\":{\"dtype\":7,\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a': dtype must be a string but is 7");
        rejects(forge("e4.safetensors", "{\"a\":{\"dtype\":\"F33\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a' has unknown dtype 'F33'");
        rejects(forge("e4b.safetensors", "{\"a\":{\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]),
                "unknown dtype 'f32'");
        rejects(forge("e5.safetensors", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'a': shape is missing");
        rejects(forge("e6.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", new byte[16]),
                "tensor 'a': shape must be an array of non-negative integers but is 4");
        rejects(forge("e7.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", new byte[16]),
                "tensor 'a': shape must hold non-negative integers but element 1 is -2");
        rejects(forge("e8.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", new byte[8]),
                "element 0 is 2.0");
        rejects(forge("e9.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", new byte[8]),
                "element 0 is the string '2'");
        rejects(forge("e10.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", new byte[8]),
                "element 0 is 1.0E20");
        rejects(forge("e11.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]), "tensor 'a': data_offsets is missing");
        rejects(forge("e12.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", new byte[8]),
                "tensor 'a': data_offsets must have 2 elements but has 3");
        rejects(forge("e13.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", new byte[8]),
                "data_offsets must hold non-negative integers but element 0 is -8");
        rejects(forge("e14.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"b\":0}}}", new byte[8]),
                "data_offsets must be an array of non-negative integers but is an object");
        rejects(forge("e15.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8]),
                "tensor 'a' data_offsets [8, 0] end before they begin");
        rejects(forge("e16.safetensors", "{\"a\":null}", new byte[0]), "but is null");
    }

    @Test
    void rejectsByteSizeMismatchWithTheDocumentedMessage() throws IOException {
        Path file = forge("model.safetensors",
                "{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[12]);
        SafetensorsException e = rejects(file, "tensor 'a.weight' data_offsets [0, 12] give 12 bytes but dtype F32 shape [2, 2] needs 16");
        assertEquals(file + ": tensor 'a.weight' data_offsets [0, 12] give 12 bytes but dtype F32 shape [2, 2] needs 16", e.getMessage());
    }

    @Test
    void rejectsElementCountOverflow() throws IOException {
        rejects(forge("ovf1.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}",
                new byte[0]), "has more bytes than a long can count");
        // numel fits in a long, numel × 4 does not.
        rejects(forge("ovf2.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}",
                new byte[0]), "has more bytes than a long can count");
        // 2^33 × (2^31 + 1) wraps around to 2^33 in a long: a naive product would look valid.
        rejects(forge("ovf3.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[8589934592,2147483649],\"data_offsets\":[0,8589934592]}}",
                new byte[0]), "has more bytes than a long can count");
        // Overflow part-way is an error even if a later 0 makes the product 0, as in the reference reader.
        rejects(forge("ovf4.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]}}",
                new byte[0]), "has more bytes than a long can count");
    }

    @Test
    void rejectsOffsetsThatDoNotTileTheBuffer() throws IOException {
        String b8 = "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}";
        rejects(forge("gap.safetensors", "{" + A_OK + "," + b8.formatted(12, 16) + "}", new byte[16]),
                "tensor 'b' data_offsets [12, 16] leave a gap of 4 bytes after tensor 'a' data_offsets [0, 8]");
        rejects(forge("start.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "tensor 'a' data_offsets [4, 8] leave a gap of 4 bytes after the start of the data buffer");
        rejects(forge("overlap.safetensors", "{" + A_OK + "," + b8.formatted(4, 8) + "}", new byte[8]),
                "tensor 'b' data_offsets [4, 8] overlap tensor 'a' data_offsets [0, 8]");
        rejects(forge("same.safetensors", "{" + A_OK + "," + A_OK.replace("\"a\"", "\"c\"") + "}", new byte[8]),
                "overlap tensor");
        rejects(forge("trailing.safetensors", "{" + A_OK + "}", new byte[12]),
                "tensors cover 8 bytes but the data buffer holds 12 (4 trailing bytes belong to no tensor)");
        rejects(forge("nothing.safetensors", "{}", new byte[3]), "tensors cover 0 bytes but the data buffer holds 3");
        rejects(forge("beyond.safetensors", "{" + A_OK + "}", new byte[4]),
                "tensor 'a' data_offsets [0, 8] run past the end of the data buffer (4 bytes)");
        rejects(forge("far.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[9223372036854775806,9223372036854775807]}}",
                new byte[1]), "run past the end of the data buffer (1 bytes)");
    }

    @Test
    void rejectsBadMetadata() throws IOException {
        rejects(forge("m1.safetensors", "{\"__metadata__\":[\"x\"]}", new byte[0]), "__metadata__ must be an object of strings but is an array");
        rejects(forge("m2.safetensors", "{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__ value of 'k' must be a string but is 1");
        rejects(forge("m3.safetensors", "{\"__metadata__\":{\"k\":{}}}", new byte[0]), "must be a string but is an object");
    }

    @Test
    void rejectsDirectoriesAndMissingFiles() {
        rejects(dir, "is a directory");
        rejects(dir.resolve("missing.safetensors"), "cannot read the file: no such file");
    }

    // ------------------------------------------------------------------------------ API behaviour

    @Test
    void entriesAreImmutableValuesAndDataIsBoundToItsFile() throws IOException {
        Path f1 = dir.resolve("one.safetensors");
        Path f2 = dir.resolve("two.safetensors");
        SafetensorsWriter.write(f1, List.of(blob("w", DType.I32, new long[] {2}, new byte[8])), Map.of());
        SafetensorsWriter.write(f2, List.of(blob("w", DType.I32, new long[] {2}, new byte[8]),
                blob("v", DType.I64, new long[] {4}, new byte[32])), Map.of());
        try (SafetensorsFile a = SafetensorsFile.open(f1); SafetensorsFile b = SafetensorsFile.open(f2)) {
            SafetensorsFile.Entry e = a.get("w");
            long[] shape = e.shape();
            shape[0] = 99;
            assertArrayEquals(new long[] {2}, e.shape(), "shape() hands out a copy");
            assertEquals(e, new SafetensorsFile.Entry("w", "I32", DType.I32, new long[] {2}, e.byteOffset(), 8));
            assertEquals(e.hashCode(), new SafetensorsFile.Entry("w", "I32", DType.I32, new long[] {2}, e.byteOffset(), 8).hashCode());
            assertThrows(IllegalArgumentException.class, () -> a.data(b.get("v")));
            assertThrows(UnsupportedOperationException.class, () -> a.entries().add(e));
            assertThrows(UnsupportedOperationException.class, () -> a.metadata().put("k", "v"));
            assertThrows(SafetensorsException.class, () -> a.data("nope"));
            // Mapped read-only: writes through the slice fail.
            assertThrows(IllegalArgumentException.class, () -> a.data(e).set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
        }
        SafetensorsFile closed = SafetensorsFile.open(f1);
        SafetensorsFile.Entry e = closed.get("w");
        MemorySegment before = closed.data(e);
        closed.close();
        closed.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> closed.data(e));
        assertThrows(IllegalStateException.class, () -> before.get(ValueLayout.JAVA_BYTE, 0), "unmapped on close");
    }

    // ------------------------------------------------------------------------------ writer

    @Test
    void writerValidatesItsInput() {
        Path file = dir.resolve("out.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(file,
                List.of(blob("x", DType.F32, new long[] {2}, new byte[8]), blob("x", DType.F32, new long[] {2}, new byte[8])), Map.of()));
        assertEquals(file + ": duplicate tensor name 'x'", e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(file,
                List.of(blob("x", DType.F32, new long[] {2, 2}, new byte[12])), Map.of()));
        assertEquals(file + ": tensor 'x' has 12 bytes of data but dtype F32 shape [2, 2] needs 16", e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(file,
                List.of(blob("__metadata__", DType.U8, new long[] {0}, new byte[0])), Map.of()));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(file,
                List.of(blob("x", DType.U8, new long[] {-1}, new byte[0])), Map.of()));
        assertTrue(e.getMessage().contains("negative dimension"), e.getMessage());
        e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(file,
                List.of(blob("x", DType.I64, new long[] {1L << 40, 1L << 40}, new byte[0])), Map.of()));
        assertTrue(e.getMessage().contains("more bytes than a long can count"), e.getMessage());
        assertTrue(Files.notExists(file));
    }

    @Test
    void writeIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("atomic.safetensors");
        SafetensorsWriter.write(file, List.of(blob("x", DType.U8, new long[] {3}, new byte[] {1, 2, 3})), Map.of("v", "1"));
        SafetensorsWriter.write(file, List.of(blob("y", DType.U8, new long[] {2}, new byte[] {4, 5})), Map.of("v", "2"));
        assertEquals(Set.of("atomic.safetensors"), listDir());
        byte[] good = Files.readAllBytes(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Map.of("v", "2"), f.metadata());
            assertNull(f.get("x"));
        }

        // A write that fails half-way (the second tensor's memory is already freed) leaves the
        // previous file untouched and removes its temporary file.
        MemorySegment freed;
        try (Arena arena = Arena.ofConfined()) {
            freed = arena.allocate(4);
        }
        MemorySegment dead = freed;
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(file, List.of(
                blob("a", DType.U8, new long[] {1}, new byte[] {9}),
                new TensorBlob("b", DType.F32, new long[] {1}, dead)), Map.of()));
        assertArrayEquals(good, Files.readAllBytes(file));
        assertEquals(Set.of("atomic.safetensors"), listDir());

        // Validation errors never touch the disk at all.
        assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(file,
                List.of(blob("z", DType.F32, new long[] {1}, new byte[3])), Map.of()));
        assertArrayEquals(good, Files.readAllBytes(file));
        assertEquals(Set.of("atomic.safetensors"), listDir());

        // A target in a missing directory is an I/O error naming the file.
        Path nowhere = dir.resolve("no/such/dir/x.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsWriter.write(nowhere, List.of(), Map.of()));
        assertTrue(e.getMessage().startsWith(nowhere + ": cannot write the file"), e.getMessage());
    }

    private Set<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return Set.copyOf(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    // ------------------------------------------------------------------------------ sharded checkpoints

    private void writeShards(Path d) throws IOException {
        Files.createDirectories(d);
        SafetensorsWriter.write(d.resolve("model-00001-of-00002.safetensors"), List.of(
                blob("embed", DType.BF16, new long[] {4, 2}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
                blob("layer.0", DType.F32, new long[] {1}, new byte[] {0, 0, (byte) 0x80, 0x3F})), Map.of("format", "pt"));
        SafetensorsWriter.write(d.resolve("model-00002-of-00002.safetensors"), List.of(
                blob("layer.1", DType.F32, new long[] {1}, new byte[] {0, 0, 0, 0x40}),
                blob("unlisted", DType.U8, new long[] {1}, new byte[] {1})), Map.of());
    }

    private static void writeIndex(Path index, Map<String, String> weightMap) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("metadata", Map.of("total_size", 24));
        doc.put("weight_map", weightMap);
        Files.writeString(index, Json.write(doc));
    }

    private static Map<String, String> goodWeightMap() {
        Map<String, String> wm = new LinkedHashMap<>();
        wm.put("embed", "model-00001-of-00002.safetensors");
        wm.put("layer.1", "model-00002-of-00002.safetensors");
        wm.put("layer.0", "model-00001-of-00002.safetensors");
        return wm;
    }

    @Test
    void opensShardedCheckpointsThroughTheIndexOrTheDirectory() throws IOException {
        Path d = dir.resolve("hf");
        writeShards(d);
        Path index = d.resolve("model.safetensors.index.json");
        writeIndex(index, goodWeightMap());

        for (Path target : List.of(index, d)) {
            ShardedCheckpoint ck = ShardedCheckpoint.open(target);
            try (ck) {
                assertEquals(index, ck.path());
                assertEquals(List.of("embed", "layer.1", "layer.0"), List.copyOf(ck.names()));
                assertEquals(2, ck.shards().size(), "each shard is opened once");
                assertSame(ck.fileOf("embed"), ck.fileOf("layer.0"));
                assertNotEquals(ck.fileOf("embed"), ck.fileOf("layer.1"));
                assertEquals(2.0f, ck.data("layer.1").get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
                assertEquals(1.0f, ck.data("layer.0").get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
                assertEquals(DType.BF16, ck.entry("embed").dtype());
                assertArrayEquals(new long[] {4, 2}, ck.entry("embed").shape());
                assertTrue(ck.contains("embed"));
                // The weight_map is the authority: tensors it does not list are not exposed.
                assertNull(ck.entry("unlisted"));
                assertNull(ck.entry("nope"));
                SafetensorsException e = assertThrows(SafetensorsException.class, () -> ck.data("nope"));
                assertTrue(e.getMessage().contains("no tensor named 'nope'"), e.getMessage());
                assertThrows(SafetensorsException.class, () -> ck.fileOf("nope"));
            }
            assertThrows(IllegalStateException.class, () -> ck.shards().get(0).data("embed"), "close() closes every shard");
        }
    }

    @Test
    void shardedCheckpointErrorsNameTheFileAndTheTensor() throws IOException {
        Path d = dir.resolve("bad");
        writeShards(d);
        Path index = d.resolve("model.safetensors.index.json");

        Map<String, String> wm = goodWeightMap();
        wm.put("ghost", "model-00002-of-00002.safetensors");
        writeIndex(index, wm);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertEquals(index + ": weight_map puts tensor 'ghost' in shard 'model-00002-of-00002.safetensors' but that shard has no such tensor",
                e.getMessage());

        wm = goodWeightMap();
        wm.put("lost", "model-00003-of-00002.safetensors");
        writeIndex(index, wm);
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(d));
        assertTrue(e.getMessage().contains("shard 'model-00003-of-00002.safetensors' (holding tensor 'lost') does not exist"), e.getMessage());

        for (String escape : List.of("../hf/model-00001-of-00002.safetensors", "/etc/passwd", "", ".")) {
            wm = goodWeightMap();
            wm.put("evil", escape);
            writeIndex(index, wm);
            e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
            assertTrue(e.getMessage().contains("which is not a file inside the index's directory"), e.getMessage());
        }

        Files.writeString(index, "{\"metadata\":{}}");
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertEquals(index + ": has no weight_map", e.getMessage());
        Files.writeString(index, "{\"weight_map\":[]}");
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().contains("weight_map must be an object"), e.getMessage());
        Files.writeString(index, "{\"weight_map\":{\"embed\":3}}");
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().contains("weight_map entry 'embed' must name a shard file but is number"), e.getMessage());
        Files.writeString(index, "{\"weight_map\":{\"embed\":\"a\",\"embed\":\"b\"}}");
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().startsWith(index + ": is not a valid JSON object: line 1, column 28: duplicate key"), e.getMessage());
        Files.write(index, new byte[] {'{', (byte) 0xFE, '}'});
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertEquals(index + ": is not valid UTF-8", e.getMessage());

        // A corrupt shard is reported with the shard's own name.
        writeIndex(index, goodWeightMap());
        Path shard2 = d.resolve("model-00002-of-00002.safetensors");
        Files.write(shard2, new byte[] {1, 2, 3});
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().startsWith(shard2 + ": file is 3 bytes"), e.getMessage());
    }

    @Test
    void directoriesResolveToTheObviousFile() throws IOException {
        Path single = dir.resolve("single");
        Files.createDirectories(single);
        SafetensorsWriter.write(single.resolve("model.safetensors"), List.of(blob("w", DType.U8, new long[] {1}, new byte[] {7})), Map.of());
        SafetensorsWriter.write(single.resolve("other.safetensors"), List.of(blob("o", DType.U8, new long[] {1}, new byte[] {7})), Map.of());
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(single)) {
            assertEquals(single.resolve("model.safetensors"), ck.path());
            assertEquals(Set.of("w"), ck.names());
        }

        Path lone = dir.resolve("lone");
        Files.createDirectories(lone);
        SafetensorsWriter.write(lone.resolve("diffusion.safetensors"), List.of(blob("q", DType.I32, new long[] {1}, new byte[4])), Map.of());
        Files.writeString(lone.resolve("config.json"), "{}");
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(lone)) {
            assertEquals(Set.of("q"), ck.names());
            assertEquals(1, ck.shards().size());
        }
        // A plain file path works too.
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(lone.resolve("diffusion.safetensors"))) {
            assertNotNull(ck.entry("q"));
        }

        Path two = dir.resolve("two");
        Files.createDirectories(two);
        SafetensorsWriter.write(two.resolve("a.safetensors"), List.of(), Map.of());
        SafetensorsWriter.write(two.resolve("b.safetensors"), List.of(), Map.of());
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(two));
        assertTrue(e.getMessage().contains("several .safetensors files [a.safetensors, b.safetensors]"), e.getMessage());

        Path none = dir.resolve("none");
        Files.createDirectories(none);
        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(none));
        assertTrue(e.getMessage().startsWith(none + ": holds no model.safetensors.index.json and no .safetensors file"), e.getMessage());

        e = assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(dir.resolve("absent")));
        assertTrue(e.getMessage().endsWith("absent: no such file or directory"), e.getMessage());

        // A non-standard index name is found when it is the only one.
        Path custom = dir.resolve("custom");
        writeShards(custom);
        writeIndex(custom.resolve("diffusion_pytorch_model.safetensors.index.json"), goodWeightMap());
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(custom)) {
            assertEquals(3, ck.names().size());
        }
    }

    // ------------------------------------------------------------------------------ > 2 GiB

    /**
     * A 3 GiB tensor in a sparse file (no 3 GB are written): the mapping and the slices must
     * address bytes beyond 2^31. Tagged slow because filesystems without sparse files would
     * really allocate the space.
     */
    @Test
    @Tag("slow")
    void mapsTensorsBeyondTwoGigabytes() throws IOException {
        long bytes = 3L << 30;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + bytes + "],\"data_offsets\":[0," + bytes + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(8 + h.length + bytes);
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(prefix.array());
            raf.write(h);
            raf.seek(8 + h.length + bytes - 1);
            raf.write(42);
            raf.seek(8 + h.length + (1L << 31) + 5);
            raf.write(17);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            MemorySegment big = f.data("big");
            assertEquals(bytes, big.byteSize());
            assertEquals(42, big.get(ValueLayout.JAVA_BYTE, bytes - 1));
            assertEquals(17, big.get(ValueLayout.JAVA_BYTE, (1L << 31) + 5));
            assertEquals(0, big.get(ValueLayout.JAVA_BYTE, 1L << 31));
        }
    }
}
