package io.liquid4j.tensor.io;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * A strict RFC 8259 JSON parser and a compact writer, with no dependencies beyond the JDK.
 *
 * <p>Values map to Java as follows: object → {@code LinkedHashMap<String, Object>} (member
 * order kept), array → {@code ArrayList<Object>}, string → {@code String}, number →
 * {@code Long} when it is written without fraction or exponent and fits in a long, otherwise
 * {@code Double}, true/false → {@code Boolean}, null → {@link #NULL}. The sentinel lets
 * {@code map.get(key)} tell an absent member (Java null) from a JSON null ({@code Json.NULL}).
 *
 * <p>The parser is iterative (an explicit stack, not recursion), so depth is bounded only by
 * {@link Options#maxDepth()} and never by the thread stack; it scans the text once without
 * regular expressions and slices strings without copying through a builder unless they hold
 * escapes, which keeps 30 MB tokenizer.json files fast. Everything RFC 8259 forbids is an
 * error: trailing commas, comments, single quotes, leading zeros, NaN/Infinity, raw control
 * characters inside strings, text after the top-level value, duplicate member names (unless
 * {@link Options#allowDuplicateKeys()}), unpaired surrogate escapes (unless
 * {@link Options#allowLoneSurrogates()}) and numbers too large for a double.
 */
public final class Json {

    /** The JSON null value. {@code toString()} is "null"; it is the only instance of its class. */
    public static final Object NULL = new JsonNull();

    /**
     * Parser limits and leniencies.
     *
     * @param maxDepth            the most containers that may be open at once; deeper input is
     *                            an error (stops "[[[[..." bombs from eating memory)
     * @param allowDuplicateKeys  when true a repeated member name replaces the earlier value
     *                            (the last one wins); when false it is an error
     * @param allowLoneSurrogates when true a {@code \}{@code uD800}-style escape without its pair
     *                            is kept as a lone UTF-16 char; when false it is an error
     */
    public record Options(int maxDepth, boolean allowDuplicateKeys, boolean allowLoneSurrogates) {
        /** Depth 1000, duplicates and lone surrogates rejected. */
        public static final Options DEFAULT = new Options(1000, false, false);

        public Options {
            if (maxDepth < 1) {
                throw new IllegalArgumentException("maxDepth must be at least 1, got " + maxDepth);
            }
        }

        public Options withMaxDepth(int depth) { return new Options(depth, allowDuplicateKeys, allowLoneSurrogates); }

        public Options withAllowDuplicateKeys(boolean allow) { return new Options(maxDepth, allow, allowLoneSurrogates); }

        public Options withAllowLoneSurrogates(boolean allow) { return new Options(maxDepth, allowDuplicateKeys, allow); }
    }

    /**
     * Deepest structure {@link #write} follows before it assumes a cycle. The writer recurses,
     * so this also keeps it well inside the default thread stack; it matches the parser's
     * default depth, so anything parsed with default options can be written back.
     */
    private static final int MAX_WRITE_DEPTH = 1000;

    private Json() {}

    // ------------------------------------------------------------------------------------------
    // Parsing entry points
    // ------------------------------------------------------------------------------------------

    /** Parses a complete JSON text with {@link Options#DEFAULT}. */
    public static Object parse(String text) {
        return parse(text, Options.DEFAULT);
    }

    /** Parses a complete JSON text. */
    public static Object parse(String text, Options options) {
        return new Parser(text, options).parseDocument();
    }

    /** Parses a JSON text whose top-level value must be an object. */
    public static Map<String, Object> parseObject(String text) {
        return parseObject(text, Options.DEFAULT);
    }

    /** Parses a JSON text whose top-level value must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, Options options) {
        Parser p = new Parser(text, options);
        Object v = p.parseDocument();
        if (!(v instanceof Map)) {
            throw p.error("expected a JSON object at the top level but found " + typeName(v), p.firstValueOffset);
        }
        return (Map<String, Object>) v;
    }

    /**
     * Reads a UTF-8 file and parses it. A leading byte order mark is skipped, as RFC 8259 allows.
     * Parse errors, invalid UTF-8 among them, are a {@link JsonException} naming the file and the
     * position ("f.json: line 3, column 7: not valid UTF-8 (byte 0xC3 at byte offset 40)"); an
     * IOException is only a file that cannot be read.
     */
    public static Object parseFile(Path file) throws IOException {
        return parseFile(file, Options.DEFAULT);
    }

    /** As {@link #parseFile(Path)} with explicit options. */
    public static Object parseFile(Path file, Options options) throws IOException {
        String text = decodeUtf8(Files.readAllBytes(file), file);
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1);
        }
        try {
            return parse(text, options);
        } catch (JsonException e) {
            throw e.withSource(file.toString());
        }
    }

    /** The bytes as text; invalid UTF-8 is a JsonException at the first bad byte (Files.readString's error names neither file nor place). */
    private static String decodeUtf8(byte[] bytes, Path file) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);   // UTF-8 never decodes to more chars than bytes
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) r = dec.flush(out);
        if (!r.isError()) return out.flip().toString();
        int at = in.position(), line = 1, column = 1;
        for (int i = 0; i < out.position(); i++) {
            if (out.get(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        String detail = String.format("not valid UTF-8 (byte 0x%02X at byte offset %d)", bytes[at] & 0xFF, at);
        throw new JsonException(detail, line, column, out.position()).withSource(file.toString());
    }

    /** A short name of a parsed value's JSON type, for error messages ("object", "string", ...). */
    public static String typeName(Object value) {
        if (value == null) return "nothing";
        if (value == NULL) return "null";
        if (value instanceof Map) return "object";
        if (value instanceof List) return "array";
        if (value instanceof String) return "string";
        if (value instanceof Boolean) return "boolean";
        if (value instanceof Number) return "number";
        return value.getClass().getSimpleName();
    }

    // ------------------------------------------------------------------------------------------
    // Parser
    // ------------------------------------------------------------------------------------------

    private static final class Parser {
        private final String s;
        private final int len;
        private final Options options;
        private int pos;
        /** Where the top-level value starts, for errors about its type. */
        int firstValueOffset;

        Parser(String text, Options options) {
            this.s = text;
            this.len = text.length();
            this.options = options;
        }

        Object parseDocument() {
            skipWhitespace();
            firstValueOffset = pos;
            Object value = parseValue();
            skipWhitespace();
            if (pos < len) {
                throw error("expected end of input after the top-level value but found " + describe(pos), pos);
            }
            return value;
        }

        /**
         * Parses one value, nested containers included, with an explicit stack: {@code stack}
         * holds the open containers, {@code keys}/{@code keyPos} the member name (and where it
         * starts) whose value is being parsed in each open object.
         */
        @SuppressWarnings("unchecked")
        private Object parseValue() {
            Object[] stack = new Object[16];
            String[] keys = new String[16];
            int[] keyPos = new int[16];
            int depth = 0;
            while (true) {
                // 1. Read the start of a value. Scalars complete at once; a non-empty container
                //    is pushed and we loop to read its first element.
                skipWhitespace();
                if (pos >= len) {
                    throw error("expected a value but found end of input", pos);
                }
                Object value;
                char c = s.charAt(pos);
                switch (c) {
                    case '{', '[' -> {
                        // `depth` containers are open around this one.
                        if (depth >= options.maxDepth()) {
                            throw error("nesting deeper than " + options.maxDepth() + " levels", pos);
                        }
                        pos++;
                        skipWhitespace();
                        boolean isObject = c == '{';
                        char close = isObject ? '}' : ']';
                        if (pos < len && s.charAt(pos) == close) {
                            pos++;
                            value = isObject ? new LinkedHashMap<String, Object>() : new ArrayList<>();
                        } else {
                            if (depth == stack.length) {
                                int n = (int) Math.min(depth * 2L, options.maxDepth());
                                stack = Arrays.copyOf(stack, n);
                                keys = Arrays.copyOf(keys, n);
                                keyPos = Arrays.copyOf(keyPos, n);
                            }
                            if (isObject) {
                                stack[depth] = new LinkedHashMap<String, Object>();
                                keyPos[depth] = pos;
                                keys[depth] = readKeyAndColon();
                            } else {
                                stack[depth] = new ArrayList<>();
                            }
                            depth++;
                            continue;
                        }
                    }
                    case '"' -> value = readString();
                    case 't' -> value = readLiteral("true", Boolean.TRUE);
                    case 'f' -> value = readLiteral("false", Boolean.FALSE);
                    case 'n' -> value = readLiteral("null", NULL);
                    default -> {
                        if (c == '-' || (c >= '0' && c <= '9')) {
                            value = readNumber();
                        } else {
                            throw error("expected a value but found " + describe(pos), pos);
                        }
                    }
                }
                // 2. Hand the finished value to the enclosing container. If that container
                //    closes right after it, it becomes the finished value one level up.
                while (true) {
                    if (depth == 0) {
                        return value;
                    }
                    Object top = stack[depth - 1];
                    skipWhitespace();
                    char next = pos < len ? s.charAt(pos) : 0;
                    if (top instanceof ArrayList<?> list) {
                        ((ArrayList<Object>) list).add(value);
                        if (pos < len && next == ',') {
                            pos++;
                            break;
                        }
                        if (pos < len && next == ']') {
                            pos++;
                            stack[--depth] = null;
                            value = list;
                            continue;
                        }
                        throw error("expected ',' or ']' in an array but found " + describe(pos), pos);
                    } else {
                        Map<String, Object> map = (Map<String, Object>) top;
                        String key = keys[depth - 1];
                        // Values are never Java null (JSON null is the NULL sentinel), so a
                        // non-null previous value means the key was already there.
                        Object previous = options.allowDuplicateKeys() ? map.put(key, value) : map.putIfAbsent(key, value);
                        if (previous != null && !options.allowDuplicateKeys()) {
                            throw error("duplicate key \"" + shorten(key) + "\"", keyPos[depth - 1]);
                        }
                        if (pos < len && next == ',') {
                            pos++;
                            skipWhitespace();
                            keyPos[depth - 1] = pos;
                            keys[depth - 1] = readKeyAndColon();
                            break;
                        }
                        if (pos < len && next == '}') {
                            pos++;
                            stack[--depth] = null;
                            value = map;
                            continue;
                        }
                        throw error("expected ',' or '}' in an object but found " + describe(pos), pos);
                    }
                }
            }
        }

        /** Reads {@code "name" :} at the current position (whitespace already skipped). */
        private String readKeyAndColon() {
            if (pos >= len || s.charAt(pos) != '"') {
                throw error("expected a string key in an object but found " + describe(pos), pos);
            }
            String key = readString();
            skipWhitespace();
            if (pos >= len || s.charAt(pos) != ':') {
                throw error("expected ':' after an object key but found " + describe(pos), pos);
            }
            pos++;
            return key;
        }

        private Object readLiteral(String word, Object value) {
            if (!s.startsWith(word, pos)) {
                throw error("expected a value but found " + describe(pos), pos);
            }
            pos += word.length();
            return value;
        }

        /** Reads a number per the RFC grammar: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
        private Object readNumber() {
            int start = pos;
            int p = pos;
            if (s.charAt(p) == '-') {
                p++;
            }
            int intStart = p;
            if (p >= len || !isDigit(s.charAt(p))) {
                throw error("expected a digit after '-' but found " + describe(p), p);
            }
            if (s.charAt(p) == '0') {
                p++;
                if (p < len && isDigit(s.charAt(p))) {
                    throw error("leading zeros are not allowed in numbers", start);
                }
            } else {
                while (p < len && isDigit(s.charAt(p))) p++;
            }
            int intEnd = p;
            boolean integral = true;
            if (p < len && s.charAt(p) == '.') {
                p++;
                if (p >= len || !isDigit(s.charAt(p))) {
                    throw error("expected a digit after the decimal point but found " + describe(p), p);
                }
                while (p < len && isDigit(s.charAt(p))) p++;
                integral = false;
            }
            if (p < len && (s.charAt(p) == 'e' || s.charAt(p) == 'E')) {
                p++;
                if (p < len && (s.charAt(p) == '+' || s.charAt(p) == '-')) p++;
                if (p >= len || !isDigit(s.charAt(p))) {
                    throw error("expected a digit in the exponent but found " + describe(p), p);
                }
                while (p < len && isDigit(s.charAt(p))) p++;
                integral = false;
            }
            pos = p;
            if (integral) {
                // Up to 18 digits always fit in a long: accumulate without allocating.
                if (intEnd - intStart <= 18) {
                    long v = 0;
                    for (int i = intStart; i < intEnd; i++) {
                        v = v * 10 + (s.charAt(i) - '0');
                    }
                    return start == intStart ? v : -v;
                }
                try {
                    return Long.parseLong(s, start, p, 10);
                } catch (NumberFormatException tooBig) {
                    // Falls through: integers beyond the long range become doubles.
                }
            }
            double d = Double.parseDouble(s.substring(start, p));
            if (Double.isInfinite(d)) {
                throw error("number " + shorten(s.substring(start, p)) + " is out of the range of a double", start);
            }
            return d;
        }

        /** Reads a string starting at the opening quote; returns its unescaped content. */
        private String readString() {
            int open = pos;
            int start = pos + 1;
            int p = start;
            // Fast path: no escapes, so the content is a slice of the input.
            while (p < len) {
                char c = s.charAt(p);
                if (c == '"') {
                    pos = p + 1;
                    return s.substring(start, p);
                }
                if (c == '\\' || c < 0x20) {
                    break;
                }
                p++;
            }
            StringBuilder sb = new StringBuilder(p - start + 16);
            sb.append(s, start, p);
            while (true) {
                if (p >= len) {
                    throw error("unterminated string (it opens here)", open);
                }
                char c = s.charAt(p);
                if (c == '"') {
                    pos = p + 1;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("control character " + describe(p) + " must be escaped inside a string", p);
                }
                if (c != '\\') {
                    sb.append(c);
                    p++;
                    continue;
                }
                int escape = p;
                if (p + 1 >= len) {
                    throw error("unterminated string (it opens here)", open);
                }
                char e = s.charAt(p + 1);
                p += 2;
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        char u = readHex4(p, escape);
                        p += 4;
                        if (Character.isHighSurrogate(u)) {
                            // A high surrogate must be followed by a \\u escape of a low one.
                            if (p + 5 < len && s.charAt(p) == '\\' && s.charAt(p + 1) == 'u') {
                                char low = readHex4(p + 2, p);
                                if (Character.isLowSurrogate(low)) {
                                    sb.append(u).append(low);
                                    p += 6;
                                    continue;
                                }
                            }
                            if (!options.allowLoneSurrogates()) {
                                throw error("unpaired surrogate escape " + s.substring(escape, escape + 6), escape);
                            }
                        } else if (Character.isLowSurrogate(u) && !options.allowLoneSurrogates()) {
                            throw error("unpaired surrogate escape " + s.substring(escape, escape + 6), escape);
                        }
                        sb.append(u);
                    }
                    default -> throw error("invalid escape '\\" + (e < 0x20 || e >= 0x7F ? describeChar(e) : String.valueOf(e))
                            + "' in a string", escape);
                }
            }
        }

        /** Four hex digits at {@code p} (belonging to the escape at {@code escape}). */
        private char readHex4(int p, int escape) {
            if (p + 4 > len) {
                throw error("expected four hex digits after \\u but found end of input", escape);
            }
            int v = 0;
            for (int i = p; i < p + 4; i++) {
                int d = hexValue(s.charAt(i));
                if (d < 0) {
                    throw error("expected four hex digits after \\u but found " + describe(i), escape);
                }
                v = (v << 4) | d;
            }
            return (char) v;
        }

        /** The value of an ASCII hex digit, or -1 (Character.digit would also take fullwidth digits). */
        private static int hexValue(char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        }

        private void skipWhitespace() {
            while (pos < len) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                pos++;
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private String describe(int p) {
            return p >= len ? "end of input" : describeChar(s.charAt(p));
        }

        /** Computes line and column only now, so the happy path never tracks them. */
        JsonException error(String detail, int offset) {
            int line = 1;
            int lineStart = 0;
            int end = Math.min(offset, len);
            for (int i = 0; i < end; i++) {
                char c = s.charAt(i);
                // \r\n, \n and a lone \r each end a line.
                if (c == '\n' || (c == '\r' && (i + 1 >= len || s.charAt(i + 1) != '\n'))) {
                    line++;
                    lineStart = i + 1;
                }
            }
            return new JsonException(detail, line, offset - lineStart + 1, offset);
        }
    }

    private static String describeChar(char c) {
        if (c >= 0x20 && c < 0x7F) {
            return "'" + c + "'";
        }
        return String.format("U+%04X", (int) c);
    }

    /** Keeps error messages readable when the offending text is huge. */
    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    // ------------------------------------------------------------------------------------------
    // Writer
    // ------------------------------------------------------------------------------------------

    /**
     * Writes a value as compact JSON (no whitespace). Accepts what the parser produces plus
     * common Java types: null or {@link #NULL}; CharSequence and Character; Boolean; Long,
     * Integer, Short, Byte, BigInteger, BigDecimal; finite Double and Float; Map with String
     * keys; any Iterable; Object[], long[], int[], double[], float[], boolean[].
     *
     * @throws JsonException for NaN/infinite numbers, non-string keys, unsupported types, or
     *                       nesting deeper than 1,000 levels (most likely a cycle)
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        writeValue(sb, value, 0);
        return sb.toString();
    }

    /**
     * A map's entries in its own order when it has one (a {@link SequencedMap}:
     * LinkedHashMap, TreeMap, what the parser returns), else sorted by key, so that the same object
     * writes the same text in every run: {@code Map.of}'s order changes from one JVM to the next.
     * Keys that are not strings are left in place for the caller's check to reject.
     */
    private static Iterable<? extends Map.Entry<?, ?>> inWriteOrder(Map<?, ?> map) {
        if (map instanceof SequencedMap<?, ?> || map.size() < 2) return map.entrySet();
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (entries.stream().allMatch(e -> e.getKey() instanceof CharSequence)) {
            entries.sort(Comparator.comparing(e -> e.getKey().toString()));
        }
        return entries;
    }

    private static void writeValue(StringBuilder sb, Object v, int depth) {
        // `depth` containers are open around v; only another container can exceed the limit.
        if (depth >= MAX_WRITE_DEPTH && (v instanceof Map || v instanceof Iterable || v instanceof Object[])) {
            throw new JsonException("cannot write JSON nested deeper than " + MAX_WRITE_DEPTH + " levels (is there a cycle?)");
        }
        switch (v) {
            case null -> sb.append("null");
            case JsonNull _ -> sb.append("null");
            case CharSequence cs -> writeString(sb, cs);
            case Character c -> writeString(sb, String.valueOf(c));
            case Boolean b -> sb.append(b.booleanValue());
            case Long l -> sb.append(l.longValue());
            case Integer i -> sb.append(i.intValue());
            case Short sh -> sb.append(sh.shortValue());
            case Byte by -> sb.append(by.byteValue());
            case BigInteger bi -> sb.append(bi);
            case BigDecimal bd -> sb.append(bd);
            case Double d -> {
                requireFinite(d);
                sb.append(d.doubleValue());
            }
            case Float f -> {
                requireFinite(f.doubleValue());
                sb.append(f.floatValue());
            }
            case Map<?, ?> map -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : inWriteOrder(map)) {
                    if (!(e.getKey() instanceof CharSequence key)) {
                        throw new JsonException("cannot write a JSON object key of type "
                                + (e.getKey() == null ? "null" : e.getKey().getClass().getName()) + ": keys must be strings");
                    }
                    if (!first) sb.append(',');
                    first = false;
                    writeString(sb, key);
                    sb.append(':');
                    writeValue(sb, e.getValue(), depth + 1);
                }
                sb.append('}');
            }
            case Iterable<?> it -> {
                sb.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) sb.append(',');
                    first = false;
                    writeValue(sb, o, depth + 1);
                }
                sb.append(']');
            }
            case Object[] a -> writeValue(sb, Arrays.asList(a), depth);
            case long[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            case int[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            case double[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    requireFinite(a[i]);
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            case float[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    requireFinite(a[i]);
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            case boolean[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            default -> throw new JsonException("cannot write a value of type " + v.getClass().getName() + " as JSON");
        }
    }

    private static void requireFinite(double d) {
        if (!Double.isFinite(d)) {
            throw new JsonException("cannot write " + d + " as JSON: only finite numbers are allowed");
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * Writes a quoted string. Escapes what JSON requires (quote, backslash, controls) and also
     * unpaired surrogates, which have no UTF-8 encoding and would corrupt the output file.
     */
    private static void writeString(StringBuilder sb, CharSequence s) {
        sb.append('"');
        int n = s.length();
        int run = 0; // start of the pending run of chars that need no escaping
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String esc;
            if (c == '"') {
                esc = "\\\"";
            } else if (c == '\\') {
                esc = "\\\\";
            } else if (c < 0x20) {
                esc = switch (c) {
                    case '\b' -> "\\b";
                    case '\f' -> "\\f";
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> unicodeEscape(c);
                };
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++; // a proper pair: keep both chars raw
                    continue;
                }
                esc = unicodeEscape(c);
            } else {
                continue;
            }
            sb.append(s, run, i).append(esc);
            run = i + 1;
        }
        sb.append(s, run, n).append('"');
    }

    private static String unicodeEscape(char c) {
        return new String(new char[] {'\\', 'u', HEX[c >> 12], HEX[(c >> 8) & 15], HEX[(c >> 4) & 15], HEX[c & 15]});
    }

    /** The JSON null sentinel's class: one instance, prints as "null". */
    private static final class JsonNull {
        @Override
        public String toString() {
            return "null";
        }
    }
}
