package io.liquid4j.convert.torch;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A restricted pickle reader (protocols 0–5 opcodes, no out-of-band buffers). It builds plain
 * Java values — Map (dict), List (list), {@link PickleTuple}, String, Long/BigInteger, Double,
 * Boolean, byte[], Set, null — and never imports or runs anything: GLOBAL opcodes go through a
 * resolver that knows a short allow-list and refuses every other name with an error naming it.
 */
public final class Unpickler {
    private static final Object MARK = new Object() {
        @Override public String toString() { return "MARK"; }
    };

    private final byte[] in;
    private int pos;
    private final Function<String, PickleGlobal> globals;
    private final Function<Object, Object> persistentLoad;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    /** Which global made each object, so BUILD can ask that global to apply state. */
    private final Map<Object, PickleGlobal> madeBy = new java.util.IdentityHashMap<>();

    /**
     * @param globals        "module.name" → the allowed global (it throws for a refused name)
     * @param persistentLoad resolves persistent ids (torch storages); null refuses them
     */
    public Unpickler(byte[] data, Function<String, PickleGlobal> globals, Function<Object, Object> persistentLoad) {
        this.in = data;
        this.globals = globals;
        this.persistentLoad = persistentLoad;
    }

    /** Reads the whole stream up to STOP and returns the top object. */
    public Object load() {
        while (true) {
            if (pos >= in.length) throw new PickleException("pickle ended without a STOP opcode");
            int op = in[pos++] & 0xFF;
            switch (op) {
                case 0x80 -> u8();                                   // PROTO
                case 0x95 -> skip(8);                                // FRAME: length hint only
                case '.' -> {                                        // STOP
                    if (stack.size() != 1) throw new PickleException("pickle STOP with " + stack.size() + " values on the stack");
                    return stack.getFirst();
                }
                case '(' -> marks.add(stack.size());
                case ')' -> push(new PickleTuple(List.of()));
                case ']' -> push(new ArrayList<>());
                case '}' -> push(new LinkedHashMap<>());
                case 0x8f -> push(new LinkedHashSet<>());          // EMPTY_SET
                case 'l' -> push(new ArrayList<>(popMark()));
                case 't' -> push(new PickleTuple(popMark()));
                case 'd' -> push(dictOf(popMark()));
                case 0x91 -> push(Set.copyOf(popMark()));           // FROZENSET
                case 0x85 -> push(new PickleTuple(List.of(pop()))); // TUPLE1
                case 0x86 -> {                                       // TUPLE2
                    Object b = pop(), a = pop();
                    push(new PickleTuple(java.util.Arrays.asList(a, b)));
                }
                case 0x87 -> {                                       // TUPLE3
                    Object c = pop(), b = pop(), a = pop();
                    push(new PickleTuple(java.util.Arrays.asList(a, b, c)));
                }
                case 'a' -> {                                        // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> {                                        // APPENDS
                    List<Object> vs = popMark();
                    list(peek()).addAll(vs);
                }
                case 0x90 -> {                                       // ADDITEMS
                    List<Object> vs = popMark();
                    set(peek()).addAll(vs);
                }
                case 's' -> {                                        // SETITEM
                    Object v = pop(), k = pop();
                    dict(peek()).put(k, v);
                }
                case 'u' -> {                                        // SETITEMS
                    List<Object> kv = popMark();
                    if (kv.size() % 2 != 0) throw new PickleException("SETITEMS with an odd number of values");
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i < kv.size(); i += 2) d.put(kv.get(i), kv.get(i + 1));
                }
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | u8() << 8));
                case 0x8a -> push(longOf(bytes(u8())));             // LONG1
                case 0x8b -> push(longOf(bytes(len(i32()))));       // LONG4
                case 'I' -> push(textInt(line()));
                case 'L' -> push(number(new BigInteger(stripL(line()))));
                case 'G' -> push(Double.longBitsToDouble(be64()));
                case 'F' -> push(Double.parseDouble(line()));
                case 'X' -> push(utf8(len(i32())));
                case 0x8c -> push(utf8(u8()));                      // SHORT_BINUNICODE
                case 0x8d -> push(utf8(len(i64())));                // BINUNICODE8
                case 'V' -> push(rawUnicode(line()));
                case 'T' -> push(latin1(len(i32())));               // BINSTRING (python 2 str)
                case 'U' -> push(latin1(u8()));                     // SHORT_BINSTRING
                case 'S' -> push(quoted(line()));
                case 'B' -> push(bytes(len(i32())));
                case 'C' -> push(bytes(u8()));
                case 0x8e, 0x96 -> push(bytes(len(i64())));         // BINBYTES8, BYTEARRAY8
                case 'c' -> {                                        // GLOBAL
                    String module = line();
                    push(global(module, line()));
                }
                case 0x93 -> {                                       // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) throw new PickleException("STACK_GLOBAL needs two strings");
                    push(global(m, n));
                }
                case 'R' -> {                                        // REDUCE
                    Object args = pop(), f = pop();
                    push(call(f, args));
                }
                case 0x81 -> {                                       // NEWOBJ: cls.__new__(cls, *args)
                    Object args = pop(), cls = pop();
                    push(call(cls, args));
                }
                case 0x92 -> {                                       // NEWOBJ_EX
                    pop();
                    Object args = pop(), cls = pop();
                    push(call(cls, args));
                }
                case 'b' -> {                                        // BUILD
                    Object state = pop();
                    Object obj = pop();
                    push(build(obj, state));
                }
                case 'Q' -> push(persistent(pop()));                // BINPERSID
                case 'P' -> push(persistent(line()));               // PERSID
                case 'q' -> memo.put((long) u8(), peek());          // BINPUT
                case 'r' -> memo.put((long) i32(), peek());         // LONG_BINPUT
                case 'p' -> memo.put(Long.parseLong(line()), peek()); // PUT
                case 0x94 -> memo.put((long) memo.size(), peek());  // MEMOIZE
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(i32()));
                case 'g' -> push(memoGet(Long.parseLong(line())));
                case '0' -> pop();
                case '1' -> popMark();
                case '2' -> push(peek());
                default -> throw new PickleException(String.format("unsupported pickle opcode 0x%02x at byte %d", op, pos - 1));
            }
        }
    }

    // ---- objects -----------------------------------------------------------------------------

    private Object global(String module, String name) {
        return globals.apply(module + "." + name);
    }

    private Object call(Object f, Object args) {
        if (!(f instanceof PickleGlobal g)) throw new PickleException("pickle calls a non-callable " + describe(f));
        if (!(args instanceof PickleTuple t)) throw new PickleException("pickle calls " + g.qualifiedName() + " without an argument tuple");
        Object made = g.call(t.items());
        if (made != null && !(made instanceof String) && !(made instanceof Number) && !(made instanceof Boolean)) madeBy.put(made, g);
        return made;
    }

    private Object build(Object obj, Object state) {
        PickleGlobal g = obj == null ? null : madeBy.get(obj);
        if (g != null) return g.build(obj, state);
        throw new PickleException("pickle sets the state of " + describe(obj) + ", which no allowed global made");
    }

    private Object persistent(Object pid) {
        if (persistentLoad == null) throw new PickleException("pickle refers to external data (persistent id " + pid + ")");
        return persistentLoad.apply(pid);
    }

    private Object memoGet(long key) {
        if (!memo.containsKey(key)) throw new PickleException("pickle reads memo slot " + key + ", which was never stored");
        return memo.get(key);
    }

    private static Map<Object, Object> dictOf(List<Object> kv) {
        if (kv.size() % 2 != 0) throw new PickleException("DICT with an odd number of values");
        Map<Object, Object> d = new LinkedHashMap<>();
        for (int i = 0; i < kv.size(); i += 2) d.put(kv.get(i), kv.get(i + 1));
        return d;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o instanceof List<?> l && !(o instanceof PickleTuple)) return (List<Object>) l;
        throw new PickleException("pickle appends to " + describe(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw new PickleException("pickle sets an item of " + describe(o) + ", not a dict");
    }

    @SuppressWarnings("unchecked")
    private static Set<Object> set(Object o) {
        if (o instanceof Set<?> s) return (Set<Object>) s;
        throw new PickleException("pickle adds to " + describe(o) + ", not a set");
    }

    static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof PickleGlobal g) return g.qualifiedName();
        return "a " + o.getClass().getSimpleName();
    }

    // ---- stack -------------------------------------------------------------------------------

    private void push(Object o) { stack.add(o); }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.getLast() == stack.size())) throw new PickleException("pickle stack underflow at byte " + pos);
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.isEmpty()) throw new PickleException("pickle stack underflow at byte " + pos);
        return stack.getLast();
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw new PickleException("pickle has no MARK to pop at byte " + pos);
        int m = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    // ---- primitive reads ---------------------------------------------------------------------

    private void need(long n) {
        if (n < 0 || n > in.length - pos) throw new PickleException("pickle truncated: needs " + n + " bytes at byte " + pos + " of " + in.length);
    }

    private void skip(int n) {
        need(n);
        pos += n;
    }

    private int u8() {
        need(1);
        return in[pos++] & 0xFF;
    }

    private int i32() {
        need(4);
        int v = (in[pos] & 0xFF) | (in[pos + 1] & 0xFF) << 8 | (in[pos + 2] & 0xFF) << 16 | in[pos + 3] << 24;
        pos += 4;
        return v;
    }

    private long i64() {
        long lo = i32() & 0xFFFFFFFFL, hi = i32() & 0xFFFFFFFFL;
        return lo | hi << 32;
    }

    private long be64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (in[pos++] & 0xFF);
        return v;
    }

    private int len(long n) {
        if (n < 0 || n > in.length - pos) throw new PickleException("pickle truncated: a value of " + n + " bytes at byte " + pos + " of " + in.length);
        return (int) n;
    }

    private byte[] bytes(int n) {
        need(n);
        byte[] b = java.util.Arrays.copyOfRange(in, pos, pos + n);
        pos += n;
        return b;
    }

    private String utf8(int n) { return new String(bytes(n), StandardCharsets.UTF_8); }

    private String latin1(int n) { return new String(bytes(n), StandardCharsets.ISO_8859_1); }

    private String line() {
        int start = pos;
        while (pos < in.length && in[pos] != '\n') pos++;
        if (pos >= in.length) throw new PickleException("pickle truncated inside a text line at byte " + start);
        String s = new String(in, start, pos - start, StandardCharsets.ISO_8859_1);
        pos++;
        return s;
    }

    /** Little-endian two's complement (LONG1/LONG4). */
    private static Object longOf(byte[] le) {
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        return number(new BigInteger(be));
    }

    private static Object number(BigInteger b) {
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    private static Object textInt(String s) {
        if (s.equals("01")) return Boolean.TRUE;
        if (s.equals("00")) return Boolean.FALSE;
        return number(new BigInteger(s));
    }

    private static String stripL(String s) { return s.endsWith("L") ? s.substring(0, s.length() - 1) : s; }

    private static String quoted(String s) {
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"') && s.charAt(s.length() - 1) == s.charAt(0)) {
            return s.substring(1, s.length() - 1);
        }
        throw new PickleException("pickle STRING is not quoted: " + s);
    }

    private static String rawUnicode(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 5 < s.length() + 0 && s.charAt(i + 1) == 'u') {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
