package io.liquid4j.tensor.io;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.io.SafetensorsWriter.TensorBlob;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutation fuzzing of {@link SafetensorsFile#open}: thousands of damaged and forged files,
 * each of which must either open with a self-consistent result or fail with a
 * {@link SafetensorsException} naming the file, and nothing else (no NPE, index, number-format,
 * out-of-memory or stack-overflow errors).
 *
 * <p>Every mutant draws from its own {@code Random(SEED, index)}, so a failure report's index
 * reproduces the exact file; {@link #MUTANTS} and the seed are fixed, so runs are identical.
 */
class SafetensorsFuzzTest {

    private static final long SEED = 0x5AFE_7E45_0F_F00DL;
    private static final int MUTANTS = 4000;

    /** Element sizes of every safetensors dtype, kept independent of the code under test. */
    private static final Map<String, Integer> SIZES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1), Map.entry("F8_E4M3", 1),
            Map.entry("I16", 2), Map.entry("U16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("I64", 8), Map.entry("U64", 8), Map.entry("F64", 8));

    private static final Object[] DTYPE_CHOICES = {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
            "I32", "U32", "F32", "F64", "I64", "U64", "F33", "", "bf16", "F4", "C64", 7L, Json.NULL, List.of("F32")};

    @TempDir
    Path dir;

    /** The valid files every mutant starts from. */
    private final List<byte[]> bases = new ArrayList<>();

    private record Outcome(boolean opened, int entries) {}

    // ------------------------------------------------------------------------------ base files

    @BeforeEach
    void makeBases() throws IOException {
        Random rnd = new Random(SEED);
        bases.add(written("b0", List.of(
                blob(rnd, "model.embed_tokens.weight", DType.BF16, 4, 3),
                blob(rnd, "model.norm.weight", DType.F32, 3),
                blob(rnd, "lm_head.bias", DType.F16, 2, 1, 2)), Map.of("format", "pt", "note", "fuzz base \u2713")));
        bases.add(written("b1", List.of(
                blob(rnd, "scalar", DType.I64),
                blob(rnd, "empty", DType.U8, 0),
                blob(rnd, "ids", DType.I32, 5),
                blob(rnd, "mask", DType.U8, 2, 2)), Map.of()));
        List<TensorBlob> many = new ArrayList<>();
        DType[] types = DType.values();
        for (int i = 0; i < 24; i++) {
            int[] shape = {1 + rnd.nextInt(3), rnd.nextInt(4)};
            many.add(blob(rnd, "layers." + i + ".w\u00e9ight", types[i % types.length], shape));
        }
        bases.add(written("b2", many, Map.of("k", "v", "empty", "")));
        bases.add(written("b3", List.of(), Map.of()));
        // Unpadded, hand-written, with dtypes we parse but cannot hold.
        bases.add(forged("{\"__metadata__\":{\"a\":\"b\"},\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"y\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[16,19]},\"z\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[19,20]}}",
                randomBytes(rnd, 20)));
        // Every base must itself be valid.
        for (int i = 0; i < bases.size(); i++) {
            Outcome o = check("base-" + i, bases.get(i));
            assertTrue(o.opened(), "base " + i + " must be valid");
        }
    }

    private static TensorBlob blob(Random rnd, String name, DType dtype, int... dims) {
        long[] shape = Arrays.stream(dims).asLongStream().toArray();
        long n = dtype.byteSize();
        for (long d : shape) n *= d;
        return new TensorBlob(name, dtype, shape, MemorySegment.ofArray(randomBytes(rnd, n)));
    }

    private byte[] written(String name, List<TensorBlob> blobs, Map<String, String> metadata) throws IOException {
        Path p = dir.resolve(name + ".safetensors");
        SafetensorsWriter.write(p, blobs, metadata);
        return Files.readAllBytes(p);
    }

    private static byte[] forged(String header, byte[] data) {
        return assemble(header.getBytes(StandardCharsets.UTF_8), data);
    }

    private static byte[] assemble(byte[] header, byte[] data) {
        return assemble(header.length, header, data);
    }

    private static byte[] assemble(long n, byte[] header, byte[] data) {
        ByteBuffer bb = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return bb.putLong(n).put(header).put(data).array();
    }

    private static byte[] randomBytes(Random rnd, long n) {
        byte[] b = new byte[(int) n];
        rnd.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------------------ the fuzz loop

    @Test
    void mutantsOpenConsistentlyOrFailWithSafetensorsException() throws IOException {
        Map<String, int[]> stats = new TreeMap<>(); // kind → {opened, rejected}
        long t0 = System.nanoTime();
        for (int i = 0; i < MUTANTS; i++) {
            Random rnd = new Random(SEED * 1_000_003L + i);
            byte[] base = bases.get(rnd.nextInt(bases.size()));
            StringBuilder how = new StringBuilder();
            byte[] mutant = mutate(rnd, base, true, how);
            if (rnd.nextInt(8) == 0) {
                how.append(" then ");
                mutant = mutate(rnd, mutant, false, how); // occasionally stack two mutations
            }
            Outcome o = check("mutant-" + i + " (" + how + ")", mutant);
            String kind = how.toString().split("[ (]")[0];
            stats.computeIfAbsent(kind, k -> new int[2])[o.opened() ? 0 : 1]++;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;

        int opened = stats.values().stream().mapToInt(s -> s[0]).sum();
        int rejected = stats.values().stream().mapToInt(s -> s[1]).sum();
        assertEquals(MUTANTS, opened + rejected);
        // The fuzzer must exercise both paths: many rejections, and survivors whose data is read.
        assertTrue(rejected > MUTANTS / 2, "rejected " + rejected + ": " + describe(stats));
        assertTrue(opened > 50, "opened " + opened + ": " + describe(stats));
        for (Map.Entry<String, int[]> e : stats.entrySet()) {
            // Adding an unknown field to an entry is legal; every other kind must find faults.
            if (e.getKey().equals("extra")) continue;
            assertTrue(e.getValue()[1] > 0, "mutation kind " + e.getKey() + " never produced an invalid file: " + describe(stats));
        }
        assertTrue(ms < 30_000, "fuzzing took " + ms + " ms");
    }

    private static String describe(Map<String, int[]> stats) {
        StringBuilder sb = new StringBuilder();
        stats.forEach((k, v) -> sb.append(k).append("=").append(v[0]).append("/").append(v[1]).append(' '));
        return sb.toString().trim();
    }

    /**
     * Writes the bytes to a file and opens it. Success must give a consistent view: every
     * entry lies inside the data buffer, its length is numel × element size, all its bytes are
     * readable and equal the file's, and the entries tile the buffer. Failure must be a
     * SafetensorsException naming the file. Anything else fails the test with the case.
     */
    private Outcome check(String label, byte[] bytes) throws IOException {
        String fileName = label.substring(0, label.indexOf(' ') < 0 ? label.length() : label.indexOf(' ')) + ".safetensors";
        Path p = dir.resolve(fileName);
        Files.write(p, bytes);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            long size = bytes.length;
            long dataStart = 8 + f.headerLength();
            assertTrue(dataStart <= size, label);
            long covered = 0;
            MemorySegment whole = MemorySegment.ofArray(bytes);
            for (SafetensorsFile.Entry e : f.entries()) {
                Integer es = SIZES.get(e.dtypeName());
                assertTrue(es != null, label + ": unknown dtype accepted: " + e);
                if (e.dtype() != null) {
                    assertEquals((int) es, e.dtype().byteSize(), label);
                }
                long numel = 1;
                for (long d : e.shape()) {
                    assertTrue(d >= 0, label);
                    numel = Math.multiplyExact(numel, d);
                }
                assertEquals(Math.multiplyExact(numel, es), e.byteLength(), label + ": " + e);
                assertTrue(e.byteOffset() >= dataStart && e.byteOffset() + e.byteLength() <= size, label + ": " + e);
                MemorySegment data = f.data(e);
                assertEquals(e.byteLength(), data.byteSize(), label);
                // mismatch() reads every byte of the mapped slice.
                assertEquals(-1, data.mismatch(whole.asSlice(e.byteOffset(), e.byteLength())), label + ": " + e);
                covered += e.byteLength();
            }
            assertEquals(size - dataStart, covered, label + ": entries must tile the data buffer");
            f.metadata().forEach((k, v) -> assertTrue(k != null && v != null, label));
            return new Outcome(true, f.entries().size());
        } catch (SafetensorsException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(fileName),
                    label + ": message does not name the file: " + e.getMessage());
            return new Outcome(false, 0);
        } catch (AssertionError failedCheck) {
            throw failedCheck; // already says which mutant
        } catch (Throwable t) {
            fail(label + ": unexpected " + t, t);
            throw new AssertionError(t);
        } finally {
            Files.deleteIfExists(p);
        }
    }

    // ------------------------------------------------------------------------------ mutations

    /** One mutation of {@code base}; {@code pristine} says whether base is one of the valid bases. */
    private byte[] mutate(Random rnd, byte[] base, boolean pristine, StringBuilder how) {
        long n = base.length >= 8 ? ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0) : -1;
        boolean sane = n >= 0 && n <= base.length - 8;
        int headerEnd = sane ? (int) (8 + n) : base.length;
        // Header forgery (kind 4) gets four shares: it is where the subtle lies are.
        int kind = rnd.nextInt(13);
        if (kind >= 10) kind = 4;
        // Mutations that take the header apart need a sane length prefix, and rewriting the
        // header needs a valid one; flip bytes otherwise.
        if ((kind == 4 || kind == 5 || kind == 9) && !sane) kind = 0;
        if (kind == 4 && !pristine) kind = 0;
        switch (kind) {
            case 0 -> { // random bit/byte damage in the length prefix and header
                int flips = 1 + rnd.nextInt(4);
                byte[] m = base.clone();
                for (int k = 0; k < flips && headerEnd > 0; k++) {
                    int at = rnd.nextInt(headerEnd);
                    m[at] ^= (byte) (rnd.nextBoolean() ? 1 << rnd.nextInt(8) : 1 + rnd.nextInt(255));
                }
                how.append("flip x").append(flips);
                return m;
            }
            case 1 -> { // structural characters dropped into the header
                byte[] m = base.clone();
                String chars = "{}[]\",:-0123456789e.\\ntfu \u0000";
                int count = 1 + rnd.nextInt(3);
                for (int k = 0; k < count && headerEnd > 8; k++) {
                    m[8 + rnd.nextInt(headerEnd - 8)] = (byte) chars.charAt(rnd.nextInt(chars.length()));
                }
                how.append("syntax x").append(count);
                return m;
            }
            case 2 -> { // truncation
                int len = rnd.nextInt(base.length + 1);
                how.append("truncate at ").append(len);
                return Arrays.copyOf(base, len);
            }
            case 3 -> { // forged length prefix
                long[] choices = {rnd.nextLong(), Long.MIN_VALUE, -1, 100_000_001L, 100_000_000L, n + 1, n - 1, n + 8, n - 8,
                        base.length - 8L, base.length - 7L, 0, 1, 2, Integer.MAX_VALUE, 1L << 32, n + rnd.nextInt(64) - 32};
                long forgedN = choices[rnd.nextInt(choices.length)];
                byte[] m = base.clone();
                if (m.length >= 8) ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(0, forgedN);
                how.append("length ").append(Long.toUnsignedString(forgedN));
                return m;
            }
            case 4 -> { // rewrite the header with a structural lie
                return forgeHeader(rnd, base, (int) n, how);
            }
            case 5 -> { // invalid UTF-8 inserted into the header, N adjusted or not
                byte[][] bad = {{(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xC3}};
                byte[] ins = bad[rnd.nextInt(bad.length)];
                byte[] header = Arrays.copyOfRange(base, 8, headerEnd);
                int at = rnd.nextInt(header.length + 1);
                byte[] h2 = new byte[header.length + ins.length];
                System.arraycopy(header, 0, h2, 0, at);
                System.arraycopy(ins, 0, h2, at, ins.length);
                System.arraycopy(header, at, h2, at + ins.length, header.length - at);
                boolean adjust = rnd.nextInt(4) != 0;
                how.append("utf8 ").append(adjust ? "adjusted" : "unadjusted");
                byte[] data = Arrays.copyOfRange(base, headerEnd, base.length);
                return assemble(adjust ? h2.length : n, h2, data);
            }
            case 6 -> { // nesting bombs, closed or not
                int depth = 1 + rnd.nextInt(100_000);
                String open = rnd.nextBoolean() ? "[" : "{\"k\":";
                String close = open.equals("[") ? "]" : "}";
                String body = "{\"a\":" + open.repeat(depth) + (rnd.nextBoolean() ? "1" + close.repeat(depth) + "}" : "");
                how.append("nest ").append(depth);
                return forged(body, new byte[0]);
            }
            case 7 -> { // data buffer grown or shrunk
                int delta = rnd.nextInt(17) - 8;
                if (delta == 0) delta = 1;
                how.append("data ").append(delta > 0 ? "+" : "").append(delta);
                return delta > 0 ? concat(base, randomBytes(rnd, delta)) : Arrays.copyOf(base, Math.max(0, base.length + delta));
            }
            case 8 -> { // garbage with a plausible length prefix
                int len = rnd.nextInt(200);
                byte[] m = randomBytes(rnd, len);
                if (len >= 8) ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(0, rnd.nextInt(len));
                how.append("garbage ").append(len);
                return m;
            }
            default -> { // splice: the header of this base with the data of another
                byte[] other = bases.get(rnd.nextInt(bases.size()));
                long on = ByteBuffer.wrap(other).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                byte[] header = Arrays.copyOfRange(base, 8, headerEnd);
                byte[] data = Arrays.copyOfRange(other, (int) (8 + on), other.length);
                how.append("splice");
                return assemble(header, data);
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /**
     * Parses the base's header, changes one thing in it (offsets, shapes, dtypes, fields,
     * metadata, duplicated names) and writes it back with random padding; the data is kept.
     */
    @SuppressWarnings("unchecked")
    private static byte[] forgeHeader(Random rnd, byte[] base, int n, StringBuilder how) {
        Map<String, Object> header = Json.parseObject(new String(base, 8, n, StandardCharsets.UTF_8));
        byte[] data = Arrays.copyOfRange(base, 8 + n, base.length);
        List<String> names = new ArrayList<>(header.keySet());
        names.remove("__metadata__");
        String duplicate = null;
        int op = rnd.nextInt(12);
        if (names.isEmpty() && op < 9) {
            op = 9 + rnd.nextInt(3);
        }
        String name = names.isEmpty() ? null : names.get(rnd.nextInt(names.size()));
        Map<String, Object> entry = name == null ? null : (Map<String, Object>) header.get(name);
        long bufferLength = data.length;
        switch (op) {
            case 0 -> { // data_offsets beyond the end, reversed, negative, huge or fractional
                List<Object> off = new ArrayList<>((List<Object>) entry.get("data_offsets"));
                long b = (Long) off.get(0);
                long e = (Long) off.get(1);
                Object[][] choices = {{b + bufferLength, e + bufferLength}, {e, b}, {-1L, e}, {b, Long.MAX_VALUE},
                        {Long.MAX_VALUE - 1, Long.MAX_VALUE}, {b + 1, e + 1}, {b, e + 1}, {b, e - 1}, {b + 0.5, e},
                        {"0", e}, {b, e, e}, {b}, {9223372036854775807.0 * 4, e}, {0L, e - b}};
                Object[] c = choices[rnd.nextInt(choices.length)];
                entry.put("data_offsets", Arrays.asList(c));
                how.append("offsets ").append(Arrays.toString(c));
            }
            case 1 -> { // overlap: copy another tensor's offsets
                String other = names.get(rnd.nextInt(names.size()));
                entry.put("data_offsets", ((Map<String, Object>) header.get(other)).get("data_offsets"));
                how.append("overlap");
            }
            case 2, 3 -> { // shape lies
                List<Object> shape = new ArrayList<>((List<Object>) entry.get("shape"));
                int which = rnd.nextInt(10);
                switch (which) {
                    // 274177 × 67280421310721 = 2^64 + 1: the product wraps to the old numel,
                    // so only overflow-checked multiplication notices the lie.
                    case 9 -> { shape.add(274177L); shape.add(67280421310721L); }
                    case 0 -> shape.add(2L);
                    case 1 -> { if (!shape.isEmpty()) shape.remove(shape.size() - 1); else shape.add(0L); }
                    case 2 -> shape.add(-1L);
                    case 3 -> shape.add(1L << 40);
                    case 4 -> { shape.add(1L << 62); shape.add(1L << 62); }
                    case 5 -> shape.add(1.5);
                    case 6 -> shape.add("2");
                    case 7 -> shape.add(Json.NULL);
                    default -> shape.add(List.of(1L));
                }
                entry.put("shape", shape);
                how.append("shape ").append(which);
            }
            case 4 -> { // dtype swapped for another real one, a fake one or a non-string
                Object dt = DTYPE_CHOICES[rnd.nextInt(DTYPE_CHOICES.length)];
                entry.put("dtype", dt);
                how.append("dtype ").append(dt);
            }
            case 5 -> { // a field removed or a harmless unknown field added
                if (rnd.nextBoolean()) {
                    String field = List.of("dtype", "shape", "data_offsets").get(rnd.nextInt(3));
                    entry.remove(field);
                    how.append("remove ").append(field);
                } else {
                    entry.put("extra", List.of(1L, "x"));
                    how.append("extra field");
                }
            }
            case 6 -> { // entry that is not an object
                Object[] choices = {List.of(), "x", 1L, Json.NULL, Boolean.TRUE};
                header.put(name, choices[rnd.nextInt(choices.length)]);
                how.append("entry type");
            }
            case 7 -> { // duplicate name (inserted textually below: a map cannot hold it)
                duplicate = name;
                how.append("duplicate");
            }
            case 8 -> { // zero-size the tensor without fixing offsets, or with
                List<Object> shape = new ArrayList<>((List<Object>) entry.get("shape"));
                shape.add(0L);
                entry.put("shape", shape);
                if (rnd.nextBoolean()) {
                    long b = (Long) ((List<Object>) entry.get("data_offsets")).get(0);
                    entry.put("data_offsets", List.of(b, b));
                }
                how.append("zero-size");
            }
            case 9 -> { // metadata of the wrong shape, or fine
                Object[] choices = {List.of("x"), Map.of("k", 1L), Map.of("k", Map.of()), Json.NULL, "meta",
                        Map.of("k", "v", "\u00e9", "\uD83D\uDE00"), Map.of()};
                Object m = choices[rnd.nextInt(choices.length)];
                header.put("__metadata__", m);
                how.append("metadata ").append(Json.typeName(m));
            }
            case 10 -> { // a new tensor claiming bytes that are not there
                String dt = (String) DTYPE_CHOICES[rnd.nextInt(15)];
                long len = SIZES.get(dt) * (1L + rnd.nextInt(4));
                long start = rnd.nextBoolean() ? bufferLength : rnd.nextInt((int) bufferLength + 1);
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("dtype", dt);
                extra.put("shape", List.of(len / SIZES.get(dt)));
                extra.put("data_offsets", List.of(start, start + len));
                header.put("new.tensor", extra);
                how.append("new tensor at ").append(start);
            }
            default -> { // the whole header replaced by another JSON type
                Object[] choices = {List.of(), "str", 1L, Json.NULL};
                how.append("header type");
                return assemble(Json.write(choices[rnd.nextInt(choices.length)]).getBytes(StandardCharsets.UTF_8), data);
            }
        }
        String json = Json.write(header);
        if (duplicate != null) {
            String member = Json.write(Map.of(duplicate, header.get(duplicate)));
            json = "{" + member.substring(1, member.length() - 1) + "," + json.substring(1);
        }
        String padding = List.of("", " ", "   ", "       ", "\n", "\t \r\n").get(rnd.nextInt(6));
        return assemble((json + padding).getBytes(StandardCharsets.UTF_8), data);
    }
}
