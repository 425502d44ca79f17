package io.liquid4j.tensor.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.util.ArrayList;
import java.util.List;

/** Finds a native library among candidate names/paths; a failure lists every path tried. */
@SuppressWarnings("restricted")   // binding native code through FFM is this class's job (--enable-native-access)
public final class NativeLibraries {
    private NativeLibraries() {}

    /**
     * Loads the first candidate that opens. A non-blank value of the system property overrides
     * the list (it is then the only path tried). The library stays loaded for the JVM's lifetime.
     */
    public static SymbolLookup load(String what, String property, List<String> candidates) {
        String override = System.getProperty(property);
        List<String> tried = new ArrayList<>();
        List<String> list = override != null && !override.isBlank() ? List.of(override) : candidates;
        for (String c : list) {
            tried.add(c);
            try {
                return SymbolLookup.libraryLookup(c, Arena.global());
            } catch (IllegalArgumentException e) {
                // try the next one
            }
        }
        throw new CudaException("cannot load " + what + ": tried " + String.join(", ", tried)
                + (override != null && !override.isBlank() ? " (from -D" + property + ")" : " (set -D" + property + "=/path/to/lib to override)"));
    }
}
