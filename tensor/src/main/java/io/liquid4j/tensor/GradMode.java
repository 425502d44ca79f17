package io.liquid4j.tensor;

/**
 * Whether operations record the autograd graph on this thread. {@code try (var g = GradMode.noGrad())}
 * turns recording off for inference and for optimizer updates.
 */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private final boolean previous;

    private GradMode(boolean enabled) {
        boolean[] flag = ENABLED.get();
        previous = flag[0];
        flag[0] = enabled;
    }

    /** Disables graph recording until close. */
    public static GradMode noGrad() { return new GradMode(false); }

    /** Enables graph recording until close (inside a noGrad block). */
    public static GradMode enableGrad() { return new GradMode(true); }

    public static boolean isEnabled() { return ENABLED.get()[0]; }

    @Override public void close() { ENABLED.get()[0] = previous; }
}
