package io.liquid4j.tensor.cuda;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the @Test methods of the given classes without Maven or the JUnit launcher — for
 * bench/gpu-check.sh on a GPU machine that has a JRE but no Maven repository. Exit code 1 on
 * any failure; an assumption failure counts as skipped. An argument {@code Class#a,b} runs only
 * the methods a and b of Class, {@code Class!a,b} all but those (so that a test that may leave
 * the CUDA context broken can run in a JVM of its own).
 */
public final class GpuTestRunner {
    public static void main(String[] args) throws Exception {
        int pass = 0, fail = 0, skip = 0;
        for (String arg : args) {
            int cut = Math.max(arg.indexOf('#'), arg.indexOf('!'));
            Class<?> c = Class.forName(cut < 0 ? arg : arg.substring(0, cut));
            java.util.Set<String> named = cut < 0 ? java.util.Set.of() : java.util.Set.of(arg.substring(cut + 1).split(","));
            boolean only = cut >= 0 && arg.charAt(cut) == '#';
            for (Method m : c.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(Test.class)) continue;
                if (cut >= 0 && named.contains(m.getName()) != only) continue;
                var ctor = c.getDeclaredConstructor();
                ctor.setAccessible(true);
                Object o = ctor.newInstance();
                long t0 = System.nanoTime();
                try {
                    invokeAll(o, BeforeEach.class);
                    try {
                        m.setAccessible(true);
                        m.invoke(o);
                    } finally {
                        invokeAll(o, AfterEach.class);
                    }
                    pass++;
                    System.out.printf("PASS %s.%s (%d ms)%n", c.getSimpleName(), m.getName(), (System.nanoTime() - t0) / 1_000_000);
                } catch (InvocationTargetException e) {
                    Throwable t = e.getCause();
                    if (t.getClass().getName().equals("org.opentest4j.TestAbortedException")) {
                        skip++;
                        System.out.printf("SKIP %s.%s: %s%n", c.getSimpleName(), m.getName(), t.getMessage());
                    } else {
                        fail++;
                        System.out.printf("FAIL %s.%s: %s%n", c.getSimpleName(), m.getName(), t);
                        t.printStackTrace(System.out);
                    }
                }
            }
        }
        System.out.printf("Tests: %d passed, %d failed, %d skipped%n", pass, fail, skip);
        System.exit(fail == 0 ? 0 : 1);
    }

    private static void invokeAll(Object o, Class<? extends java.lang.annotation.Annotation> a) throws Exception {
        for (Method m : o.getClass().getDeclaredMethods()) {
            if (m.isAnnotationPresent(a)) {
                m.setAccessible(true);
                m.invoke(o);
            }
        }
    }
}
