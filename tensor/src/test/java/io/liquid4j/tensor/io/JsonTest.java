package io.liquid4j.tensor.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    private static JsonException fails(String text) {
        return assertThrows(JsonException.class, () -> Json.parse(text), () -> "should reject: " + text);
    }

    private static void failsWith(String text, String expectedFragment) {
        JsonException e = fails(text);
        assertTrue(e.getMessage().contains(expectedFragment),
                () -> "message for " + text + " was: " + e.getMessage() + " (expected to contain " + expectedFragment + ")");
    }

    // ---------------------------------------------------------------- scalars and structure

    @Test
    void parsesScalars() {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse(" false "));
        assertSame(Json.NULL, Json.parse("null"));
        assertEquals("null", Json.NULL.toString());
        assertEquals("abc", Json.parse("\"abc\""));
        assertEquals("", Json.parse("\"\""));
        assertEquals(42L, Json.parse("42"));
    }

    @Test
    void objectsKeepOrderAndDistinguishNullFromAbsent() {
        Object v = Json.parse("{\"z\": 1, \"a\": null, \"m\": [1, \"x\", {}], \"e\": []}");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("z", "a", "m", "e"), new ArrayList<>(m.keySet()));
        assertSame(Json.NULL, m.get("a"));
        assertNull(m.get("absent"));
        assertEquals(List.of(1L, "x", Map.of()), m.get("m"));
        assertEquals(List.of(), m.get("e"));
    }

    @Test
    void whitespaceEverywhereAllowed() {
        Object v = Json.parse(" \t\r\n{ \"a\" \n:\t[ 1 , 2 ] , \"b\" : { } }\r\n ");
        assertEquals(Map.of("a", List.of(1L, 2L), "b", Map.of()), v);
    }

    @Test
    void parseObjectRequiresObject() {
        assertEquals(Map.of("a", 1L), Json.parseObject("{\"a\":1}"));
        JsonException e = assertThrows(JsonException.class, () -> Json.parseObject("  [1]"));
        assertTrue(e.getMessage().contains("expected a JSON object at the top level but found array"), e.getMessage());
        assertEquals(3, e.column());
    }

    // ---------------------------------------------------------------- numbers

    @Test
    void integersBecomeLongsAndOthersDoubles() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(-17L, Json.parse("-17"));
        assertEquals(123456789012345678L, Json.parse("123456789012345678"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        // One past the long range: a double.
        assertEquals(9.223372036854775808E18, Json.parse("9223372036854775808"));
        assertEquals(-1e30, Json.parse("-1000000000000000000000000000000"));
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(-0.25, Json.parse("-0.25"));
        assertEquals(1e5, Json.parse("1e5"));
        assertEquals(1e5, Json.parse("1E+5"));
        assertEquals(1.25e-7, Json.parse("1.25e-7"));
        assertEquals(2.0, Json.parse("2.0"));
        assertEquals(0.0, Json.parse("0e0"));
        assertEquals(Double.MIN_VALUE, Json.parse("4.9e-324"));
        assertEquals(0.0, Json.parse("1e-400")); // underflow to zero is fine
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "-01", "00", "1.", ".5", "-", "-a", "+1", "1e", "1e+", "1.e3", "0x10", "NaN",
            "Infinity", "-Infinity", "1_000", "1e999", "-1e400"})
    void rejectsMalformedNumbers(String text) {
        fails(text);
    }

    @Test
    void numberErrorsSayWhy() {
        failsWith("01", "leading zeros");
        failsWith("1.", "expected a digit after the decimal point but found end of input");
        failsWith("1e+x", "expected a digit in the exponent but found 'x'");
        failsWith("1e999", "out of the range of a double");
        failsWith("-", "expected a digit after '-'");
    }

    // ---------------------------------------------------------------- strings

    @Test
    void decodesAllEscapes() {
        assertEquals("\" \\ / \b \f \n \r \t", Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
        assertEquals("A\u00e9\u4e2d", Json.parse("\"\\u0041\\u00E9\\u4e2D\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        // Surrogate pair for U+1F600.
        assertEquals("x\uD83D\uDE00y", Json.parse("\"x\\uD83D\\uDE00y\""));
        // Raw (unescaped) non-ASCII passes through.
        assertEquals("h\u00e9llo \uD83D\uDE00 \u2581", Json.parse("\"h\u00e9llo \uD83D\uDE00 \u2581\""));
        // DEL is not a control character in JSON's sense.
        assertEquals("\u007f", Json.parse("\"\u007f\""));
    }

    @Test
    void escapesInTheMiddleOfLongStrings() {
        String body = "a".repeat(1000);
        assertEquals(body + "\n" + body, Json.parse("\"" + body + "\\n" + body + "\""));
    }

    @Test
    void rejectsBadStrings() {
        failsWith("\"abc", "unterminated string");
        failsWith("\"abc\\", "unterminated string");
        failsWith("\"a\u0001b\"", "control character U+0001 must be escaped");
        failsWith("\"a\nb\"", "control character U+000A must be escaped");
        failsWith("\"a\tb\"", "control character U+0009");
        failsWith("\"\\x\"", "invalid escape '\\x'");
        failsWith("\"\\U0041\"", "invalid escape");
        failsWith("\"\\u12\"", "expected four hex digits");
        failsWith("\"\\u12G4\"", "expected four hex digits after \\u but found 'G'");
        failsWith("\"\\u\uFF11\uFF12\uFF13\uFF14\"", "expected four hex digits"); // fullwidth digits are not hex
        failsWith("'single'", "expected a value but found '''");
    }

    @Test
    void loneSurrogateEscapesRejectedUnlessAllowed() {
        failsWith("\"\\uD800\"", "unpaired surrogate escape \\uD800");
        failsWith("\"\\uDC00\"", "unpaired surrogate escape");
        failsWith("\"\\uD800\\u0041\"", "unpaired surrogate");
        failsWith("\"\\uD800x\"", "unpaired surrogate");
        Json.Options lenient = Json.Options.DEFAULT.withAllowLoneSurrogates(true);
        assertEquals("\uD800A", Json.parse("\"\\uD800\\u0041\"", lenient));
        assertEquals("\uDC00", Json.parse("\"\\uDC00\"", lenient));
    }

    // ---------------------------------------------------------------- invalid documents

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}",
            "{a:1}", "{1:2}", "{\"a\":1 \"b\":2}", "[1]]", "{}}", "tru", "truex", "nul", "True", "[true false]",
            "/* c */ 1", "1 // c", "[1,,2]", "\"a\" \"b\"", "{\"a\":1}x", "\u00a01", "\uFEFF{}", "[1]\u0000"})
    void rejectsInvalidDocuments(String text) {
        fails(text);
    }

    @Test
    void errorsReportLineColumnAndExpectation() {
        JsonException e = fails("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assertEquals(3, e.line());
        assertEquals(7, e.column());
        assertTrue(e.getMessage().startsWith("line 3, column 7: expected ':' after an object key but found '2'"), e.getMessage());

        e = fails("[1, 2");
        assertTrue(e.getMessage().contains("expected ',' or ']' in an array but found end of input"), e.getMessage());

        e = fails("{\"a\":1 \"b\":2}");
        assertTrue(e.getMessage().contains("expected ',' or '}' in an object but found '\"'"), e.getMessage());

        e = fails("{\"a\":1}  x");
        assertTrue(e.getMessage().contains("expected end of input after the top-level value but found 'x'"), e.getMessage());
        assertEquals(10, e.column());
        assertEquals(9, e.offset());

        // \r\n counts as one line break.
        e = fails("[\r\n1,\r\n?]");
        assertEquals(3, e.line());
        assertEquals(1, e.column());
    }

    @Test
    void withSourcePrefixesTheMessage() {
        JsonException e = fails("[1,]").withSource("config.json");
        assertTrue(e.getMessage().startsWith("config.json: line 1, column 4: expected a value"), e.getMessage());
        assertEquals(4, e.column());
    }

    // ---------------------------------------------------------------- duplicates and depth

    @Test
    void duplicateKeysRejectedByDefault() {
        JsonException e = fails("{\"a\": 1, \"b\": 2, \"a\": 3}");
        assertTrue(e.getMessage().contains("duplicate key \"a\""), e.getMessage());
        assertEquals(18, e.column()); // points at the second "a"
        // Also inside nested objects, and even when the first value was null.
        fails("[{\"x\": {\"k\": null, \"k\": null}}]");
        // Same key in different objects is fine.
        assertEquals(List.of(Map.of("a", 1L), Map.of("a", 2L)), Json.parse("[{\"a\":1},{\"a\":2}]"));
    }

    @Test
    void duplicateKeysAllowedWithFlagLastWins() {
        Object v = Json.parse("{\"a\": 1, \"b\": 2, \"a\": 3}", Json.Options.DEFAULT.withAllowDuplicateKeys(true));
        assertEquals(Map.of("a", 3L, "b", 2L), v);
    }

    @Test
    void nestingLimitIsEnforcedWithoutStackOverflow() {
        int limit = Json.Options.DEFAULT.maxDepth();
        String ok = "[".repeat(limit) + "]".repeat(limit);
        Object v = Json.parse(ok);
        for (int i = 0; i < limit - 1; i++) {
            v = ((List<?>) v).get(0);
        }
        assertEquals(List.of(), v);

        // What the parser accepts by default, the writer can write back.
        assertEquals(ok, Json.write(Json.parse(ok)));

        JsonException e = fails("[".repeat(limit + 1) + "]".repeat(limit + 1));
        assertTrue(e.getMessage().contains("nesting deeper than " + limit + " levels"), e.getMessage());

        // A million-deep bomb fails quickly with the same clear error, not a StackOverflowError.
        String bomb = "{\"a\":[".repeat(500_000);
        e = fails(bomb);
        assertTrue(e.getMessage().contains("nesting deeper"), e.getMessage());

        // Much deeper than the thread stack would allow recursively, with a raised limit.
        int deep = 200_000;
        Object deepValue = Json.parse("[".repeat(deep) + "]".repeat(deep), Json.Options.DEFAULT.withMaxDepth(deep));
        assertInstanceOf(List.class, deepValue);
        assertThrows(IllegalArgumentException.class, () -> new Json.Options(0, false, false));
    }

    // ---------------------------------------------------------------- writer

    @Test
    void writesCompactJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "x");
        m.put("n", Json.NULL);
        m.put("j", null);
        m.put("b", true);
        m.put("i", 7);
        m.put("l", -8L);
        m.put("d", 1.5);
        m.put("f", 0.1f);
        m.put("big", new BigInteger("123456789012345678901234567890"));
        m.put("dec", new BigDecimal("1.25"));
        m.put("list", List.of(1L, "two", List.of()));
        m.put("arr", new Object[] {"a", 2});
        m.put("longs", new long[] {1, 2, 3});
        m.put("ints", new int[] {});
        m.put("doubles", new double[] {0.5});
        m.put("floats", new float[] {2f});
        m.put("bools", new boolean[] {true, false});
        m.put("obj", Map.of());
        m.put("c", 'q');
        assertEquals("{\"s\":\"x\",\"n\":null,\"j\":null,\"b\":true,\"i\":7,\"l\":-8,\"d\":1.5,\"f\":0.1,"
                + "\"big\":123456789012345678901234567890,\"dec\":1.25,\"list\":[1,\"two\",[]],\"arr\":[\"a\",2],"
                + "\"longs\":[1,2,3],\"ints\":[],\"doubles\":[0.5],\"floats\":[2.0],\"bools\":[true,false],\"obj\":{},\"c\":\"q\"}",
                Json.write(m));
    }

    /** A map with its own order keeps it; one without (Map.of: its order changes per JVM, HashMap) is written sorted by key. */
    @Test
    void writerKeepsAMapsOrderOrSortsAnUnorderedOne() {
        Map<String, Object> linked = new LinkedHashMap<>();
        linked.put("z", 1L);
        linked.put("a", 2L);
        assertEquals("{\"z\":1,\"a\":2}", Json.write(linked));
        assertEquals("{\"a\":2,\"m\":{\"x\":1,\"y\":3},\"z\":1}", Json.write(Map.of("z", 1L, "a", 2L, "m", Map.of("y", 3L, "x", 1L))));
        Map<String, Object> hashed = new java.util.HashMap<>();
        for (String k : List.of("delta", "alpha", "charlie", "bravo")) hashed.put(k, k.length());
        assertEquals("{\"alpha\":5,\"bravo\":5,\"charlie\":7,\"delta\":5}", Json.write(hashed));
    }

    @Test
    void writerEscapes() {
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f/\u00e9\"", Json.write("a\"b\\c\n\r\t\b\f\u0000\u001f/\u00e9"));
        // A valid pair stays raw; lone surrogates are escaped so the output encodes to UTF-8.
        assertEquals("\"\uD83D\uDE00\"", Json.write("\uD83D\uDE00"));
        assertEquals("\"\\ud800x\\udc00\"", Json.write("\uD800x\uDC00"));
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        assertThrows(JsonException.class, () -> Json.write(Double.NaN));
        assertThrows(JsonException.class, () -> Json.write(List.of(Double.POSITIVE_INFINITY)));
        assertThrows(JsonException.class, () -> Json.write(new float[] {Float.NaN}));
        Map<Object, Object> badKey = new HashMap<>();
        badKey.put(1, "x");
        JsonException e = assertThrows(JsonException.class, () -> Json.write(badKey));
        assertTrue(e.getMessage().contains("keys must be strings"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.write(new Object()));
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        e = assertThrows(JsonException.class, () -> Json.write(cycle));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        assertEquals(-1, e.line());
    }

    @Test
    void roundTripsRandomDocuments() {
        Random rnd = new Random(1234);
        for (int i = 0; i < 300; i++) {
            Object doc = randomValue(rnd, 0);
            String text = Json.write(doc);
            Object back = Json.parse(text, Json.Options.DEFAULT.withAllowLoneSurrogates(true));
            assertEquals(doc, back, text);
            assertEquals(text, Json.write(back));
        }
    }

    private static Object randomValue(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 4 ? 5 : 7);
        return switch (kind) {
            case 0 -> rnd.nextLong();
            case 1 -> {
                double d = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(40) - 20);
                yield d;
            }
            case 2 -> randomString(rnd);
            case 3 -> rnd.nextBoolean();
            case 4 -> Json.NULL;
            case 5 -> {
                List<Object> l = new ArrayList<>();
                for (int i = rnd.nextInt(5); i > 0; i--) l.add(randomValue(rnd, depth + 1));
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = rnd.nextInt(5); i > 0; i--) m.put(randomString(rnd), randomValue(rnd, depth + 1));
                yield m;
            }
        };
    }

    private static String randomString(Random rnd) {
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(12); i > 0; i--) {
            switch (rnd.nextInt(6)) {
                case 0 -> sb.append((char) rnd.nextInt(0x20));           // control characters
                case 1 -> sb.append("\"\\/".charAt(rnd.nextInt(3)));
                case 2 -> sb.append((char) (0xD800 + rnd.nextInt(0x800))); // lone surrogates
                case 3 -> sb.appendCodePoint(0x10000 + rnd.nextInt(0xFFFFF)); // astral pairs
                case 4 -> sb.append((char) (0x80 + rnd.nextInt(0xD000)));
                default -> sb.append((char) ('a' + rnd.nextInt(26)));
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- files and speed

    @Test
    void parseFileSkipsBomRejectsBadUtf8AndNamesTheFile(@TempDir Path dir) throws IOException {
        Path ok = dir.resolve("ok.json");
        Files.write(ok, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'});
        assertEquals(Map.of(), Json.parseFile(ok));

        Path badUtf8 = dir.resolve("bad.json");
        Files.write(badUtf8, new byte[] {'{', '\n', ' ', '"', (byte) 0xC3, '"'});
        JsonException utf8 = assertThrows(JsonException.class, () -> Json.parseFile(badUtf8));
        assertEquals(badUtf8 + ": line 2, column 3: not valid UTF-8 (byte 0xC3 at byte offset 4)", utf8.getMessage());

        Path badJson = dir.resolve("broken.json");
        Files.writeString(badJson, "{\"a\":\n tru}");
        JsonException e = assertThrows(JsonException.class, () -> Json.parseFile(badJson));
        assertTrue(e.getMessage().startsWith(badJson + ": line 2, column 2: expected a value"), e.getMessage());
    }

    @Test
    void parsesLargeDocumentsQuickly() {
        // Shaped like a tokenizer.json vocabulary: ~3 MB, many small string keys.
        StringBuilder sb = new StringBuilder("{\"model\":{\"vocab\":{");
        int n = 150_000;
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(',');
            sb.append("\"tok\\u00e9").append(i).append("\":").append(i);
        }
        sb.append("},\"merges\":[");
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(',');
            sb.append("[\"a").append(i).append("\",\"b\"]");
        }
        sb.append("]}}");
        String text = sb.toString();
        long t0 = System.nanoTime();
        Map<String, Object> doc = Json.parseObject(text);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<?, ?> vocab = (Map<?, ?>) ((Map<?, ?>) doc.get("model")).get("vocab");
        assertEquals(n, vocab.size());
        assertEquals(42L, vocab.get("tok\u00e942"));
        assertTrue(ms < 5_000, "parsing " + text.length() + " chars took " + ms + " ms");
        assertEquals(Arrays.asList("a7", "b"), ((List<?>) ((Map<?, ?>) doc.get("model")).get("merges")).get(7));
    }
}
