package io.liquid4j.api;

import io.liquid4j.tensor.Tensor;

/**
 * The two JVM flags liquid4j needs, checked before the first model or VQGAN is loaded, so a
 * missing one fails with one line naming it rather than a NoClassDefFoundError deep inside.
 */
final class JvmFlags {
    static final String FLAGS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED";
    private static volatile boolean checked;

    private JvmFlags() {}

    /** Throws IllegalStateException naming the missing flag (see docs/EMBEDDING.md for where to put it). */
    static void check() {
        if (checked) return;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("liquid4j needs the JVM flag --add-modules jdk.incubator.vector (the Vector API); run java with "
                    + FLAGS + " (docs/EMBEDDING.md says where to put them)");
        }
        Module engine = Tensor.class.getModule();
        if (!engine.isNativeAccessEnabled()) {
            String flag = engine.isNamed() ? "--enable-native-access=" + engine.getName() : "--enable-native-access=ALL-UNNAMED";
            throw new IllegalStateException("liquid4j needs the JVM flag " + flag + " (its CPU and CUDA backends call native code through FFM); run java with "
                    + FLAGS + " (docs/EMBEDDING.md says where to put them)");
        }
        checked = true;
    }
}
