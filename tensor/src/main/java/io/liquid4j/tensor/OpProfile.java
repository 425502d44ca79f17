package io.liquid4j.tensor;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time per backend op, for finding where a training or inference step goes: with the
 * system property liquid4j.profileOps=true (or =N for an N-row table) every {@link Backend} op
 * called through {@link Backends#of} (the ops: void methods and those with a result that take
 * tensors, such as sumsOfSquares; allocation and queries pass through untimed) is timed and
 * counted, keyed by the method and the shapes of its tensor arguments (a Linear's three
 * products show up as three rows), and, in autograd's backward pass, by the graph
 * node whose backward made the call ("bwd matmul"). The table goes to stderr when the JVM exits.
 * JFR samples say which code is hot; this says which op, at which shape, took how long in place
 * (cold caches, allocation and page faults included), which a kernel benchmark on warm buffers
 * does not. JIT warm-up is included too: an op's first calls run before C2 has compiled its
 * kernel (a VQGAN filter-gradient product: ~1 s over its first calls, then 1.5–2 ms a call), so
 * profile enough steps for that to amortise before reading per-call times, or leave the first
 * seconds out with liquid4j.profileOps.after=S (calls that start in the S seconds after the
 * first backend was made are not counted).
 *
 * <p>Calls a backend makes to itself internally are not seen (they do not pass through the
 * proxy). The CPU backend only: CUDA kernels run asynchronously, so their launch times say little.
 */
final class OpProfile implements InvocationHandler {
    private static final String SETTING = System.getProperty("liquid4j.profileOps", "false");
    static final boolean ENABLED = !SETTING.equals("false");
    /** Rows of the (op, shapes) table: liquid4j.profileOps=N prints N, =true 40. */
    private static final int ROWS = SETTING.matches("\\d+") ? Integer.parseInt(SETTING) : 40;
    /**
     * System.nanoTime() before which calls are not counted: liquid4j.profileOps.after seconds
     * after the first backend was made (the start of a run, give or take its argument parsing).
     */
    private static final long FROM = ENABLED ? System.nanoTime() + (long) (seconds("liquid4j.profileOps.after") * 1e9) : Long.MIN_VALUE;

    private record Key(String op, String backwardOf, String shapes) {}

    private static final class Totals {
        final LongAdder calls = new LongAdder(), nanos = new LongAdder();
    }

    private static final Map<Key, Totals> TOTALS = new ConcurrentHashMap<>();
    private static final LongAdder ALL_NANOS = new LongAdder();

    static {
        if (ENABLED) Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.print(table(ROWS)), "liquid4j-op-profile"));
    }

    private final Backend target;

    private static double seconds(String property) {
        String v = System.getProperty(property, "0");
        try {
            double s = Double.parseDouble(v);
            if (s >= 0) return s;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(property + " must be a number of seconds ≥ 0, got \"" + v + "\"");
    }

    private OpProfile(Backend target) { this.target = target; }

    /** The backend itself, or a timing proxy around it when profiling is on. */
    static Backend wrap(Backend target) {
        return ENABLED ? timing(target) : target;
    }

    /** A timing proxy around target, whatever the property says (tests). */
    static Backend timing(Backend target) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, new OpProfile(target));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class || (method.getReturnType() != void.class && !takesTensors(args))) return call(method, args);
        long t0 = System.nanoTime();
        try {
            return call(method, args);
        } finally {
            long dt = System.nanoTime() - t0;
            if (t0 >= FROM) {
                Totals t = TOTALS.computeIfAbsent(new Key(method.getName(), Autograd.backwardOf(), shapes(args)), _ -> new Totals());
                t.calls.increment();
                t.nanos.add(dt);
                ALL_NANOS.add(dt);
            }
        }
    }

    /** Whether an op with a result (sumsOfSquares) works on tensors; queries (allocate, capabilities) are not timed. */
    private static boolean takesTensors(Object[] args) {
        if (args == null) return false;
        for (Object a : args) if (a instanceof Tensor || a instanceof java.util.List<?>) return true;
        return false;
    }

    private Object call(Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static String shapes(Object[] args) {
        if (args == null) return "";
        StringBuilder sb = new StringBuilder();
        for (Object a : args) {
            if (a instanceof Tensor t) {
                if (!sb.isEmpty()) sb.append(' ');
                sb.append(java.util.Arrays.toString(t.shape()).replace(" ", ""));
            }
        }
        return sb.toString();
    }

    /** The n costliest (op, pass, shapes) rows and the totals per op, as text. */
    static String table(int n) {
        long all = Math.max(1, ALL_NANOS.sum());
        List<Map.Entry<Key, Totals>> rows = new ArrayList<>(TOTALS.entrySet());
        rows.sort((x, y) -> Long.compare(y.getValue().nanos.sum(), x.getValue().nanos.sum()));
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%nliquid4j op profile: %.3f s in backend ops%n", all / 1e9));
        sb.append(String.format(Locale.ROOT, "%7s %-16s %9s %9s  %s%n", "share", "pass", "calls", "ms", "op [shapes of its tensors]"));
        for (Map.Entry<Key, Totals> e : rows.subList(0, Math.min(n, rows.size()))) {
            Key k = e.getKey();
            long ns = e.getValue().nanos.sum();
            sb.append(String.format(Locale.ROOT, "%6.1f%% %-16s %9d %9.1f  %s %s%n", 100.0 * ns / all, k.backwardOf() == null ? "fwd" : "bwd " + k.backwardOf(),
                    e.getValue().calls.sum(), ns / 1e6, k.op(), k.shapes()));
        }
        Map<String, long[]> perOp = new java.util.TreeMap<>();
        TOTALS.forEach((k, t) -> {
            long[] v = perOp.computeIfAbsent(k.op() + (k.backwardOf() == null ? "" : " (bwd " + k.backwardOf() + ")"), _ -> new long[2]);
            v[0] += t.calls.sum();
            v[1] += t.nanos.sum();
        });
        sb.append(String.format(Locale.ROOT, "per op:%n"));
        perOp.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).forEach(e ->
                sb.append(String.format(Locale.ROOT, "%6.1f%% %9d %9.1f  %s%n", 100.0 * e.getValue()[1] / all, e.getValue()[0], e.getValue()[1] / 1e6, e.getKey())));
        return sb.toString();
    }
}
