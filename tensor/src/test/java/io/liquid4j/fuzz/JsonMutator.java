package io.liquid4j.fuzz;

import io.liquid4j.tensor.io.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded mutations of a valid JSON document for the parser fuzz tests: damage to the bytes (bit
 * flips, truncation, inserted and deleted bytes, invalid UTF-8, stray structural characters) and
 * lies in the structure (a value of the wrong type, huge and negative numbers, fractions, NaN
 * and Infinity literals, deep nesting, a removed, duplicated, empty or unicode key, a value
 * spliced from elsewhere in the document). Each call describes its mutation in {@code how}, so a
 * failing case can be named and reproduced from its seed.
 *
 * <p>Shared through tensor's test-jar by the fuzz tests of nn, liquid-model and cli.
 */
public final class JsonMutator {
    /** Every kind of mutation, as the first word of {@code how}. */
    public static final List<String> KINDS = List.of("flip", "truncate", "insert", "delete", "utf8", "syntax", "retype",
            "remove", "duplicate", "addkey", "raw", "splice");

    private static final String MARK = "@@fuzz-raw@@";

    private JsonMutator() {}

    /** The judgement of one input: true when it was accepted, false when it was rejected the documented way (else it throws). */
    public interface Check {
        boolean accepts(String label, byte[] bytes) throws java.io.IOException;
    }

    /**
     * The usual fuzz loop: mutant i mutates a random one of {@code bases} with
     * {@code Random(seed * 1_000_003 + i)} (a failure's index reproduces it) and goes to check;
     * returns per mutation kind the counts {accepted, rejected}, sorted by kind.
     */
    public static java.util.Map<String, int[]> fuzz(long seed, int mutants, List<?> bases, Check check) throws java.io.IOException {
        java.util.Map<String, int[]> stats = new java.util.TreeMap<>();
        for (int i = 0; i < mutants; i++) {
            Random rnd = new Random(seed * 1_000_003L + i);
            StringBuilder how = new StringBuilder();
            byte[] mutant = mutate(rnd, bases.get(rnd.nextInt(bases.size())), how);
            boolean accepted = check.accepts("mutant-" + i + " (" + how + ")", mutant);
            stats.computeIfAbsent(how.toString().split(" ")[0], k -> new int[2])[accepted ? 0 : 1]++;
        }
        return stats;
    }

    /** One mutation of the serialized {@code tree} (which is not modified). */
    public static byte[] mutate(Random rnd, Object tree, StringBuilder how) {
        String text = Json.write(tree);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int kind = rnd.nextInt(KINDS.size() + 4);
        if (kind >= KINDS.size()) kind = 6; // structure lies get extra shares: type confusion finds the most
        how.append(KINDS.get(kind));
        switch (kind) {
            case 0 -> {
                byte[] m = bytes.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int k = 0; k < flips && m.length > 0; k++) m[rnd.nextInt(m.length)] ^= (byte) (1 << rnd.nextInt(8));
                how.append(" x").append(flips);
                return m;
            }
            case 1 -> {
                int len = rnd.nextInt(bytes.length + 1);
                how.append(" at ").append(len);
                return Arrays.copyOf(bytes, len);
            }
            case 2 -> {
                byte[] ins = new byte[1 + rnd.nextInt(8)];
                rnd.nextBytes(ins);
                return splice(bytes, rnd.nextInt(bytes.length + 1), 0, ins);
            }
            case 3 -> {
                int at = rnd.nextInt(bytes.length + 1);
                int len = Math.min(bytes.length - at, 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 64));
                return splice(bytes, at, len, new byte[0]);
            }
            case 4 -> {
                byte[][] bad = {{(byte) 0x80}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}};
                return splice(bytes, rnd.nextInt(bytes.length + 1), 0, bad[rnd.nextInt(bad.length)]);
            }
            case 5 -> {
                byte[] m = bytes.clone();
                String chars = "{}[]\",:-0123456789e.\\ntfu \u0000";
                int count = 1 + rnd.nextInt(3);
                for (int k = 0; k < count && m.length > 0; k++) m[rnd.nextInt(m.length)] = (byte) chars.charAt(rnd.nextInt(chars.length()));
                return m;
            }
            default -> {
                return structural(rnd, kind, tree, how);
            }
        }
    }

    private static byte[] structural(Random rnd, int kind, Object tree, StringBuilder how) {
        Object copy = deepCopy(tree);
        Slot slot = pick(rnd, copy, kind == 7 || kind == 8 || kind == 9);
        String raw = null;
        if (slot == null) { // a scalar document, or no object to hold a key: retype the root
            return typeConfused(rnd, how).getBytes(StandardCharsets.UTF_8);
        }
        how.append(' ').append(slot.path);
        switch (kind) {
            case 6 -> slot.set(confusedValue(rnd, slot.get(), how));
            case 7 -> {
                if (slot.parent instanceof Map<?, ?> m) {
                    m.remove(slot.key);
                } else {
                    ((List<?>) slot.parent).remove((int) slot.key);
                }
            }
            case 8 -> { // the member again, later in the object, with the same or another value
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) slot.parent;
                Object second = rnd.nextBoolean() ? deepCopy(slot.get()) : confusedValue(rnd, slot.get(), how);
                m.put(MARK, second);
                raw = Json.write((String) slot.key);
                String text = Json.write(copy).replace(Json.write(MARK), raw);
                return text.getBytes(StandardCharsets.UTF_8);
            }
            case 9 -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) slot.parent;
                String[] keys = {"", " ", "\u00e9\u0301", "\uD83D\uDE00", "\u0000", "__proto__", "k".repeat(5000), String.valueOf(slot.key).toUpperCase()};
                String key = keys[rnd.nextInt(keys.length)];
                m.put(key, confusedValue(rnd, slot.get(), how));
                how.append(" key#").append(key.length());
            }
            case 10 -> {
                String[] raws = {"NaN", "-Infinity", "Infinity", "1e999", "-1e999", "123456789012345678901234567890", "-0", "0.0e-400",
                        "9223372036854775808", "-9223372036854775809", "1E+2", "0x10", "01", "+1", ".5", "1.", "undefined", "'x'",
                        "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u0000\"", "\"\\uffff\"", nest(rnd, 900), nest(rnd, 1001), nest(rnd, 50_000)};
                raw = raws[rnd.nextInt(raws.length)];
                how.append(" = ").append(raw.length() > 16 ? raw.substring(0, 8) + "…(" + raw.length() + ")" : raw);
                slot.set(MARK);
            }
            default -> { // another value of the document in this place
                Slot other = pick(rnd, copy, false);
                Object v = other == null ? Json.NULL : deepCopy(other.get());
                slot.set(v);
                how.append(" <- ").append(other == null ? "null" : other.path);
            }
        }
        String text = Json.write(copy);
        if (raw != null) text = text.replace(Json.write(MARK), raw);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String nest(Random rnd, int depth) {
        boolean arrays = rnd.nextBoolean();
        String open = arrays ? "[" : "{\"a\":", close = arrays ? "]" : "}";
        return open.repeat(depth) + "1" + close.repeat(depth);
    }

    private static String typeConfused(Random rnd, StringBuilder how) {
        return Json.write(confusedValue(rnd, null, how));
    }

    /** A value of another type than {@code old} (or of the same type with a hostile content). */
    private static Object confusedValue(Random rnd, Object old, StringBuilder how) {
        Object[] choices = {Json.NULL, Boolean.TRUE, Boolean.FALSE, "", "x", "\uD83D\uDE00\u00e9\u0000", "1", "-1", "true",
                0L, 1L, -1L, 2L, 3L, Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE, (long) Integer.MAX_VALUE + 1,
                (long) Integer.MIN_VALUE - 1, 1_000_000_000L, 1L << 40, 0.5, -0.0, 1e308, -1e308, 4.9e-324, 1e9, 1.5,
                List.of(), List.of(1L), List.of("a", "b"), List.of(List.of()), new LinkedHashMap<>(),
                new LinkedHashMap<>(Map.of("type", "x")), "x".repeat(100_000)};
        Object v = choices[rnd.nextInt(choices.length)];
        if (old instanceof Long l && rnd.nextInt(3) == 0) v = l + (rnd.nextBoolean() ? 1 : -1) * (1L + rnd.nextInt(3));
        if (old instanceof String s && rnd.nextInt(4) == 0 && !s.isEmpty()) v = s.substring(0, rnd.nextInt(s.length()));
        String shown = Json.write(v);
        how.append(" = ").append(shown.length() > 16 ? shown.substring(0, 8) + "…(" + shown.length() + ")" : shown);
        return v;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] r = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, r, 0, at);
        System.arraycopy(insert, 0, r, at, insert.length);
        System.arraycopy(b, at + remove, r, at + insert.length, b.length - at - remove);
        return r;
    }

    // ------------------------------------------------------------------------------ the tree

    /** A place in the tree: a member of an object or an element of an array. */
    private record Slot(Object parent, Object key, String path) {
        @SuppressWarnings("unchecked")
        Object get() {
            return parent instanceof Map<?, ?> m ? m.get(key) : ((List<Object>) parent).get((int) key);
        }

        @SuppressWarnings("unchecked")
        void set(Object v) {
            if (parent instanceof Map<?, ?> m) ((Map<Object, Object>) m).put(key, v);
            else ((List<Object>) parent).set((int) key, v);
        }
    }

    /**
     * A random slot, reached by walking down from the root and stopping at each level with
     * probability 1/3, so top-level fields are hit about as often as deep ones.
     */
    private static Slot pick(Random rnd, Object root, boolean objectMember) {
        Object node = root;
        Slot last = null;
        String path = "";
        while (true) {
            Slot here;
            if (node instanceof Map<?, ?> m && !m.isEmpty()) {
                List<?> keys = new ArrayList<>(m.keySet());
                Object k = keys.get(rnd.nextInt(keys.size()));
                path = path.isEmpty() ? String.valueOf(k) : path + "." + k;
                here = new Slot(node, k, path);
            } else if (node instanceof List<?> l && !l.isEmpty() && !objectMember) {
                int i = rnd.nextInt(l.size());
                path = path + "[" + i + "]";
                here = new Slot(node, i, path);
            } else {
                return last;
            }
            last = here;
            Object child = here.get();
            boolean container = child instanceof Map<?, ?> cm ? !cm.isEmpty() : child instanceof List<?> cl && !cl.isEmpty();
            if (!container || rnd.nextInt(3) == 0) return last;
            node = child;
        }
    }

    /** A mutable copy: maps keep their order, lists can be changed. */
    public static Object deepCopy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> r = new LinkedHashMap<>();
            m.forEach((k, x) -> r.put(String.valueOf(k), deepCopy(x)));
            return r;
        }
        if (v instanceof List<?> l) {
            List<Object> r = new ArrayList<>(l.size());
            for (Object x : l) r.add(deepCopy(x));
            return r;
        }
        if (v instanceof Integer i) return (long) i;
        return v;
    }
}
